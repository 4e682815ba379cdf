"""What the sample district generator returns: the hierarchy, compounds, facilities and the
deliberate gaps, with the paths of the files it wrote."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ._base import LonLat

# ---------------------------------------------------------------------------------------------
# Public result types


@dataclass(frozen=True)
class Subdistrict:
    """街道 — a subdistrict of the sample district.

    Attributes
    ----------
    code
        Hierarchical code: the district code plus two digits.
    name
        Chinese name, e.g. ``南苑街道``.
    polygon
        Exterior ring as (lon, lat) pairs, not closed (first vertex not repeated).
    """

    code: str
    name: str
    polygon: tuple[LonLat, ...]


@dataclass(frozen=True)
class Community:
    """社区 — a residents' committee area.

    Attributes
    ----------
    code
        The subdistrict code plus three digits.
    name
        Chinese name, e.g. ``幸福里社区``.
    subdistrict_code
        Code of the parent subdistrict.
    polygon
        Exterior ring as (lon, lat) pairs, not closed.
    """

    code: str
    name: str
    subdistrict_code: str
    polygon: tuple[LonLat, ...]


@dataclass(frozen=True)
class Grid:
    """网格 — the smallest management cell, a few compounds of one community.

    Attributes
    ----------
    code
        The community code plus two digits.
    name
        Chinese name, e.g. ``幸福里社区第一网格``.
    community_code
        Code of the parent community.
    """

    code: str
    name: str
    community_code: str


@dataclass(frozen=True)
class Compound:
    """小区 — a gated residential compound.

    Attributes
    ----------
    id
        Stable id such as ``C0001``.
    name
        Chinese name, e.g. ``阳光苑``.
    community_code, grid_code
        The community and grid the compound belongs to.
    population, households
        Residents and households (population ≈ households × 2.6–2.9).
    gates
        (lon, lat) of each gate; every gate is a node of the walkable network.
    gate_node_ids
        OSM node ids of the gates, in the order of ``gates``.
    polygon
        Exterior ring as (lon, lat) pairs, not closed.
    centroid
        (lon, lat) of the polygon's centroid.
    """

    id: str
    name: str
    community_code: str
    grid_code: str
    population: int
    households: int
    gates: tuple[LonLat, ...]
    gate_node_ids: tuple[int, ...]
    polygon: tuple[LonLat, ...]
    centroid: LonLat


@dataclass(frozen=True)
class Facility:
    """设施 — a facility of one of the canonical categories.

    Attributes
    ----------
    id
        Stable id such as ``F0001``.
    name
        Chinese name.
    category
        A code from ``data/categories.csv``.
    lon, lat
        WGS-84 position, within ~25 m of a walkable way of the main network.
    community_code
        The community whose polygon contains the facility.
    """

    id: str
    name: str
    category: str
    lon: float
    lat: float
    community_code: str


@dataclass(frozen=True)
class DeliberateGap:
    """缺口 — a hole left on purpose so that gap analysis has something to find.

    Attributes
    ----------
    category
        The category kept away.
    description
        What was left out, in English.
    centre
        (lon, lat) of the zone kept free of the category.
    radius_m
        No facility of ``category`` lies within this straight-line distance of ``centre``.
    threshold_m
        The walking distance the category should be within (GB 50180-2018 style).
    compound_ids
        Compounds whose every gate lies more than ``threshold_m`` inside the zone, so none
        has the category within ``threshold_m`` even in a straight line: gap analysis must
        report these.
    """

    category: str
    description: str
    centre: LonLat
    radius_m: float
    threshold_m: float
    compound_ids: tuple[str, ...]


@dataclass(frozen=True)
class SyntheticDistrict:
    """A generated sample district: where its files are and what they contain.

    Attributes
    ----------
    pbf_path, compounds_csv, facilities_csv, json_path
        The files written into ``out_dir``.
    code, name, seed, size
        Identity of the generated district.
    subdistricts, communities, grids, compounds, facilities
        The hierarchy and places, in id order.
    bbox
        (min lon, min lat, max lon, max lat) over all OSM nodes.
    centre
        (lon, lat) of the district's centroid.
    node_count, way_count
        OSM nodes and ways in the .pbf.
    walkable_node_count
        Nodes referenced by walkable ways (the graph size the engine sees, before it drops
        small components).
    fragment_way_ids
        Walkable ways deliberately disconnected from the rest.
    non_walkable_way_ids
        Ways with a ``highway`` tag that the walk filter excludes.
    gaps
        The deliberate facility gaps.
    """

    pbf_path: Path
    compounds_csv: Path
    facilities_csv: Path
    json_path: Path
    code: str
    name: str
    seed: int
    size: str
    subdistricts: tuple[Subdistrict, ...]
    communities: tuple[Community, ...]
    grids: tuple[Grid, ...]
    compounds: tuple[Compound, ...]
    facilities: tuple[Facility, ...]
    bbox: tuple[float, float, float, float]
    centre: LonLat
    node_count: int
    way_count: int
    walkable_node_count: int
    fragment_way_ids: tuple[int, ...]
    non_walkable_way_ids: tuple[int, ...]
    gaps: tuple[DeliberateGap, ...]
