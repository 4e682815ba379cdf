"""The blocks between the streets and the administrative hierarchy drawn over them:
subdistricts (街道) and communities (社区)."""

from __future__ import annotations

from typing import Any

import shapely
from shapely.geometry import Point, Polygon
from shapely.ops import unary_union

from ._base import (
    _COMMUNITY_STEMS,
    _SUBDISTRICT_NAMES,
    DISTRICT_CODE,
    XY,
    _cn_number,
)
from .streets import _Streets


class _Areas(_Streets):
    # -- 4. blocks ---------------------------------------------------------------------------

    def blocks(self) -> None:
        P = self.P
        ring = (
            [tuple(P[i, 0]) for i in range(self.nx)]
            + [tuple(P[-1, j]) for j in range(1, self.ny)]
            + [tuple(P[i, -1]) for i in range(self.nx - 2, -1, -1)]
            + [tuple(P[0, j]) for j in range(self.ny - 2, 0, -1)]
        )
        self.frame = Polygon(ring)
        setback = {"primary": 32.0, "secondary": 26.0, "tertiary": 20.0}
        roads = unary_union(
            [
                ln.geom.buffer(setback[ln.tags["highway"]], cap_style="square", join_style="mitre")
                for ln in self.street_lines
            ]
        )
        rest = self.frame.difference(roads)
        polys = [g for g in getattr(rest, "geoms", [rest]) if g.geom_type == "Polygon"]
        polys = [g.simplify(0.5) for g in polys if g.area >= 30_000.0]
        polys.sort(key=lambda g: (-round(g.centroid.y), round(g.centroid.x)))
        self.block_polys = polys

    # -- 5. administrative hierarchy ---------------------------------------------------------

    @staticmethod
    def _bisect(rect: tuple[int, int, int, int], k: int) -> list[tuple[int, int, int, int]]:
        """Split the cell rectangle [i0,i1)×[j0,j1) into k parts of near-equal size."""
        if k <= 1:
            return [rect]
        i0, i1, j0, j1 = rect
        k1 = k // 2
        if (j1 - j0) > (i1 - i0):
            cut = j0 + max(1, min(j1 - j0 - 1, round((j1 - j0) * k1 / k)))
            first, second = (i0, i1, j0, cut), (i0, i1, cut, j1)
        else:
            cut = i0 + max(1, min(i1 - i0 - 1, round((i1 - i0) * k1 / k)))
            first, second = (i0, cut, j0, j1), (cut, i1, j0, j1)
        return _Areas._bisect(first, k1) + _Areas._bisect(second, k - k1)

    def _cells_polygon(self, rect: tuple[int, int, int, int]) -> Any:
        i0, i1, j0, j1 = rect
        P = self.P
        quads = [
            Polygon(
                [tuple(P[i, j]), tuple(P[i + 1, j]), tuple(P[i + 1, j + 1]), tuple(P[i, j + 1])]
            )
            for i in range(i0, i1)
            for j in range(j0, j1)
        ]
        poly = unary_union(quads)
        assert poly.geom_type == "Polygon", "administrative units are contiguous cell rectangles"
        return poly

    def hierarchy(self) -> None:
        spec = self.spec
        whole = (0, self.nx - 1, 0, self.ny - 1)
        sd_rects = self._bisect(whole, len(spec.communities_per_subdistrict))
        self.sd_rows: list[tuple[str, str, Any]] = []
        self.cm_rows: list[tuple[str, str, str, Any]] = []
        cm_names = iter(_COMMUNITY_STEMS)
        for s, (rect, n_cm) in enumerate(
            zip(sd_rects, spec.communities_per_subdistrict, strict=True)
        ):
            sd_code = f"{DISTRICT_CODE}{s + 1:02d}"
            sd_name = _SUBDISTRICT_NAMES[s] if s < len(_SUBDISTRICT_NAMES) else f"第{s + 1}街道"
            self.sd_rows.append((sd_code, sd_name, self._cells_polygon(rect)))
            for c, crect in enumerate(self._bisect(rect, n_cm)):
                stem_ = next(cm_names, None) or f"新区{_cn_number(len(self.cm_rows) + 1)}"
                self.cm_rows.append(
                    (f"{sd_code}{c + 1:03d}", f"{stem_}社区", sd_code, self._cells_polygon(crect))
                )
        self.cm_tree = shapely.STRtree([p for *_, p in self.cm_rows])

    def community_of(self, xy: XY) -> int:
        pt = Point(xy)
        hits = sorted(int(h) for h in self.cm_tree.query(pt, predicate="intersects"))
        if hits:
            return hits[0]
        return int(self.cm_tree.nearest(pt))
