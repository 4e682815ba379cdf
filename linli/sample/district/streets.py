"""The street network: the arterial grid, a diagonal and a curved road, the ways the walk
filter must drop, and the numbering of every line into OSM ways (which also gives the later
steps the walking graph in metres)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
from scipy.sparse import csr_array
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from linli.circle.osmread import is_walkable

from ._base import (
    _EW_STEMS,
    _NS_STEMS,
    _cn_number,
    _Drawing,
    _Line,
)


class _Streets(_Drawing):
    # -- 1. arterial grid --------------------------------------------------------------------

    def grid(self) -> None:
        rng = self.rng

        def positions(start: float, stop: float) -> list[float]:
            out = [start]
            while True:
                step = float(rng.uniform(400.0, 600.0))
                if out[-1] + step > stop:
                    return out
                out.append(out[-1] + step)

        xs = positions(300.0, self.width - 400.0)
        ys = positions(300.0, self.height - 350.0)
        nx, ny = len(xs), len(ys)
        jitter = rng.normal(0.0, 12.0, size=(nx, ny, 2))
        self.P = np.array(
            [
                [(xs[i] + jitter[i, j, 0], ys[j] + jitter[i, j, 1]) for j in range(ny)]
                for i in range(nx)
            ]
        )
        self.nx, self.ny = nx, ny
        self.pid = [[self.net.node(tuple(self.P[i, j])) for j in range(ny)] for i in range(nx)]
        self.i_mid, self.j_mid = nx // 2, ny // 2

        def cls(k: int, mid: int, last: int) -> str:
            if k == mid:
                return "primary"
            if k in (0, last) or (k - mid) % 2 == 0:
                return "secondary"
            return "tertiary"

        def stem(stems: Sequence[str], k: int, fallback: str) -> str:
            return stems[k] if k < len(stems) else f"{fallback}{_cn_number(k + 1)}"

        # Two T-junctions: a north–south road that stops one block short of the northern edge,
        # and an east–west road that starts one block in from the eastern edge.
        dropped_col = (min(1, nx - 1), ny - 2)  # (column i, segment j)
        dropped_row = (1 if ny > 3 else -1, nx - 2)  # (row j, segment i)
        self.street_lines: list[_Line] = []
        self.row_stem = [stem(_EW_STEMS, j, "纬") for j in range(ny)]
        self.col_stem = [stem(_NS_STEMS, i, "经") for i in range(nx)]

        for j in range(ny):
            segs = [i for i in range(nx - 1) if (j, i) != dropped_row]
            for run in self._runs(segs, split_at=self.i_mid):
                half = "西" if run[-1] < self.i_mid else "东"
                self._grid_line(
                    [(i, j) for i in [*run, run[-1] + 1]],
                    {"highway": cls(j, self.j_mid, ny - 1), "name": f"{self.row_stem[j]}{half}街"},
                )
        for i in range(nx):
            segs = [j for j in range(ny - 1) if (i, j) != dropped_col]
            for run in self._runs(segs, split_at=self.j_mid):
                half = "南" if run[-1] < self.j_mid else "北"
                self._grid_line(
                    [(i, j) for j in [*run, run[-1] + 1]],
                    {"highway": cls(i, self.i_mid, nx - 1), "name": f"{self.col_stem[i]}{half}路"},
                )

    @staticmethod
    def _runs(segs: list[int], *, split_at: int) -> list[list[int]]:
        """Consecutive runs of segment indices, also broken where index == split_at."""
        runs: list[list[int]] = []
        for s in segs:
            if runs and runs[-1][-1] == s - 1 and s != split_at:
                runs[-1].append(s)
            else:
                runs.append([s])
        return runs

    def _grid_line(self, cells: list[tuple[int, int]], tags: dict[str, str]) -> None:
        tags = {**tags, "sidewalk": "both"}
        ln = self.net.line(
            [tuple(self.P[i, j]) for i, j in cells],
            tags,
            spacing=self.spec.street_spacing_m,
            role="street",
        )
        for i, j in cells:
            self.net.pin(ln, self.pid[i][j])
        self.street_lines.append(ln)

    # -- 2. a diagonal and a curved road -----------------------------------------------------

    def irregular_streets(self) -> None:
        nc, nr = self.nx - 1, self.ny - 1
        ia, ja = max(1, round(nc * 0.15)), max(1, round(nr * 0.2))
        ib, jb = max(ia + 1, round(nc * 0.6)), max(ja + 1, round(nr * 0.65))
        a, b = self.P[ia, ja], self.P[ib, jb]
        diag = self.net.line(
            [tuple(a), tuple(b)],
            {"highway": "secondary", "name": "长兴路", "sidewalk": "both"},
            spacing=self.spec.street_spacing_m,
            role="street",
        )
        self.net.pin(diag, self.pid[ia][ja])
        self.net.pin(diag, self.pid[ib][jb])

        ic, jc = max(1, round(nc * 0.5)), max(1, round(nr * 0.15))
        jd = max(jc + 1, round(nr * 0.45))
        c, d = self.P[ic, jc], self.P[nc, jd]
        mid = (c + d) / 2
        chord = d - c
        bulge = np.array([chord[1], -chord[0]]) * 0.3  # to the south-east of the chord
        ctrl = mid + bulge
        t = np.linspace(0.0, 1.0, 41)[:, None]
        bez = (1 - t) ** 2 * c + 2 * t * (1 - t) * ctrl + t**2 * d
        curve = self.net.line(
            [tuple(p) for p in bez],
            {"highway": "tertiary", "name": "滨湖路", "sidewalk": "both"},
            spacing=self.spec.street_spacing_m,
            role="street",
        )
        self.net.pin(curve, self.pid[ic][jc])
        self.net.pin(curve, self.pid[nc][jd])
        for extra in (diag, curve):
            for other in self.street_lines:
                self.net.cross(extra, other)
        self.net.cross(diag, curve)
        self.street_lines += [diag, curve]

    # -- 3. ways the walk filter must drop ---------------------------------------------------

    def non_walkable(self) -> None:
        net, P = self.net, self.P
        x_m = float(self.P[-1, :, 0].max()) + 170.0
        y0, y1 = float(P[:, 0, 1].min()) - 200.0, float(P[:, -1, 1].max()) + 200.0
        motorway = net.line(
            [(x_m, y0), (x_m + 25.0, (y0 + y1) / 2), (x_m, y1)],
            {"highway": "motorway", "name": "晋邻高速", "ref": "S99", "oneway": "yes"},
            spacing=120.0,
            role="other",
        )
        j = self.j_mid
        start = self.pid[-1][j]
        sx, sy = net.xy[start - 1]
        ramp = net.line(
            [(sx, sy), (sx + 80.0, sy + 60.0), (x_m + 12.0, sy + 200.0)],
            {"highway": "motorway_link", "oneway": "yes"},
            spacing=60.0,
            role="other",
        )
        net.pin(ramp, start)
        net.pin(ramp, net.attach(motorway, (x_m + 12.0, sy + 200.0)))

        jc = min(self.j_mid + 1, self.ny - 1)
        wx, wy = net.xy[self.pid[0][jc] - 1]
        works = net.line(
            [(wx - 280.0, wy + 6.0), (wx, wy)],
            {
                "highway": "construction",
                "construction": "secondary",
                "name": f"{self.row_stem[jc]}西街",
            },
            spacing=60.0,
            role="other",
        )
        net.pin(works, self.pid[0][jc])

        nx_, ny_ = net.xy[self.pid[self.i_mid][-1] - 1]
        exit_road = net.line(
            [(nx_, ny_), (nx_ + 10.0, ny_ + 300.0)],
            {
                "highway": "trunk",
                "name": "东环快速路",
                "foot": "no",
                "bicycle": "no",
                "motorroad": "yes",
            },
            spacing=60.0,
            role="other",
        )
        net.pin(exit_road, self.pid[self.i_mid][-1])

    # -- 8. OSM ids --------------------------------------------------------------------------

    def materialise(self) -> None:
        net = self.net
        self.ways: list[tuple[int, dict[str, str], list[int], str]] = []
        for k, ln in enumerate(net.lines):
            self.ways.append((k + 1, ln.tags, net.materialise(ln), ln.role))
        for tags, nodes, role in net.short_ways:
            self.ways.append((len(self.ways) + 1, tags, nodes, role))
        # The walking graph in metres: facilities go only where its main component reaches,
        # and the coverage placement below measures walking distances on it.
        xy = np.array([(0.0, 0.0), *net.xy])  # row = OSM node id
        u_parts: list[npt.NDArray[np.int64]] = []
        v_parts: list[npt.NDArray[np.int64]] = []
        for _, tags, nodes, _ in self.ways:
            if is_walkable(tags):
                arr = np.asarray(nodes, dtype=np.int64)
                u_parts.append(arr[:-1])
                v_parts.append(arr[1:])
        a, b = np.concatenate(u_parts), np.concatenate(v_parts)
        # One edge per node pair: a sparse matrix would add up duplicates.
        pairs = np.unique(np.stack([np.minimum(a, b), np.maximum(a, b)], axis=1), axis=0)
        u, v = pairs[:, 0], pairs[:, 1]
        w = np.maximum(np.hypot(*(xy[u] - xy[v]).T), 0.01)
        size = len(xy)
        self.walk_csr = csr_array((w, (u, v)), shape=(size, size))
        walk_nodes = np.unique(np.concatenate([u, v]))
        _, labels = connected_components(self.walk_csr, directed=False)
        counts = np.bincount(labels[walk_nodes])
        main_label = int(np.argmax(counts))
        self.walk_node_count = len(walk_nodes)
        self.main_nodes = walk_nodes[labels[walk_nodes] == main_label]
        self.main_xy = xy[self.main_nodes]
        self.main_tree = cKDTree(self.main_xy)
        street_nodes = sorted(
            {n for _, _, nodes, role in self.ways if role == "street" for n in nodes}
        )
        self.street_xy = xy[np.asarray(street_nodes, dtype=np.int64)]
        self.street_tree_kd = cKDTree(self.street_xy)
