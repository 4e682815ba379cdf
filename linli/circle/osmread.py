"""The walkable ways of an OSM file, read with pyosmium into flat buffers -- and, for the
command line, read in a child process while the parent loads everything else.

Nothing here imports numpy: :func:`read_ways` returns plain ``bytes`` (native int64 node ids,
float64 lon/lat pairs, int64 vertex counts per way) that :mod:`.graph` views as arrays.  That
keeps the child of :func:`read_ways_in_background` light: forked before the parent imports
numpy, scipy and shapely (0.15-0.2 s on the machines we measured), it imports only pyosmium
and has usually finished reading a district's extract by the time the parent needs the graph.
The parent then spends only the transfer of the buffers through a pipe.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import struct
import sys
from array import array
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    import osmium.osm

__all__ = ["PendingWays", "RawWays", "is_walkable", "read_ways", "read_ways_in_background"]

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
    order.
    """

    refs: bytes
    coords: bytes
    counts: bytes
    ways_read: int
    ways_walkable: int
    missing_locations: int


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
                    run = 0
        if run:
            counts.append(run)
    return RawWays(
        refs.tobytes(),
        coords.tobytes(),
        counts.tobytes(),
        ways_read,
        ways_walkable,
        missing,
    )


# What the child sends: the byte lengths of refs, coords and counts and the three tallies, then
# the three buffers as they are (no pickle: a province's extract would be copied once more).
_HEADER = struct.Struct("=6q")


class PendingWays:
    """The ways of one file being read by :func:`read_ways_in_background`."""

    def __init__(self, path: str | Path, pid: int | None, fd: int | None) -> None:
        self.path = path
        self._pid = pid
        self._fd = fd

    def result(self) -> RawWays:
        """The ways, waiting for the child if it has not finished.  If the child failed in any
        way the file is read here, so a bad file raises exactly what :func:`read_ways` raises.
        """
        pid, fd = self._pid, self._fd
        self._pid = self._fd = None
        if pid is None or fd is None:
            return read_ways(self.path)
        ways = None
        with os.fdopen(fd, "rb") as fh:
            head = fh.read(_HEADER.size)
            if len(head) == _HEADER.size:
                *sizes, ways_read, ways_walkable, missing = _HEADER.unpack(head)
                refs, coords, counts = (fh.read(n) for n in sizes)
                if [len(refs), len(coords), len(counts)] == sizes:
                    ways = RawWays(refs, coords, counts, ways_read, ways_walkable, missing)
        _, status = os.waitpid(pid, 0)
        if ways is not None and os.waitstatus_to_exitcode(status) == 0:
            return ways
        return read_ways(self.path)

    def cancel(self) -> None:
        """Stop the child (when the graph came from a cache, or the run ended early)."""
        pid, fd = self._pid, self._fd
        self._pid = self._fd = None
        if fd is not None:
            os.close(fd)
        if pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)


def read_ways_in_background(path: str | Path) -> PendingWays:
    """Start reading *path* in a forked child; :meth:`PendingWays.result` collects the ways.

    Call it early, before the process imports numpy or starts any thread (a fork copies only
    the calling thread).  Where ``fork`` is missing (Windows) or only one CPU is available the
    file is simply read when the result is asked for.
    """
    if not hasattr(os, "fork") or _usable_cpus() < 2:
        return PendingWays(path, None, None)
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: read, send, and leave without running the parent's exit code
        code = 1
        try:
            os.close(read_fd)
            ways = read_ways(path)
            with os.fdopen(write_fd, "wb") as fh:
                fh.write(
                    _HEADER.pack(
                        len(ways.refs),
                        len(ways.coords),
                        len(ways.counts),
                        ways.ways_read,
                        ways.ways_walkable,
                        ways.missing_locations,
                    )
                )
                for buffer in (ways.refs, ways.coords, ways.counts):
                    fh.write(buffer)
            code = 0
        except BaseException:
            pass  # whatever the failure, the parent reads the file itself and reports it
        finally:
            os._exit(code)
    os.close(write_fd)
    return PendingWays(path, pid, read_fd)


def _usable_cpus() -> int:
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1
