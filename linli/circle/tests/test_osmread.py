"""Reading the ways of an OSM file, directly and in a forked child.

The fork tests run in a fresh interpreter, as the command line does: a test process may have
threads (a fork copies only the calling one), and the command line forks before it has any.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from array import array
from collections.abc import Callable
from pathlib import Path

import pytest

from linli.circle import osmread
from linli.circle.osmread import read_ways, read_ways_in_background

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


def python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def test_read_ways_gives_ids_coordinates_and_pieces(pbf_writer: Callable[..., Path]) -> None:
    raw = read_ways(pbf_writer(NODES, WAYS))
    assert (raw.ways_read, raw.ways_walkable, raw.missing_locations) == (3, 2, 1)
    assert array("q", raw.refs).tolist() == [1, 2, 6, 3, 2, 4]
    assert array("q", raw.counts).tolist() == [4, 2]
    coords = array("d", raw.coords).tolist()
    assert coords[:2] == pytest.approx(NODES[1], abs=1e-7)
    assert coords[-2:] == pytest.approx(NODES[4], abs=1e-7)


def test_the_background_read_equals_the_direct_one(pbf_writer: Callable[..., Path]) -> None:
    path = pbf_writer(NODES, WAYS)
    proc = python(
        f"""
        import os
        from linli.circle.osmread import read_ways, read_ways_in_background
        pending = read_ways_in_background({str(path)!r})
        forked = pending._pid is not None
        assert pending.result() == read_ways({str(path)!r})
        try:
            os.waitpid(-1, os.WNOHANG)
            print(forked, "a child is left")
        except ChildProcessError:
            print(forked, "no child left")
        """
    )
    assert proc.returncode == 0, proc.stderr
    forked = len(os.sched_getaffinity(0)) >= 2 if hasattr(os, "sched_getaffinity") else True
    assert proc.stdout.split() == [str(forked), "no", "child", "left"]
    assert "fork" not in proc.stderr  # no warning about forking a threaded process


def test_a_cancelled_read_leaves_no_child(pbf_writer: Callable[..., Path]) -> None:
    path = pbf_writer(NODES, WAYS)
    proc = python(
        f"""
        import os
        from linli.circle.osmread import read_ways_in_background
        read_ways_in_background({str(path)!r}).cancel()
        try:
            os.waitpid(-1, os.WNOHANG)
            print("a child is left")
        except ChildProcessError:
            print("none")
        """
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "none"


def test_a_bad_file_read_in_the_background_raises_what_a_direct_read_raises(
    tmp_path: Path,
) -> None:
    bad = tmp_path / "bad.osm.pbf"
    bad.write_bytes(b"this is not a pbf")
    proc = python(
        f"""
        from linli.circle.graph import read_pbf
        from linli.circle.io import CircleInputError
        from linli.circle.osmread import read_ways_in_background
        try:
            read_pbf({str(bad)!r}, pending=read_ways_in_background({str(bad)!r}))
        except CircleInputError as exc:
            print(exc)
        """
    )
    assert proc.returncode == 0, proc.stderr
    assert "bad.osm.pbf: it is not a readable OSM file" in proc.stdout


def test_without_fork_the_file_is_read_when_asked(
    pbf_writer: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = pbf_writer(NODES, WAYS)
    monkeypatch.delattr(os, "fork")
    pending = read_ways_in_background(path)
    assert pending._pid is None
    assert pending.result() == read_ways(path)


def test_one_cpu_reads_in_process(
    pbf_writer: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = pbf_writer(NODES, WAYS)
    monkeypatch.setattr(osmread, "_usable_cpus", lambda: 1)
    assert read_ways_in_background(path)._pid is None
