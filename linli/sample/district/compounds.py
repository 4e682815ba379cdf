"""Parks, the gated compounds (小区) with their names, households and gates (小区出入口),
their internal roads, and the public paths between them."""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np
import numpy.typing as npt
import shapely
from shapely.geometry import LineString, Point

from ._base import (
    _COMPOUND_STEMS,
    _COMPOUND_SUFFIXES,
    XY,
    _axes,
    _band,
    _cn_number,
    _CompoundDraft,
    _corner_distances,
    _direction_zh,
    _largest,
    _Line,
    _SegmentTree,
)
from .areas import _Areas


class _Compounds(_Areas):
    # -- 6. parks, compounds and the paths between them --------------------------------------

    def _street_tree(self) -> None:
        self.st_tree = shapely.STRtree([ln.geom for ln in self.street_lines])

    def _to_street(self, xy: XY) -> int:
        """Node on the nearest street for a path ending at ``xy``."""
        k = int(self.st_tree.nearest(Point(xy)))
        return self.net.attach(self.street_lines[k], xy)

    def _public_path(self, seg: Any, tags: dict[str, str]) -> _Line | None:
        """A path along ``seg`` whose two ends are extended onto the nearest streets."""
        if seg is None or seg.is_empty or seg.length < 30.0:
            return None
        pts = list(seg.coords)
        a_id = self._to_street(pts[0])
        b_id = self._to_street(pts[-1])
        ln = self.net.line(
            [self.net.xy[a_id - 1], *pts, self.net.xy[b_id - 1]],
            tags,
            spacing=self.spec.internal_spacing_m,
            role="path",
        )
        self.net.pin(ln, a_id)
        self.net.pin(ln, b_id)
        return ln

    @staticmethod
    def _clip_longest(line: Any, poly: Any) -> Any:
        inter = line.intersection(poly)
        parts = [g for g in getattr(inter, "geoms", [inter]) if g.geom_type == "LineString"]
        return max(parts, key=lambda g: g.length) if parts else None

    def parks_and_compounds(self) -> None:
        rng, spec = self.rng, self.spec
        blocks = self.block_polys
        self._street_tree()
        corner = np.array([self.frame.bounds[0], self.frame.bounds[3]])
        centre = np.array(self.frame.centroid.coords[0])

        def nearest_block(target: npt.NDArray[np.float64], skip: set[int]) -> int:
            dists = [
                (float(np.hypot(*(np.array(b.centroid.coords[0]) - target))), k)
                for k, b in enumerate(blocks)
                if k not in skip and b.area > 60_000.0
            ]
            return min(dists)[1]

        lake = nearest_block(corner, set())
        park = nearest_block(centre, {lake})
        self.path_lines: list[_Line] = []

        # 人民公园: two crossing paths open to the public.
        park_poly = blocks[park]
        u, v = _axes(park_poly)
        c = np.array(park_poly.centroid.coords[0])
        crossing: list[_Line] = []
        for axis in (u, v):
            far = LineString([tuple(c - axis * 2000.0), tuple(c + axis * 2000.0)])
            ln = self._public_path(
                self._clip_longest(far, park_poly), {"highway": "path", "name": "人民公园步道"}
            )
            if ln is not None:
                crossing.append(ln)
        if len(crossing) == 2:
            self.net.cross(crossing[0], crossing[1])
        self.path_lines += crossing
        self.park_poly = park_poly

        # 镜湖: an island path reached only by boat; the walking graph's small component.
        lake_poly = blocks[lake]
        lc = lake_poly.representative_point()
        r = min(45.0, 0.25 * math.sqrt(lake_poly.area))
        ang = np.linspace(0.0, 2 * math.pi, 13)[:-1]
        island = [(float(lc.x + r * math.cos(a)), float(lc.y + r * math.sin(a))) for a in ang]
        self.fragment = self.net.line(
            island,
            {"highway": "footway", "name": "镜湖湖心岛步道"},
            spacing=15.0,
            role="fragment",
            closed=True,
        )
        self.lake_poly = lake_poly

        # Share the compounds out over the remaining blocks in proportion to their area.
        res = [k for k in range(len(blocks)) if k not in (lake, park)]
        areas = np.array([blocks[k].area for k in res])
        ideal = areas / areas.sum() * spec.compounds
        counts = np.clip(np.floor(ideal).astype(int), 1, 5)
        order = sorted(range(len(res)), key=lambda k: (-(ideal[k] - counts[k]), k))
        for k in order:
            if counts.sum() >= spec.compounds:
                break
            if counts[k] < 5:
                counts[k] += 1
        for k in sorted(range(len(res)), key=lambda k: (ideal[k] - counts[k], k)):
            if counts.sum() <= spec.compounds:
                break
            if counts[k] > 1:
                counts[k] -= 1

        self.drafts: list[_CompoundDraft] = []
        gap = 16.0
        for k, n in zip(res, counts, strict=True):
            block = blocks[k]
            u, v = _axes(block)
            origin = np.array(block.centroid.coords[0])
            proj = (np.asarray(block.exterior.coords) - origin) @ u
            lo, hi = float(proj.min()), float(proj.max())
            cuts = [lo + (hi - lo) * q / n for q in range(n + 1)]
            for q in range(1, n):
                cuts[q] += float(rng.uniform(-0.06, 0.06)) * (hi - lo) / n
            for q in range(n):
                a = cuts[q] + (gap / 2 if q > 0 else -1.0)
                b = cuts[q + 1] - (gap / 2 if q < n - 1 else -1.0)
                piece = _largest(block.intersection(_band(origin, u, v, a, b)))
                if piece is not None and piece.area >= 15_000.0:
                    self.drafts.append(_CompoundDraft(piece.simplify(0.5)))
            for q in range(1, n):
                if rng.random() < 0.6:
                    mid = LineString(
                        [
                            tuple(origin + u * cuts[q] - v * 2000.0),
                            tuple(origin + u * cuts[q] + v * 2000.0),
                        ]
                    )
                    ln = self._public_path(self._clip_longest(mid, block), {"highway": "footway"})
                    if ln is not None:
                        self.path_lines.append(ln)

    # -- 7. compound attributes, gates and internal roads ------------------------------------

    def compound_details(self) -> None:
        rng = self.rng
        combos = [s + x for s in _COMPOUND_STEMS for x in _COMPOUND_SUFFIXES]
        perm = rng.permutation(len(combos))
        names = [combos[int(p)] for p in perm]
        while len(names) < len(self.drafts):
            names += [n + "二期" for n in names[: len(self.drafts) - len(names)]]

        eligible = self.street_lines + self.path_lines
        # Index single segments, not whole streets: a long street's envelope covers half the
        # district and would make every nearest-line query test it.
        segments: list[Any] = []
        owner: list[int] = []
        for k, ln in enumerate(eligible):
            coords = ln.coords
            segments += [LineString([a, b]) for a, b in itertools.pairwise(coords)]
            owner += [k] * (len(coords) - 1)
        tree = _SegmentTree(shapely.STRtree(segments), np.asarray(owner, dtype=np.int64))
        for k, dr in enumerate(self.drafts):
            dr.name = names[k]
            density = float(rng.uniform(55.0, 130.0))  # households per hectare
            dr.households = int(np.clip(round(dr.poly.area / 10_000.0 * density), 200, 2000))
            dr.population = round(dr.households * float(rng.uniform(2.6, 2.9)))
            cx, cy = dr.poly.centroid.coords[0]
            dr.community = self.community_of((cx, cy))
            self._gates_and_roads(dr, eligible, tree)

    def _gates_and_roads(
        self, dr: _CompoundDraft, eligible: list[_Line], tree: _SegmentTree
    ) -> None:
        rng, net, spec = self.rng, self.net, self.spec
        poly = dr.poly
        boundary = poly.exterior
        length = float(boundary.length)
        ds = np.arange(5.0, length, 10.0)
        pts = shapely.line_interpolate_point(boundary, ds)
        idx, dist = tree.tree.query_nearest(pts, return_distance=True, all_matches=False)
        nearest_line = np.empty(len(ds), dtype=np.int64)
        nearest_line[idx[0]] = tree.owner[idx[1]]
        near_dist = np.full(len(ds), np.inf)
        near_dist[idx[0]] = dist
        corners = _corner_distances(poly)
        if corners.size:
            gap = np.abs(ds[:, None] - corners[None, :])
            gap = np.minimum(gap, length - gap).min(axis=1)
        else:
            gap = np.full(len(ds), np.inf)
        cand = np.flatnonzero((near_dist < 45.0) & (gap > 18.0))
        if cand.size == 0:
            cand = np.flatnonzero(near_dist < 45.0)
        if cand.size == 0:
            cand = np.array([int(np.argmin(near_dist))])
        n_gates = int(rng.choice([1, 2, 3], p=[0.25, 0.45, 0.30]))
        chosen = [int(cand[int(rng.integers(cand.size))])]
        while len(chosen) < n_gates:
            sep = np.min(
                [
                    np.minimum(np.abs(ds[cand] - ds[c]), length - np.abs(ds[cand] - ds[c]))
                    for c in chosen
                ],
                axis=0,
            )
            best = int(np.argmax(sep))
            if sep[best] < 60.0:
                break
            chosen.append(int(cand[best]))

        inner = poly.buffer(-30.0, join_style="mitre")
        inner = _largest(inner) if not inner.is_empty else None
        ring: _Line | None = None
        hub: int | None = None
        cx, cy = poly.centroid.coords[0]
        if inner is not None and inner.area >= 2_500.0:
            ring = net.line(
                list(inner.exterior.coords)[:-1],
                {"highway": "service"},
                spacing=spec.internal_spacing_m,
                role="internal",
                closed=True,
            )
            u, v = _axes(inner)
            c = np.array(inner.centroid.coords[0])
            axes = [u, v] if inner.area > 60_000.0 else [u]
            for axis in axes:
                far = LineString([tuple(c - axis * 2000.0), tuple(c + axis * 2000.0)])
                seg = self._clip_longest(far, inner)
                if seg is None or seg.length < 40.0:
                    continue
                a, b = seg.coords[0], seg.coords[-1]
                cross = net.line(
                    [a, b], {"highway": "footway"}, spacing=spec.internal_spacing_m, role="internal"
                )
                net.pin(cross, net.attach(ring, a))
                net.pin(cross, net.attach(ring, b))
        else:
            rp = poly.representative_point()
            hub = net.node((float(rp.x), float(rp.y)))

        used_dirs: list[str] = []
        for g_no, c_idx in enumerate(chosen):
            gx, gy = (float(t) for t in shapely.get_coordinates(pts[c_idx])[0])
            direction = _direction_zh(gx - cx, gy - cy)
            repeat = used_dirs.count(direction)
            used_dirs.append(direction)
            label = f"{direction}门" if repeat == 0 else f"{direction}{_cn_number(repeat + 1)}门"
            gate = net.node((gx, gy), {"barrier": "gate", "name": f"{dr.name}{label}"})
            street = net.attach(eligible[int(nearest_line[c_idx])], (gx, gy))
            inside = net.attach(ring, (gx, gy)) if ring is not None else hub
            assert inside is not None
            tags = {"highway": "service"} if g_no == 0 else {"highway": "footway"}
            way = net.line(
                [net.xy[street - 1], (gx, gy), net.xy[inside - 1]],
                tags,
                spacing=spec.internal_spacing_m,
                role="internal",
            )
            for nid in (street, gate, inside):
                net.pin(way, nid)
            dr.gate_ids.append(gate)
            dr.gate_inner.append(inside)
        if ring is not None:
            self._entrance_paths(poly, inner, ring)

    def _entrance_paths(self, poly: Any, inner: Any, ring: _Line) -> None:
        """Short footways from the ring road out to the building entrances (单元门).

        They are dead ends, as in detailed OSM data of Chinese compounds, and they give the
        engine's simplified graph its realistic share of degree-1 nodes.
        """
        net, spacing = self.net, self.spec.entrance_spacing_m
        length = float(ring.geom.length)
        ds = np.arange(spacing / 2, length, spacing)
        if ds.size == 0:
            return
        here = shapely.get_coordinates(shapely.line_interpolate_point(ring.geom, ds))
        ahead = shapely.get_coordinates(
            shapely.line_interpolate_point(ring.geom, (ds + 1.0) % length)
        )
        tangent = ahead - here
        tangent /= np.maximum(np.hypot(*tangent.T), 1e-9)[:, None]
        normal = np.stack([tangent[:, 1], -tangent[:, 0]], axis=1)
        # Point every spur away from the ring's interior, toward the compound's boundary.
        probe = here + normal * 2.0
        normal[shapely.contains_xy(inner, probe[:, 0], probe[:, 1])] *= -1.0
        ends = here + normal * 12.0
        inside = shapely.contains_xy(poly.buffer(-4.0), ends[:, 0], ends[:, 1])
        pinned = np.fromiter(ring.forced.values(), dtype=np.float64)
        for d, start, end, ok in zip(ds, here, ends, inside, strict=True):
            gap = np.abs(pinned - d)
            if not ok or (gap.size and float(np.minimum(gap, length - gap).min()) < 8.0):
                continue
            nid = net.node((float(start[0]), float(start[1])))
            ring.forced[nid] = float(d)
            door = net.node((float(end[0]), float(end[1])))
            net.short_ways.append(({"highway": "footway"}, [nid, door], "internal"))
