"""示例区 — a deterministic, fictional sample district.

The generator draws a district in the style of the reference programme (长治市上党区
"新晋邻·乐宜居"): an arterial grid of 400–600 m superblocks with a diagonal and a curved
road, gated residential compounds (小区) that reach the street only through their gates
(小区出入口), facilities of the canonical categories in ``data/categories.csv`` placed with a
few deliberate gaps, and the administrative hierarchy district → subdistrict (街道) →
community (社区) → grid (网格).

Everything here is invented. Names imitate the local naming style, codes carry a ``SAMPLE-``
prefix, and ``district.json`` says ``"sample": true``. The same seed always produces
byte-identical CSV and JSON files and the same OSM content.

A pure library: no Django import.  The ``load_sample`` command (:mod:`linli.sample.places`),
the tests and the benchmarks in ``bench/`` call :func:`generate_district`; ``python -m
linli.sample.district --out DIR`` writes the files from the command line.

The drawing is split by what it builds, each step a class building on the one before:
:mod:`.streets` (the street network), :mod:`.areas` (blocks, subdistricts, communities),
:mod:`.compounds` (parks, compounds, gates, paths), :mod:`.facilities` (facilities and
stations); this module turns the drawing into the returned objects and the files.
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import osmium
from osmium.osm import mutable

from linli.circle.osmread import is_walkable

from ._base import (
    _SPECS,
    CATEGORIES_CSV,
    DISTRICT_CODE,
    DISTRICT_NAME,
    SAMPLE_NOTE,
    _cn_number,
    load_category_codes,
)
from .facilities import _Facilities
from .types import (
    Community,
    Compound,
    DeliberateGap,
    Facility,
    Grid,
    Subdistrict,
    SyntheticDistrict,
)

__all__ = [
    "CATEGORIES_CSV",
    "Community",
    "Compound",
    "DeliberateGap",
    "Facility",
    "Grid",
    "Subdistrict",
    "SyntheticDistrict",
    "generate_district",
    "load_category_codes",
]


class _Builder(_Facilities):
    """The whole drawing, turned into the objects :func:`generate_district` returns."""

    # -- 10. output --------------------------------------------------------------------------

    def result_objects(self) -> None:
        drafts = self.drafts
        order = sorted(
            range(len(drafts)),
            key=lambda k: (
                drafts[k].community,
                -round(drafts[k].poly.centroid.y),
                round(drafts[k].poly.centroid.x),
            ),
        )
        self.subdistricts = tuple(
            Subdistrict(code, name, self.ring(p)) for code, name, p in self.sd_rows
        )
        self.communities = tuple(
            Community(code, name, sd, self.ring(p)) for code, name, sd, p in self.cm_rows
        )
        grids: list[Grid] = []
        grid_of: dict[int, str] = {}
        for c, (code, name, _, _) in enumerate(self.cm_rows):
            ks = [k for k in order if drafts[k].community == c]
            n = int(self.rng.integers(2, 5))
            codes = [f"{code}{g + 1:02d}" for g in range(n)]
            grids += [
                Grid(gc, f"{name}第{_cn_number(g + 1)}网格", code) for g, gc in enumerate(codes)
            ]
            for pos, k in enumerate(ks):
                grid_of[k] = codes[min(n - 1, pos * n // max(len(ks), 1))]
        self.grids = tuple(grids)
        compounds: list[Compound] = []
        for no, k in enumerate(order):
            d = drafts[k]
            compounds.append(
                Compound(
                    id=f"C{no + 1:04d}",
                    name=d.name,
                    community_code=self.cm_rows[d.community][0],
                    grid_code=grid_of[k],
                    population=d.population,
                    households=d.households,
                    gates=tuple(self.lonlat(self.net.xy[g - 1]) for g in d.gate_ids),
                    gate_node_ids=tuple(d.gate_ids),
                    polygon=self.ring(d.poly),
                    centroid=self.lonlat(d.poly.centroid.coords[0]),
                )
            )
        self.compounds = tuple(compounds)
        id_of = {k: compounds[no].id for no, k in enumerate(order)}
        gaps: list[DeliberateGap] = []
        for category, text, xy, radius, threshold in self.gaps_raw:
            inside = [
                k
                for k, d in enumerate(drafts)
                if max(math.dist(self.net.xy[g - 1], xy) for g in d.gate_ids) + threshold < radius
            ]
            gaps.append(
                DeliberateGap(
                    category=category,
                    description=text,
                    centre=self.lonlat(xy),
                    radius_m=round(radius, 1),
                    threshold_m=threshold,
                    compound_ids=tuple(sorted(id_of[k] for k in inside)),
                )
            )
        self.gaps = tuple(gaps)
        self.facilities_out = tuple(
            Facility(
                id=f"F{no + 1:04d}",
                name=name,
                category=category,
                lon=self.lonlat(xy)[0],
                lat=self.lonlat(xy)[1],
                community_code=self.cm_rows[self.community_of(xy)][0],
            )
            for no, (category, name, xy) in enumerate(self.fac)
        )


def _write_pbf(path: Path, b: _Builder) -> tuple[int, int, tuple[float, float, float, float]]:
    used = sorted({n for _, _, nodes, _ in b.ways for n in nodes})
    lon = np.empty(len(used))
    lat = np.empty(len(used))
    if path.exists():
        path.unlink()
    writer = osmium.SimpleWriter(str(path))
    try:
        for k, nid in enumerate(used):
            ll = b.lonlat(b.net.xy[nid - 1])
            lon[k], lat[k] = ll
            writer.add_node(
                mutable.Node(id=nid, location=ll, tags=b.net.node_tags.get(nid, {}), version=1)
            )
        for wid, tags, nodes, _ in b.ways:
            writer.add_way(mutable.Way(id=wid, nodes=nodes, tags=tags, version=1))
    finally:
        writer.close()
    bbox = (float(lon.min()), float(lat.min()), float(lon.max()), float(lat.max()))
    return len(used), len(b.ways), bbox


def _write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)


def _fmt(v: float) -> str:
    return f"{v:.7f}"


def _to_json(value: object) -> object:
    if isinstance(value, Path):
        return value.name
    if isinstance(value, tuple | list):
        return [_to_json(v) for v in value]
    if hasattr(value, "__dataclass_fields__"):
        return {k: _to_json(getattr(value, k)) for k in value.__dataclass_fields__}
    return value


def generate_district(out_dir: Path, *, seed: int = 7, size: str = "sample") -> SyntheticDistrict:
    """Generate the sample district 示例区 and write its files.

    Parameters
    ----------
    out_dir
        Directory to write into; created if missing. Existing files of the same names are
        replaced.
    seed
        Seed for ``numpy.random.default_rng``. The same seed and size give byte-identical
        CSV and JSON files and identical OSM content.
    size
        ``"sample"`` for the demo district (~120 compounds, under two seconds) or
        ``"large"`` for benchmarks (same style over 3 × 3 the area, ≥ 100,000 walkable nodes).

    Returns
    -------
    SyntheticDistrict
        Paths of the written files and everything they contain.

    Raises
    ------
    ValueError
        If ``size`` is unknown.

    Notes
    -----
    Files written:

    ``district.osm.pbf``
        Streets and paths: nodes (gates tagged ``barrier=gate``) then ways, ids from 1.
    ``compounds.csv``
        ``id,name,lon,lat,population,households,community,subdistrict`` — one row per
        gate, so a compound with three gates has three rows with the same id, population and
        households; ``community`` and ``subdistrict`` are codes.
    ``facilities.csv``
        ``id,name,category,lon,lat``.
    ``district.json``
        Everything in the returned object, with ``"sample": true`` and a note.
    """
    if size not in _SPECS:
        raise ValueError(f"unknown size {size!r}; expected one of {sorted(_SPECS)}")
    spec = _SPECS[size]
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    b = _Builder(spec, seed)
    b.grid()
    b.irregular_streets()
    b.non_walkable()
    b.blocks()
    b.hierarchy()
    b.parks_and_compounds()
    b.compound_details()
    b.materialise()
    b.facilities()
    b.result_objects()

    pbf = out_dir / "district.osm.pbf"
    node_count, way_count, bbox = _write_pbf(pbf, b)
    sd_of = {c.code: c.subdistrict_code for c in b.communities}
    compounds_csv = out_dir / "compounds.csv"
    _write_csv(
        compounds_csv,
        ("id", "name", "lon", "lat", "population", "households", "community", "subdistrict"),
        (
            (
                c.id,
                c.name,
                _fmt(g[0]),
                _fmt(g[1]),
                c.population,
                c.households,
                c.community_code,
                sd_of[c.community_code],
            )
            for c in b.compounds
            for g in c.gates
        ),
    )
    facilities_csv = out_dir / "facilities.csv"
    _write_csv(
        facilities_csv,
        ("id", "name", "category", "lon", "lat"),
        ((f.id, f.name, f.category, _fmt(f.lon), _fmt(f.lat)) for f in b.facilities_out),
    )
    centre = b.lonlat(b.frame.centroid.coords[0])
    fragment_ids = tuple(wid for wid, _, _, role in b.ways if role == "fragment")
    non_walkable = tuple(
        wid for wid, tags, _, _ in b.ways if "highway" in tags and not is_walkable(tags)
    )
    district = SyntheticDistrict(
        pbf_path=pbf,
        compounds_csv=compounds_csv,
        facilities_csv=facilities_csv,
        json_path=out_dir / "district.json",
        code=DISTRICT_CODE,
        name=DISTRICT_NAME,
        seed=seed,
        size=size,
        subdistricts=b.subdistricts,
        communities=b.communities,
        grids=b.grids,
        compounds=b.compounds,
        facilities=b.facilities_out,
        bbox=bbox,
        centre=centre,
        node_count=node_count,
        way_count=way_count,
        walkable_node_count=b.walk_node_count,
        fragment_way_ids=fragment_ids,
        non_walkable_way_ids=non_walkable,
        gaps=b.gaps,
    )
    doc: dict[str, object] = {
        "sample": True,
        "note": SAMPLE_NOTE,
        "modelled_on": "长治市上党区 新晋邻·乐宜居",
        "generator": "linli.sample.district",
    }
    body = _to_json(district)
    assert isinstance(body, dict)
    doc.update(body)
    district.json_path.write_text(
        json.dumps(doc, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
    return district
