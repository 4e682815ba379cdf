"""Coordinate helpers for the places app: GCJ-02 (高德/腾讯 maps) to WGS-84 for single points.

Staff copy coordinates from Chinese web maps, which show GCJ-02 ("Mars coordinates"); we store
WGS-84 everywhere (the street network and the living-circle engine use it). The conversion itself
lives in the engine (``linli.circle.io``); this module gives the Django side a scalar API so the
importer and services do not depend on numpy arrays.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum

from linli.circle.io import gcj02_to_wgs84 as _gcj02_to_wgs84_array
from linli.circle.io import wgs84_to_gcj02 as _wgs84_to_gcj02_array


class CoordinateSystem(StrEnum):
    """The coordinate systems a sheet or a form may declare (column 坐标系)."""

    WGS84 = "WGS-84"
    GCJ02 = "GCJ-02"


# What people write in the 坐标系 column, normalised (upper case, no spaces/dashes).
_ALIASES = {
    "": CoordinateSystem.WGS84,
    "WGS84": CoordinateSystem.WGS84,
    "GPS": CoordinateSystem.WGS84,
    "天地图": CoordinateSystem.WGS84,
    "CGCS2000": CoordinateSystem.WGS84,  # differs from WGS-84 by centimetres
    "GCJ02": CoordinateSystem.GCJ02,
    "高德": CoordinateSystem.GCJ02,
    "腾讯": CoordinateSystem.GCJ02,
    "火星坐标": CoordinateSystem.GCJ02,
    "GCJ02(高德/腾讯)": CoordinateSystem.GCJ02,
    "GCJ02(高德、腾讯)": CoordinateSystem.GCJ02,
}


def parse_coordinate_system(text: str | None) -> CoordinateSystem | None:
    """The system named by ``text`` (empty means WGS-84), or None when it is not recognised.

    Baidu's BD-09 is deliberately not accepted: it needs a different conversion and silently
    treating it as GCJ-02 would misplace a station by hundreds of metres.
    """
    key = "".join((text or "").split()).upper().replace("-", "").replace("_", "")
    key = key.replace("（", "(").replace("）", ")")
    return _ALIASES.get(key)


def gcj02_to_wgs84(lon: float, lat: float) -> tuple[float, float]:
    """Convert one GCJ-02 point to WGS-84 (iterative inverse, sub-millimetre)."""
    wlon, wlat = _gcj02_to_wgs84_array([lon], [lat])
    return float(wlon[0]), float(wlat[0])


def wgs84_to_gcj02(lon: float, lat: float) -> tuple[float, float]:
    """Convert one WGS-84 point to GCJ-02 (for showing our points on a Chinese web map)."""
    glon, glat = _wgs84_to_gcj02_array([lon], [lat])
    return float(glon[0]), float(glat[0])


def to_wgs84(lon: float, lat: float, system: CoordinateSystem) -> tuple[float, float]:
    """The WGS-84 position of a point given in ``system``."""
    if system is CoordinateSystem.GCJ02:
        return gcj02_to_wgs84(lon, lat)
    return lon, lat


class Misplaced(StrEnum):
    """Why a point given for a district does not lie in it: what to tell the person who typed it."""

    SWAPPED = "swapped"  # longitude and latitude the other way round are in the district
    GCJ02 = "gcj02"  # given as WGS-84, but read as GCJ-02 it is in the district
    OUTSIDE = "outside"  # neither


def misplacement(
    contains: Callable[[float, float], bool], lon: float, lat: float, system: CoordinateSystem
) -> Misplaced:
    """Diagnose a point that ``contains`` (e.g. ``District.contains``) refused.

    Swapped columns are the commonest slip, so they are named first; then coordinates copied
    from a Chinese web map (高德/腾讯) into a sheet that says WGS-84.
    """
    if -90 <= lon <= 90 and -180 <= lat <= 180 and contains(*to_wgs84(lat, lon, system)):
        return Misplaced.SWAPPED
    if system is CoordinateSystem.WGS84 and contains(*to_wgs84(lon, lat, CoordinateSystem.GCJ02)):
        return Misplaced.GCJ02
    return Misplaced.OUTSIDE
