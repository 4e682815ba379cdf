"""Reading the walkable ways of an OSM file into flat buffers."""

from __future__ import annotations

from array import array
from collections.abc import Callable
from pathlib import Path

import pytest

from linli.circle.osmread import read_ways

NODES = {
    1: (116.4000, 39.9000),
    2: (116.4010, 39.9000),
    3: (116.4020, 39.9000),
    4: (116.4010, 39.9010),
    6: (116.4015, 39.9000),
}
WAYS = [
    (10, [1, 2, 6, 3, 5], {"highway": "residential"}),  # node 5 is not in the file
    (11, [2, 4], {"highway": "footway"}),
    (12, [1, 4], {"highway": "motorway"}),  # not walkable
]


def test_read_ways_gives_ids_coordinates_and_pieces(pbf_writer: Callable[..., Path]) -> None:
    raw = read_ways(pbf_writer(NODES, WAYS))
    assert (raw.ways_read, raw.ways_walkable, raw.missing_locations) == (3, 2, 1)
    assert array("q", raw.refs).tolist() == [1, 2, 6, 3, 2, 4]
    assert array("q", raw.counts).tolist() == [4, 2]
    coords = array("d", raw.coords).tolist()
    assert coords[:2] == pytest.approx(NODES[1], abs=1e-7)
    assert coords[-2:] == pytest.approx(NODES[4], abs=1e-7)
