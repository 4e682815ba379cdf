"""十分钟生活圈 — the ten-minute living-circle engine.

A library with no Django import: typed functions over numpy arrays that read a walking
network from OpenStreetMap, snap compounds' gates and facilities onto it, and compute exact
walking distances, coverage, gaps against the standards, isochrones and an offline map.
Submodules are imported lazily so that ``import linli.circle`` stays cheap.

The pipeline a planner's program calls (and the command line prints and writes) is in
:mod:`.analysis`: :func:`load_district`, :func:`analyse`, :func:`site`; the files are written
by :mod:`.outputs`.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .access import (
        AccessResult,
        PointNetwork,
        build_point_network,
        coverage_matrix,
        multi_source,
        nearest_facilities,
    )
    from .analysis import (
        Analysis,
        District,
        ProposedSite,
        Siting,
        SitingReport,
        UnsnappedPoint,
        analyse,
        load_district,
        site,
    )
    from .coverage import CoverageBlock, CoverageRow, coverage_blocks, coverage_table
    from .gaps import (
        Gap,
        GapBlock,
        Rule,
        find_gaps,
        gap_blocks,
        load_rules,
        summarise_gaps,
        write_rules,
    )
    from .graph import GraphReport, WalkGraph, build_graph, load_graph, read_pbf
    from .io import (
        CircleInputError,
        Compounds,
        Facilities,
        gcj02_to_wgs84,
        read_compounds,
        read_facilities,
        read_points,
    )
    from .isochrones import isochrone_features
    from .mapview import render_map
    from .osmread import RawWays, read_ways
    from .outputs import write_outputs, write_sites
    from .snap import Snapped, snap_points

_EXPORTS = {
    "Analysis": "analysis",
    "District": "analysis",
    "ProposedSite": "analysis",
    "Siting": "analysis",
    "SitingReport": "analysis",
    "UnsnappedPoint": "analysis",
    "analyse": "analysis",
    "load_district": "analysis",
    "site": "analysis",
    "write_outputs": "outputs",
    "write_sites": "outputs",
    "AccessResult": "access",
    "PointNetwork": "access",
    "build_point_network": "access",
    "coverage_matrix": "access",
    "multi_source": "access",
    "nearest_facilities": "access",
    "CoverageBlock": "coverage",
    "CoverageRow": "coverage",
    "coverage_blocks": "coverage",
    "coverage_table": "coverage",
    "Gap": "gaps",
    "GapBlock": "gaps",
    "Rule": "gaps",
    "find_gaps": "gaps",
    "gap_blocks": "gaps",
    "load_rules": "gaps",
    "summarise_gaps": "gaps",
    "write_rules": "gaps",
    "GraphReport": "graph",
    "WalkGraph": "graph",
    "build_graph": "graph",
    "load_graph": "graph",
    "read_pbf": "graph",
    "CircleInputError": "io",
    "Compounds": "io",
    "Facilities": "io",
    "gcj02_to_wgs84": "io",
    "read_compounds": "io",
    "read_facilities": "io",
    "read_points": "io",
    "isochrone_features": "isochrones",
    "render_map": "mapview",
    "RawWays": "osmread",
    "read_ways": "osmread",
    "Snapped": "snap",
    "snap_points": "snap",
}

__all__ = [
    "AccessResult",
    "Analysis",
    "CircleInputError",
    "Compounds",
    "CoverageBlock",
    "CoverageRow",
    "District",
    "Facilities",
    "Gap",
    "GapBlock",
    "GraphReport",
    "PointNetwork",
    "ProposedSite",
    "RawWays",
    "Rule",
    "Siting",
    "SitingReport",
    "Snapped",
    "UnsnappedPoint",
    "WalkGraph",
    "analyse",
    "build_graph",
    "build_point_network",
    "coverage_blocks",
    "coverage_matrix",
    "coverage_table",
    "find_gaps",
    "gap_blocks",
    "gcj02_to_wgs84",
    "isochrone_features",
    "load_district",
    "load_graph",
    "load_rules",
    "multi_source",
    "nearest_facilities",
    "read_compounds",
    "read_facilities",
    "read_pbf",
    "read_points",
    "read_ways",
    "render_map",
    "site",
    "snap_points",
    "summarise_gaps",
    "write_outputs",
    "write_rules",
    "write_sites",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'linli.circle' has no attribute {name!r}")
    return getattr(importlib.import_module(f".{module}", __name__), name)
