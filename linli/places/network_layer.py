"""The resident map's base layer when no tile server is configured: the district's own streets.

``settings.LINLI_TILE_URL`` is empty by default (a district's intranet often has no tile server,
and public Chinese tile services need keys and use GCJ-02). The street network the living-circle
engine walks on is already loaded as an OSM ``.pbf`` (``District.network_file``), so the map draws
that: highways become a compact GeoJSON — one MultiLineString per road class and name, arterials
drawn thicker, footways thin, and label points for the named main roads — that Leaflet paints with
its canvas renderer.

Reading a real district's .pbf takes seconds, so the layer is built once and kept on disk in
``settings.VAR_DIR / "cache"``, keyed by the SHA-256 of the .pbf and this module's format version;
the URL carries the same key, so browsers may keep it for a year (``immutable``).
"""

from __future__ import annotations

import gzip
import hashlib
import itertools
import json
import math
import os
import tempfile
import threading
from collections import defaultdict
from pathlib import Path
from typing import Any

import osmium
from django.conf import settings

# Bump when the GeoJSON layout below changes, so cached layers are rebuilt.
FORMAT_VERSION = 1

# Road class by OSM highway value: a = arterial, b = collector, c = local, f = foot.
ROAD_CLASS: dict[str, str] = {
    **dict.fromkeys(
        (
            "motorway",
            "trunk",
            "primary",
            "secondary",
            "motorway_link",
            "trunk_link",
            "primary_link",
            "secondary_link",
        ),
        "a",
    ),
    **dict.fromkeys(("tertiary", "tertiary_link"), "b"),
    **dict.fromkeys(("residential", "unclassified", "living_street", "service", "road"), "c"),
    **dict.fromkeys(
        ("footway", "path", "pedestrian", "steps", "cycleway", "track", "corridor", "bridleway"),
        "f",
    ),
}
# Classes whose names are shown on the map ("names for the main roads").
LABELLED = {"a", "b"}
# One label per this many metres of a named road, so long roads stay readable when zoomed in.
LABEL_SPACING_M = 700.0
PRECISION = 5  # decimal degrees: about 1 m

_digests: dict[str, tuple[int, int, str]] = {}
_build_lock = threading.Lock()


_resolved: dict[tuple[str, str], Path] = {}


def network_path(network_file: str) -> Path | None:
    """The district's .pbf under LINLI_NETWORK_DIR, or None (unset, missing, or outside it).

    Found paths are remembered: resolving costs more syscalls than a whole cached page view.
    """
    if not network_file:
        return None
    key = (str(settings.LINLI_NETWORK_DIR), network_file)
    known = _resolved.get(key)
    if known is not None:
        return known
    base = Path(settings.LINLI_NETWORK_DIR).resolve()
    path = (base / network_file).resolve()
    if base != path and base not in path.parents:
        return None
    if not path.is_file():
        return None
    _resolved[key] = path
    return path


def file_digest(path: Path) -> str:
    """SHA-256 of the file, remembered per (size, mtime) so a page view costs one stat()."""
    try:
        st = path.stat()
    except FileNotFoundError:
        _resolved.clear()  # the file went away: resolve again next time
        raise
    known = _digests.get(str(path))
    if known and known[0] == st.st_size and known[1] == st.st_mtime_ns:
        return known[2]
    sha = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            sha.update(block)
    digest = f"{sha.hexdigest()[:24]}v{FORMAT_VERSION}"
    _digests[str(path)] = (st.st_size, st.st_mtime_ns, digest)
    return digest


def cache_dir() -> Path:
    return Path(settings.VAR_DIR) / "cache"


def layer_file(path: Path) -> Path:
    """The cached gzip-compressed GeoJSON of ``path``'s streets, built if missing."""
    digest = file_digest(path)
    target = cache_dir() / f"network-{digest}.geojson.gz"
    if target.exists():
        return target
    with _build_lock:
        if target.exists():
            return target
        layer = build_layer(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        data = json.dumps(layer, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        # Write to a temporary file and rename, so concurrent workers never serve half a file.
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".network-", suffix=".tmp")
        try:
            with (
                os.fdopen(fd, "wb") as raw,
                gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, compresslevel=6) as gz,
            ):
                gz.write(data)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    return target


def _length_m(coords: list[tuple[float, float]]) -> float:
    total = 0.0
    for (lon1, lat1), (lon2, lat2) in itertools.pairwise(coords):
        kx = 111_320.0 * math.cos(math.radians((lat1 + lat2) / 2))
        total += math.hypot((lon2 - lon1) * kx, (lat2 - lat1) * 110_540.0)
    return total


def _points_along(coords: list[tuple[float, float]], every_m: float) -> list[tuple[float, float]]:
    """Label positions: the middle of a short road, or every ``every_m`` metres of a long one."""
    length = _length_m(coords)
    if length < 150:
        return []
    count = max(1, int(length // every_m))
    wanted = [length * (i + 0.5) / count for i in range(count)]
    points: list[tuple[float, float]] = []
    walked = 0.0
    for (lon1, lat1), (lon2, lat2) in itertools.pairwise(coords):
        step = _length_m([(lon1, lat1), (lon2, lat2)])
        while wanted and step > 0 and walked + step >= wanted[0]:
            f = (wanted.pop(0) - walked) / step
            points.append((lon1 + f * (lon2 - lon1), lat1 + f * (lat2 - lat1)))
        walked += step
    return points


def build_layer(path: Path) -> dict[str, Any]:
    """Read the highways of an OSM file into the compact GeoJSON the map draws.

    Features: ``{"k": class, "n": name}`` MultiLineStrings (one per class and name; names only
    for arterials and collectors) and ``{"k": "label", "n": name, "c": class}`` Points.
    """
    lines: dict[tuple[str, str], list[list[list[float]]]] = defaultdict(list)
    labels: list[tuple[str, str, tuple[float, float]]] = []
    processor = osmium.FileProcessor(str(path), osmium.osm.NODE | osmium.osm.WAY).with_locations()
    for obj in processor:
        if not isinstance(obj, osmium.osm.Way):
            continue
        road_class = ROAD_CLASS.get(obj.tags.get("highway") or "")
        if road_class is None or obj.tags.get("area") == "yes":
            continue
        coords: list[tuple[float, float]] = []
        for node in obj.nodes:
            if node.location.valid():
                coords.append((node.location.lon, node.location.lat))
        if len(coords) < 2:
            continue
        name = (obj.tags.get("name") or "") if road_class in LABELLED else ""
        lines[(road_class, name)].append(
            [[round(lon, PRECISION), round(lat, PRECISION)] for lon, lat in coords]
        )
        if name:
            labels.extend((name, road_class, p) for p in _points_along(coords, LABEL_SPACING_M))

    order = {"f": 0, "c": 1, "b": 2, "a": 3}  # draw foot paths first, arterials on top
    features: list[dict[str, Any]] = [
        {
            "type": "Feature",
            "properties": {"k": road_class, "n": name} if name else {"k": road_class},
            "geometry": {"type": "MultiLineString", "coordinates": parts},
        }
        for (road_class, name), parts in sorted(
            lines.items(), key=lambda kv: (order[kv[0][0]], kv[0][1])
        )
    ]
    # Drop labels of the same road closer than half the spacing (ways split at junctions).
    kept: list[tuple[str, str, tuple[float, float]]] = []
    by_name: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for name, road_class, point in labels:
        if any(_length_m([p, point]) < LABEL_SPACING_M / 2 for p in by_name[name]):
            continue
        by_name[name].append(point)
        kept.append((name, road_class, point))
    features.extend(
        {
            "type": "Feature",
            "properties": {"k": "label", "n": name, "c": road_class},
            "geometry": {
                "type": "Point",
                "coordinates": [round(point[0], PRECISION), round(point[1], PRECISION)],
            },
        }
        for name, road_class, point in kept
    )
    return {"type": "FeatureCollection", "features": features}
