"""The walkable ways of an OSM file, read with pyosmium into flat buffers.

:func:`read_ways` returns plain ``bytes`` (native int64 node ids, float64 lon/lat pairs, int64
vertex counts per way) that :mod:`.graph` views as numpy arrays without a copy.
"""

from __future__ import annotations

import re
import sys
from array import array
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    import osmium.osm

__all__ = ["RawWays", "is_walkable", "read_ways"]

# OSMnx 2.1 ``_overpass._get_network_filter("walk")`` with ``settings.default_access``.
# Overpass ``!~`` is an unanchored, case-sensitive regex test, so we use ``re.search``.
_WALK_EXCLUDE: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("area", re.compile("yes")),
    ("access", re.compile("private")),
    (
        "highway",
        re.compile(
            "abandoned|bus_guideway|construction|cycleway|motor|no|planned|"
            "platform|proposed|raceway|razed|rest_area|services"
        ),
    ),
    ("foot", re.compile("no")),
    ("service", re.compile("private")),
    ("sidewalk", re.compile("separate")),
    ("sidewalk:both", re.compile("separate")),
    ("sidewalk:left", re.compile("separate")),
    ("sidewalk:right", re.compile("separate")),
)


def is_walkable(tags: Mapping[str, str] | osmium.osm.TagList) -> bool:
    """Whether a way's tags pass OSMnx's ``walk`` network filter.

    Parameters
    ----------
    tags
        The way's OSM tags.

    Returns
    -------
    bool
        True if the way has a ``highway`` tag and no excluding tag value.
    """
    if "highway" not in tags:
        return False
    for key, pattern in _WALK_EXCLUDE:
        value = tags.get(key)
        if value is not None and pattern.search(value):
            return False
    return True


class RawWays(NamedTuple):
    """Walkable ways as flat buffers, in file order; ways clipped by the extract are split where
    their nodes are missing.

    ``refs`` holds the OSM id of each vertex (int64), ``coords`` its lon and lat (float64
    pairs) and ``counts`` the number of vertices of each piece (int64), all in native byte
    order; ``names`` the way's ``name`` tag of each piece (empty when it has none), so a
    point on the network can be named by the street it stands on.
    """

    refs: bytes
    coords: bytes
    counts: bytes
    ways_read: int
    ways_walkable: int
    missing_locations: int
    names: tuple[str, ...] = ()


def read_ways(path: str | Path) -> RawWays:
    """Read the walkable ways of an OSM file (``.pbf`` or any format libosmium reads).

    Raises
    ------
    RuntimeError, ValueError, OSError
        From libosmium for a file it cannot read.
    """
    import osmium  # Imported here: loading the C extension costs ~15 ms.

    refs = array("q")
    coords = array("d")
    counts = array("q")
    names: list[str] = []
    ways_read = ways_walkable = missing = 0
    # One WKB call per way fetches all its coordinates in C++; only the node ids need a
    # Python-level loop.  Ways with missing nodes take the slow path below.
    wkb = osmium.geom.WKBFactory()
    all_nodes = osmium.geom.use_nodes.ALL
    native = 1 if sys.byteorder == "little" else 0  # WKB's first byte: 1 = little-endian
    fp = (
        osmium.FileProcessor(str(path), osmium.osm.NODE | osmium.osm.WAY)
        .with_locations()
        .with_filter(osmium.filter.EntityFilter(osmium.osm.WAY))
        .with_filter(osmium.filter.KeyFilter("highway"))
    )
    for obj in fp:
        way: osmium.osm.Way = obj  # type: ignore[assignment]  # filtered to ways above
        ways_read += 1
        if not is_walkable(way.tags):
            continue
        ways_walkable += 1
        name = way.tags.get("name") or ""
        nodes = way.nodes
        n = len(nodes)
        try:
            raw = bytes.fromhex(wkb.create_linestring(nodes, use_nodes=all_nodes))
        except (osmium.InvalidLocationError, RuntimeError):
            raw = b""
        if len(raw) == 9 + 16 * n:
            if raw[0] == native:
                coords.frombytes(memoryview(raw)[9:])
            else:
                xy = array("d", raw[9:])
                xy.byteswap()
                coords.extend(xy)
            refs.extend([nd.ref for nd in nodes])
            counts.append(n)
            names.append(name)
            continue
        # A way clipped by the extract: break it where its nodes are missing.
        run = 0
        for nd in nodes:
            loc = nd.location
            if loc.valid():
                refs.append(nd.ref)
                coords.extend((loc.lon, loc.lat))
                run += 1
            else:
                missing += 1
                if run:
                    counts.append(run)
                    names.append(name)
                    run = 0
        if run:
            counts.append(run)
            names.append(name)
    return RawWays(
        refs.tobytes(),
        coords.tobytes(),
        counts.tobytes(),
        ways_read,
        ways_walkable,
        missing,
        tuple(names),
    )
