"""Loading the sample district (示例区) that ``make demo`` shows: one step per app.

:func:`load_sample` draws the district with :mod:`linli.sample.district` (which also writes the
street network as an OSM ``.pbf``, so the demo goes through the same import path as real data),
creates the :class:`~linli.places.models.District` row and runs :data:`STEPS` in order, in one
transaction.  Everything is fictional and marked ``is_sample``.

**Adding an app's sample data**: write ``linli/sample/<app>.py`` with

* ``load(sample: Sample) -> None`` — create the app's rows for ``sample.district`` (query what
  earlier steps created; call the app's services where they exist), and
* ``delete(district: District) -> None`` — remove them again (``load_sample --reset``),

then add ``Step("<app>", <app>.load, <app>.delete)`` to :data:`STEPS` after the steps it
builds on.  Steps load in list order and are deleted in reverse order.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import transaction

from linli.places.models import District
from linli.places.reference import sync_reference_data

from . import accounts, activities, areas, cobuild, kiosks, needs, places
from .district import SyntheticDistrict, generate_district

SAMPLE_SEED = 7
SAMPLE_NETWORK_SUBDIR = "sample"
SAMPLE_DISTRICT_CODE = "SAMPLE-140404"


@dataclass(frozen=True)
class Sample:
    """What every step is given: the new district row and the drawing it comes from."""

    district: District
    drawing: SyntheticDistrict


@dataclass(frozen=True)
class Step:
    """One app's part of the sample: ``load`` creates its rows, ``delete`` removes them."""

    name: str
    load: Callable[[Sample], None]
    delete: Callable[[District], None]


#: The apps' sample steps, in load order (each may use what the ones before it created).
STEPS: list[Step] = [
    Step("areas", areas.load, areas.delete),
    Step("places", places.load, places.delete),
    Step("accounts", accounts.load, accounts.delete),
    Step("activities", activities.load, activities.delete),
    Step("kiosks", kiosks.load, kiosks.delete),
    Step("cobuild", cobuild.load, cobuild.delete),
    Step("needs", needs.load, needs.delete),
]


@dataclass(frozen=True)
class SampleResult:
    district: District
    created: bool
    stations: int
    compounds: int


def network_dir() -> Path:
    """Where the sample's street network is written (below ``LINLI_NETWORK_DIR``)."""
    return Path(settings.LINLI_NETWORK_DIR) / SAMPLE_NETWORK_SUBDIR


def load_sample(*, reset: bool = False) -> SampleResult:
    """Create the sample district (idempotent; ``reset`` deletes and recreates it)."""
    sync_reference_data()
    existing = District.objects.filter(code=SAMPLE_DISTRICT_CODE).first()
    if existing and not reset:
        return SampleResult(existing, False, existing.stations.count(), existing.compounds.count())
    drawing = generate_district(network_dir(), seed=SAMPLE_SEED, size="sample")
    with transaction.atomic():
        if existing:
            for step in reversed(STEPS):
                step.delete(existing)
            existing.delete()
        district = _create_district(drawing)
        sample = Sample(district, drawing)
        for step in STEPS:
            step.load(sample)
    return SampleResult(district, True, district.stations.count(), district.compounds.count())


def _create_district(g: SyntheticDistrict) -> District:
    min_lon, min_lat, max_lon, max_lat = g.bbox
    return District.objects.create(
        code=g.code,
        name=g.name,
        is_sample=True,
        centre_lon=g.centre[0],
        centre_lat=g.centre[1],
        min_lon=min_lon,
        min_lat=min_lat,
        max_lon=max_lon,
        max_lat=max_lat,
        network_file=f"{SAMPLE_NETWORK_SUBDIR}/{g.pbf_path.name}",
    )
