"""The map's base layer drawn from the district's own OSM street network."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import osmium
import pytest
from django.test import Client
from django.urls import reverse
from osmium.osm import mutable

from linli.places import network_layer, queries
from tests.personas import Hierarchy


def write_pbf(path: Path) -> Path:
    """A tiny town: an arterial with a name, a residential street, a footway and a river."""
    nodes = {
        1: (113.060, 36.180),
        2: (113.070, 36.180),
        3: (113.080, 36.180),
        4: (113.070, 36.185),
        5: (113.071, 36.185),
        6: (113.060, 36.19),
        7: (113.08, 36.19),
    }
    writer = osmium.SimpleWriter(str(path))
    try:
        for nid, (lon, lat) in nodes.items():
            writer.add_node(mutable.Node(id=nid, location=(lon, lat), version=1))
        writer.add_way(
            mutable.Way(
                id=10, nodes=[1, 2, 3], version=1, tags={"highway": "primary", "name": "建设路"}
            )
        )
        writer.add_way(
            mutable.Way(
                id=11, nodes=[2, 4], version=1, tags={"highway": "residential", "name": "幸福巷"}
            )
        )
        writer.add_way(mutable.Way(id=12, nodes=[4, 5], version=1, tags={"highway": "footway"}))
        writer.add_way(mutable.Way(id=13, nodes=[6, 7], version=1, tags={"waterway": "river"}))
    finally:
        writer.close()
    return path


@pytest.fixture
def network_dir(settings: Any, tmp_path: Path) -> Path:
    settings.LINLI_NETWORK_DIR = tmp_path / "networks"
    settings.VAR_DIR = tmp_path / "var"
    settings.LINLI_TILE_URL = ""
    (tmp_path / "networks").mkdir()
    write_pbf(tmp_path / "networks" / "town.osm.pbf")
    return tmp_path / "networks"


def test_it_draws_highways_by_class_with_names_only_for_main_roads(network_dir: Path) -> None:
    layer = network_layer.build_layer(network_dir / "town.osm.pbf")
    lines = {
        (f["properties"]["k"], f["properties"].get("n")): f
        for f in layer["features"]
        if f["geometry"]["type"] == "MultiLineString"
    }
    assert set(lines) == {("a", "建设路"), ("c", None), ("f", None)}  # the river is not a road
    assert lines[("a", "建设路")]["geometry"]["coordinates"] == [
        [[113.06, 36.18], [113.07, 36.18], [113.08, 36.18]]
    ]
    labels = [f["properties"]["n"] for f in layer["features"] if f["properties"]["k"] == "label"]
    assert labels == ["建设路", "建设路"]  # about 1.8 km long: one label per 700 m


def test_it_caches_the_layer_on_disk_keyed_by_the_files_hash(network_dir: Path) -> None:
    pbf = network_dir / "town.osm.pbf"
    first = network_layer.layer_file(pbf)
    assert first.parent.name == "cache"
    assert network_layer.file_digest(pbf) in first.name
    assert json.loads(gzip.decompress(first.read_bytes()))["type"] == "FeatureCollection"
    assert network_layer.layer_file(pbf) == first


def test_it_refuses_files_outside_the_network_folder(network_dir: Path) -> None:
    assert network_layer.network_path("../var/anything.pbf") is None
    assert network_layer.network_path("missing.osm.pbf") is None
    assert network_layer.network_path("") is None
    assert network_layer.network_path("town.osm.pbf") == (network_dir / "town.osm.pbf").resolve()


def test_the_layer_is_served_with_long_cache_headers(
    client: Client, hierarchy: Hierarchy, network_dir: Path
) -> None:
    hierarchy.district.network_file = "town.osm.pbf"
    hierarchy.district.save()
    digest = network_layer.file_digest(network_dir / "town.osm.pbf")
    url = reverse("resident:network", kwargs={"code": hierarchy.district.code, "digest": digest})
    assert url in client.get("/").content.decode()

    response = client.get(url, headers={"accept-encoding": "gzip"})
    assert response.status_code == 200
    assert response["Cache-Control"] == "public, max-age=31536000, immutable"
    assert response["Content-Encoding"] == "gzip"
    body = json.loads(gzip.decompress(b"".join(response.streaming_content)))  # type: ignore[attr-defined]  # a streaming response
    assert body["type"] == "FeatureCollection"

    plain = client.get(url)
    assert json.loads(plain.content)["type"] == "FeatureCollection"


def test_an_old_hash_redirects_and_an_unknown_district_is_404(
    client: Client, hierarchy: Hierarchy, network_dir: Path
) -> None:
    hierarchy.district.network_file = "town.osm.pbf"
    hierarchy.district.save()
    old = reverse("resident:network", kwargs={"code": hierarchy.district.code, "digest": "old"})
    assert client.get(old).status_code == 302
    other = reverse("resident:network", kwargs={"code": "NOPE", "digest": "x"})
    assert client.get(other).status_code == 404


def test_with_a_tile_server_the_page_uses_tiles_not_the_network(
    client: Client, hierarchy: Hierarchy, network_dir: Path, settings: Any
) -> None:
    hierarchy.district.network_file = "town.osm.pbf"
    hierarchy.district.save()
    settings.LINLI_TILE_URL = "https://tiles.example.org/{z}/{x}/{y}.png"
    queries.clear_caches()
    html = client.get("/").content.decode()
    assert "tiles.example.org" in html
    assert "/map/network/" not in html
