"""The sample district's administrative hierarchy: subdistricts (街道), communities (社区) and
grids (网格) as :mod:`linli.sample.district` drew them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from linli.places.models import Community, District, Grid, Subdistrict

if TYPE_CHECKING:
    from .load import Sample


def load(sample: Sample) -> None:
    """Create the subdistricts, communities and grids of the drawing."""
    district, g = sample.district, sample.drawing
    subdistricts = {
        s.code: Subdistrict.objects.create(district=district, code=s.code, name=s.name)
        for s in g.subdistricts
    }
    communities = {
        c.code: Community.objects.create(
            district=district,
            subdistrict=subdistricts[c.subdistrict_code],
            code=c.code,
            name=c.name,
        )
        for c in g.communities
    }
    for gr in g.grids:
        Grid.objects.create(
            district=district,
            community=communities[gr.community_code],
            code=gr.code,
            name=gr.name,
        )


def delete(district: District) -> None:
    """Remove the hierarchy (after every step that refers to it)."""
    Grid.objects.filter(district=district).delete()
    Community.objects.filter(district=district).delete()
    Subdistrict.objects.filter(district=district).delete()
