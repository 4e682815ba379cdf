"""Facilities (设施) and stations (幸福驿站, 智慧小屋 …) of every canonical category, placed
where the walking network reaches, with a few deliberate gaps for the analysis to find."""

from __future__ import annotations

import collections
from collections.abc import Callable, Sequence

import numpy as np
import numpy.typing as npt
from scipy.sparse.csgraph import dijkstra
from shapely.geometry import Point

from ._base import (
    XY,
    _cn_number,
    _unique,
)
from .compounds import _Compounds


class _Facilities(_Compounds):
    # -- 9. facilities -----------------------------------------------------------------------

    def facilities(self) -> None:
        rng, spec, drafts = self.rng, self.spec, self.drafts
        n = len(drafts)
        self.fac: list[tuple[str, str, XY]] = []
        used: set[str] = set()
        pop = np.array([d.population for d in drafts], dtype=np.float64)
        gates = [np.array([self.net.xy[g - 1] for g in d.gate_ids]) for d in drafts]
        by_comm: list[list[int]] = [[] for _ in self.cm_rows]
        for k, d in enumerate(drafts):
            by_comm[d.community].append(k)
        n_comm = len(self.cm_rows)
        sd_codes = [row[0] for row in self.sd_rows]
        sd_of_comm = [sd_codes.index(cm[2]) for cm in self.cm_rows]

        # The deliberate gaps are circles no facility of the category may enter. A compound
        # whose gates all lie deeper than the category's threshold inside the circle lacks the
        # category even by straight-line distance, so it stays a gap whatever the network.
        self.gaps_raw: list[tuple[str, str, XY, float, float]] = []
        zones: dict[str, tuple[npt.NDArray[np.float64], float]] = {}

        def add_gap(category: str, text: str, centre: XY, radius: float, threshold: float) -> None:
            c = np.asarray(centre, dtype=np.float64)
            depth = sorted(float(np.hypot(*(g - c).T).max()) for g in gates)
            radius = max(radius, depth[1] + threshold + 1.0)  # at least two gap compounds
            zones[category] = (c, radius)
            self.gaps_raw.append((category, text, centre, radius, threshold))

        sd0 = self.sd_rows[0]
        _, miny, maxx, _ = sd0[2].bounds
        add_gap(
            "kindergarten",
            f"No kindergarten near the south-east corner of {sd0[1]}.",
            (maxx, miny),
            700.0,
            300.0,
        )
        far = [
            c
            for c in range(n_comm)
            if sd_of_comm[c] != 0 and self.cm_rows[c][3].distance(Point(maxx, miny)) > 1500.0
        ] or list(range(1, n_comm))
        c_gap = far[len(far) // 2]
        gap_c = self.cm_rows[c_gap][3].centroid
        add_gap(
            "market",
            f"No market or grocery in the middle of {self.cm_rows[c_gap][1]}.",
            (float(gap_c.x), float(gap_c.y)),
            800.0,
            500.0,
        )

        def site(target: Sequence[float], *, frontage: bool, offset: float = 15.0) -> XY:
            """Nearest street node (frontage) or walkway node, moved a little toward target."""
            tree, pts = (
                (self.street_tree_kd, self.street_xy)
                if frontage
                else (self.main_tree, self.main_xy)
            )
            _, k = tree.query(np.asarray(target, dtype=np.float64))
            node = pts[int(k)]
            vec = np.asarray(target, dtype=np.float64) - node
            dist = float(np.hypot(*vec))
            if dist > 1e-6:
                node = node + vec / dist * min(offset, dist)
            return (float(node[0]), float(node[1]))

        def allowed(category: str, xy: XY) -> bool:
            zone = zones.get(category)
            return zone is None or float(np.hypot(*(np.asarray(xy) - zone[0]))) > zone[1]

        def add(category: str, name: str, xy: XY) -> None:
            assert allowed(category, xy), f"{category} placed inside its deliberate gap"
            self.fac.append((category, _unique(name, used), xy))

        def at_gate(k: int, inward: float = 15.0) -> XY:
            """Inside compound k, on the road from its main gate, ``inward`` metres in."""
            gx, gy = self.net.xy[drafts[k].gate_ids[0] - 1]
            vec = np.array(self.net.xy[drafts[k].gate_inner[0] - 1]) - np.array([gx, gy])
            along = float(np.hypot(*vec))
            step = min(inward, 0.8 * along) / max(along, 1e-6)
            return (gx + float(vec[0]) * step, gy + float(vec[1]) * step)

        gate_nodes = [np.asarray(d.gate_ids, dtype=np.int64) for d in drafts]

        def reach_from(sites: list[XY], limit: float) -> npt.NDArray[np.float64]:
            """Walking distance from the nearest of ``sites`` to every node, up to ``limit``."""
            _, idx = self.main_tree.query(np.array(sites))
            sources = self.main_nodes[np.atleast_1d(idx)]
            out: npt.NDArray[np.float64] = dijkstra(
                self.walk_csr, directed=False, indices=sources, min_only=True, limit=limit
            )
            return out

        def cover(
            category: str,
            threshold: float,
            name: Callable[[int, int], str],
            *,
            frontage: bool,
            skip: float = 0.0,
            inward: float = 15.0,
            existing: Sequence[XY] = (),
        ) -> None:
            """Serve every compound within ``threshold`` metres' walk of one of its gates.

            Compounds are visited in random order; an unserved one gets a facility by its main
            gate (inside, or on the street in front). A share ``skip`` is left to chance, so
            the sample has the scattered shortfalls of a real district. Placement proceeds in
            batches of sites far enough apart not to serve each other, with one multi-source
            Dijkstra per batch. ``existing`` sites of the category count as serving already.
            """
            order = [int(o) for o in rng.permutation(n)]
            skipped = rng.random(n) < skip
            best = np.full(self.walk_csr.shape[0], np.inf)
            if existing:
                best = reach_from(list(existing), threshold)
            done = np.zeros(n, dtype=bool)
            placed = 0
            batch_xy = np.empty((n, 2))
            while True:
                batch: list[tuple[int, XY]] = []
                for k in order:
                    if done[k] or skipped[k]:
                        continue
                    if float(best[gate_nodes[k]].min()) <= threshold - 30.0:
                        done[k] = True
                        continue
                    if frontage:
                        gx, gy = self.net.xy[drafts[k].gate_ids[0] - 1]
                        xy = site((gx, gy), frontage=True, offset=12.0)
                    else:
                        xy = at_gate(k, inward)
                    if not allowed(category, xy):
                        done[k] = True
                        continue
                    if (
                        not batch
                        or float(np.min(np.hypot(*(batch_xy[: len(batch)] - xy).T))) > threshold
                    ):
                        batch_xy[len(batch)] = xy
                        batch.append((k, xy))
                if not batch:
                    return
                for k, xy in batch:
                    placed += 1
                    add(category, name(k, placed), xy)
                    done[k] = True
                best = np.minimum(best, reach_from([xy for _, xy in batch], threshold))

        # 幸福驿站: every community gets its share, the rest go to the most populous ones.
        base, extra = divmod(spec.happiness_stations, n_comm)
        comm_pop = np.array([pop[ks].sum() if ks else 0.0 for ks in by_comm])
        quota = [base] * n_comm
        for c in sorted(range(n_comm), key=lambda c: (-comm_pop[c], c))[:extra]:
            quota[c] += 1
        hosts: list[int] = []
        for c, ks in enumerate(by_comm):
            want = min(quota[c], len(ks))
            if want:
                pick = rng.choice(len(ks), size=want, replace=False, p=pop[ks] / pop[ks].sum())
                hosts += [ks[int(p)] for p in sorted(pick)]
        spare = [int(k) for k in np.argsort(-pop, kind="stable") if int(k) not in hosts]
        hosts += spare[: spec.happiness_stations - len(hosts)]
        for k in sorted(hosts):
            add("happiness_station", f"{drafts[k].name}幸福驿站", at_gate(k))

        # 智慧小屋: in populous compounds without a station, spread over the subdistricts.
        huts: list[int] = []
        for h in range(spec.smart_huts):
            s = h % len(self.sd_rows)
            pool = [
                int(k)
                for k in np.argsort(-pop, kind="stable")
                if int(k) not in hosts
                and int(k) not in huts
                and sd_of_comm[drafts[int(k)].community] == s
            ]
            huts.append(pool[0])
        for k in huts:
            add("smart_hut", f"{self.cm_rows[drafts[k].community][1]}智慧小屋", at_gate(k, 25.0))

        # The programme's one-per-unit places: a 党群服务中心 per community and per
        # subdistrict on a street near its middle, with the community's service station or the
        # subdistrict's service centre next door, and the subdistrict's clinic and culture centre.
        # Coverage below adds branches where the unit's own building is too far away.
        first: dict[str, list[XY]] = collections.defaultdict(list)
        for _, name, _, poly in self.cm_rows:
            rp = poly.representative_point()
            add("party_service_center", f"{name}党群服务中心", site((rp.x, rp.y), frontage=True))
            xy = site((rp.x, rp.y), frontage=True, offset=30.0)
            add("community_service_station", f"{name}综合服务站", xy)
            first["community_service_station"].append(xy)
        for _, name, poly in self.sd_rows:
            c = poly.centroid
            add("party_service_center", f"{name}党群服务中心", site((c.x, c.y), frontage=True))
            add(
                "subdistrict_service_center",
                f"{name}社区服务中心",
                site((c.x, c.y), frontage=True, offset=30.0),
            )
            for category, label, dx, dy in (
                ("health_service_center", "社区卫生服务中心", 150.0, -120.0),
                ("culture_center", "文化活动中心", -160.0, 140.0),
            ):
                xy = site((c.x + dx, c.y + dy), frontage=True)
                add(category, f"{name}{label}", xy)
                first[category].append(xy)

        crossings = self.P.reshape(-1, 2)

        def stop_name(k: int, _q: int) -> str:
            """公交车站 named after the nearest crossing of the stop's street."""
            gx, gy = self.net.xy[drafts[k].gate_ids[0] - 1]
            p = int(np.argmin(np.hypot(*(crossings - np.array([gx, gy])).T)))
            i, j = divmod(p, self.ny)
            return f"{self.row_stem[j]}街{self.col_stem[i]}路口站"

        def own(suffix: str) -> Callable[[int, int], str]:
            return lambda k, _q: f"{drafts[k].name}{suffix}"

        def stem(suffix: str) -> Callable[[int, int], str]:
            return lambda k, _q: f"{drafts[k].name[:2]}{suffix}"

        def of_community(suffix: str) -> Callable[[int, int], str]:
            return lambda k, _q: (
                f"{self.cm_rows[drafts[k].community][1]}{drafts[k].name[:2]}{suffix}"
            )

        # Walking-distance coverage to the GB 50180-2018 and 完整社区 service radii. The skip
        # shares leave the scattered shortfalls a real district has; nurseries (托育) are
        # scarce on purpose.
        cover(
            "community_service_station",
            500.0,
            of_community("便民服务站"),
            frontage=True,
            skip=0.15,
            existing=first["community_service_station"],
        )
        cover(
            "health_service_center",
            1000.0,
            stem("社区卫生服务分中心"),
            frontage=True,
            skip=0.5,
            existing=first["health_service_center"],
        )
        cover(
            "culture_center",
            1000.0,
            stem("文化活动中心"),
            frontage=True,
            skip=0.5,
            existing=first["culture_center"],
        )
        cover("elderly_care_home", 1000.0, stem("颐养院"), frontage=False, skip=0.3, inward=30.0)
        cover("kindergarten", 300.0, own("幼儿园"), frontage=False, skip=0.05)
        cover("nursery", 300.0, own("托育园"), frontage=False, skip=0.6)
        cover("primary_school", 500.0, stem("小学"), frontage=True, skip=0.05)
        cover(
            "middle_school",
            1000.0,
            lambda _k, q: f"示例区第{_cn_number(q)}中学",
            frontage=True,
        )
        cover(
            "market",
            500.0,
            lambda k, q: f"{drafts[k].name[:2]}{'菜市场' if q % 2 else '生鲜超市'}",
            frontage=True,
            skip=0.05,
        )
        cover("health_station", 500.0, own("卫生服务站"), frontage=True, skip=0.15)
        cover("elderly_day_care", 500.0, own("日间照料中心"), frontage=False, skip=0.1, inward=22.0)
        cover("community_canteen", 300.0, own("邻里食堂"), frontage=False, skip=0.35, inward=28.0)
        cover("culture_station", 500.0, own("文化活动站"), frontage=False, skip=0.1, inward=30.0)
        cover("sports_ground", 500.0, stem("多功能运动场"), frontage=True, skip=0.1)
        cover("fitness_area", 300.0, own("健身广场"), frontage=False, skip=0.05, inward=35.0)
        cover("pharmacy", 300.0, lambda k, _q: f"康民大药房（{drafts[k].name}店）", frontage=True)
        cover(
            "convenience_store",
            250.0,
            lambda k, _q: f"邻家便利店（{drafts[k].name}店）",
            frontage=True,
        )
        cover("parcel_point", 250.0, own("快递驿站"), frontage=False, skip=0.1, inward=10.0)
        cover(
            "recycling_point", 300.0, own("再生资源回收点"), frontage=False, skip=0.3, inward=18.0
        )
        cover("public_toilet", 300.0, stem("公厕"), frontage=True, skip=0.15)
        cover("bus_stop", 500.0, stop_name, frontage=True, skip=0.05)
        for k in range(n):
            add("waste_collection", f"{drafts[k].name}垃圾分类收集点", at_gate(k, 20.0))
