"""Reading compounds (小区) and facilities (设施) from CSV or Excel, and coordinate helpers.

Errors name the file, the row (1-based, header = row 1), the column and the value, so a
planner can fix the sheet without reading a traceback.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from .errors import CircleInputError

__all__ = [
    "CircleInputError",
    "Compounds",
    "Facilities",
    "Points",
    "gcj02_to_wgs84",
    "load_categories",
    "read_compounds",
    "read_facilities",
    "read_points",
    "wgs84_to_gcj02",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

DATA_DIR = Path(__file__).resolve().parent / "data"


@dataclass(frozen=True, eq=False)
class Compounds:
    """Residential compounds (小区) and their gates (小区出入口).

    Attributes
    ----------
    ids, names
        One entry per compound, in first-appearance order.
    population, households
        Per compound; ``households`` is NaN where not given.
    community, subdistrict
        Per compound; empty string where not given.
    gate_lon, gate_lat
        One entry per gate (WGS-84).
    gate_compound
        Index into ``ids`` of each gate's compound.
    gate_row
        Source row of each gate, for error messages.
    """

    ids: list[str]
    names: list[str]
    population: FloatArray
    households: FloatArray
    community: list[str]
    subdistrict: list[str]
    gate_lon: FloatArray
    gate_lat: FloatArray
    gate_compound: IntArray
    gate_row: IntArray

    @property
    def n(self) -> int:
        """Number of compounds."""
        return len(self.ids)


@dataclass(frozen=True, eq=False)
class Facilities:
    """Facilities (设施) with a category code from ``data/categories.csv``."""

    ids: list[str]
    names: list[str]
    category: list[str]
    lon: FloatArray
    lat: FloatArray
    row: IntArray

    @property
    def n(self) -> int:
        """Number of facilities."""
        return len(self.ids)


@dataclass(frozen=True, eq=False)
class Points:
    """Plain labelled points, e.g. candidate sites (候选点)."""

    ids: list[str]
    names: list[str]
    lon: FloatArray
    lat: FloatArray


def load_categories(path: str | Path | None = None) -> dict[str, str]:
    """Canonical facility categories.

    Parameters
    ----------
    path
        A categories CSV; by default the packaged ``data/categories.csv``.

    Returns
    -------
    dict
        Category code → Chinese name.
    """
    p = Path(path) if path else DATA_DIR / "categories.csv"
    with p.open(encoding="utf-8-sig", newline="") as fh:
        return {r["code"]: r["name_zh"] for r in csv.DictReader(fh)}


def _read_table(path: Path) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    """Header and ``(row_number, {column: text})`` rows of a CSV or XLSX file."""
    if not path.is_file():
        raise CircleInputError(path, problem="the file does not exist")
    suffix = path.suffix.lower()
    if suffix in {".xlsx", ".xlsm"}:
        import openpyxl  # Imported lazily: only spreadsheet users pay for it.

        try:
            wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many types for a bad workbook.
            raise CircleInputError(path, problem=f"not a readable Excel file ({exc})") from exc
        try:
            ws = wb.worksheets[0]
            it = ws.iter_rows(values_only=True)
            head = next(it, None)
            if head is None:
                raise CircleInputError(path, problem="the sheet is empty")
            header = [str(h).strip() if h is not None else "" for h in head]
            rows: list[tuple[int, dict[str, str]]] = []
            for i, values in enumerate(it, start=2):
                cells = ["" if c is None else _cell_text(c) for c in values]
                if not any(cells):
                    continue
                rows.append((i, dict(zip(header, cells, strict=False))))
        finally:
            wb.close()
        return header, rows
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            reader = csv.reader(fh)
            head_row = next(reader, None)
            if head_row is None:
                raise CircleInputError(path, problem="the file is empty")
            header = [h.strip() for h in head_row]
            rows = []
            strip = str.strip
            for i, cells in enumerate(reader, start=2):
                if not "".join(cells).strip():
                    continue
                rows.append((i, dict(zip(header, map(strip, cells), strict=False))))
    except UnicodeDecodeError as exc:
        raise CircleInputError(path, problem="the file is not UTF-8 text") from exc
    return header, rows


def _cell_text(c: object) -> str:
    if isinstance(c, float) and c.is_integer():
        return str(int(c))
    return str(c).strip()


def _require(path: Path, header: Sequence[str], columns: Iterable[str]) -> None:
    missing = [c for c in columns if c not in header]
    if missing:
        raise CircleInputError(
            path,
            row=1,
            column=missing[0],
            problem=f"missing required column(s) {', '.join(missing)}",
        )


def _number(path: Path, row: int, col: str, text: str, *, minimum: float | None = None) -> float:
    try:
        value = float(text)
    except ValueError:
        raise CircleInputError(
            path, row=row, column=col, value=text, problem="not a number"
        ) from None
    if not math.isfinite(value):
        raise CircleInputError(path, row=row, column=col, value=text, problem="not a number")
    if minimum is not None and value < minimum:
        raise CircleInputError(
            path, row=row, column=col, value=text, problem=f"must be at least {minimum:g}"
        )
    return value


Bbox = tuple[float, float, float, float]


def _coords(
    path: Path, row: int, cells: dict[str, str], bbox: Bbox | None, gcj02: bool
) -> tuple[float, float]:
    lon = _number(path, row, "lon", cells.get("lon", ""))
    lat = _number(path, row, "lat", cells.get("lat", ""))
    if not -180 <= lon <= 180:
        raise CircleInputError(
            path, row=row, column="lon", value=cells["lon"], problem="longitude outside -180..180"
        )
    if not -90 <= lat <= 90:
        raise CircleInputError(
            path, row=row, column="lat", value=cells["lat"], problem="latitude outside -90..90"
        )
    if gcj02:
        wlon, wlat = gcj02_to_wgs84(np.array([lon]), np.array([lat]))
        lon, lat = float(wlon[0]), float(wlat[0])
    if bbox is not None:
        min_lon, min_lat, max_lon, max_lat = bbox
        if not min_lon <= lon <= max_lon:
            raise CircleInputError(
                path,
                row=row,
                column="lon",
                value=cells["lon"],
                problem=f"outside the network's extent {min_lon:.5f}..{max_lon:.5f}",
            )
        if not min_lat <= lat <= max_lat:
            raise CircleInputError(
                path,
                row=row,
                column="lat",
                value=cells["lat"],
                problem=f"outside the network's extent {min_lat:.5f}..{max_lat:.5f}",
            )
    return lon, lat


def _text(path: Path, row: int, col: str, cells: dict[str, str]) -> str:
    value = cells.get(col, "")
    if not value:
        raise CircleInputError(path, row=row, column=col, problem="empty value")
    return value


def read_compounds(path: str | Path, *, bbox: Bbox | None = None, gcj02: bool = False) -> Compounds:
    """Read ``compounds.csv`` (or ``.xlsx``).

    Columns ``id,name,lon,lat,population`` and optionally ``households``, ``community``,
    ``subdistrict``.  Several rows with one ``id`` are several gates of one compound; the
    compound's attributes are taken from its first row and must not contradict it.

    Parameters
    ----------
    path
        The file.
    bbox
        ``(min_lon, min_lat, max_lon, max_lat)``; coordinates outside are errors.
    gcj02
        Coordinates are GCJ-02 (Chinese web maps) and are converted to WGS-84.

    Returns
    -------
    Compounds

    Raises
    ------
    CircleInputError
        Naming the file, row, column and value of the first problem.
    """
    p = Path(path)
    header, rows = _read_table(p)
    _require(p, header, ["id", "name", "lon", "lat", "population"])
    if not rows:
        raise CircleInputError(p, problem="no compound rows")
    index: dict[str, int] = {}
    ids: list[str] = []
    names: list[str] = []
    pop: list[float] = []
    hh: list[float] = []
    comm: list[str] = []
    sub: list[str] = []
    glon: list[float] = []
    glat: list[float] = []
    gcomp: list[int] = []
    grow: list[int] = []
    for r, cells in rows:
        cid = _text(p, r, "id", cells)
        lon, lat = _coords(p, r, cells, bbox, gcj02)
        population = cells.get("population", "")
        households = cells.get("households", "")
        if cid not in index:
            index[cid] = len(ids)
            ids.append(cid)
            names.append(cells.get("name", ""))
            pop.append(_number(p, r, "population", population, minimum=0))
            hh.append(
                _number(p, r, "households", households, minimum=0) if households else math.nan
            )
            comm.append(cells.get("community", ""))
            sub.append(cells.get("subdistrict", ""))
        else:
            k = index[cid]
            if population and _number(p, r, "population", population, minimum=0) != pop[k]:
                raise CircleInputError(
                    p,
                    row=r,
                    column="population",
                    value=population,
                    problem=f"differs from an earlier gate row of compound {cid!r}",
                )
        glon.append(lon)
        glat.append(lat)
        gcomp.append(index[cid])
        grow.append(r)
    return Compounds(
        ids=ids,
        names=names,
        population=np.asarray(pop, dtype=np.float64),
        households=np.asarray(hh, dtype=np.float64),
        community=comm,
        subdistrict=sub,
        gate_lon=np.asarray(glon, dtype=np.float64),
        gate_lat=np.asarray(glat, dtype=np.float64),
        gate_compound=np.asarray(gcomp, dtype=np.int64),
        gate_row=np.asarray(grow, dtype=np.int64),
    )


def read_facilities(
    path: str | Path,
    *,
    bbox: Bbox | None = None,
    gcj02: bool = False,
    categories: Iterable[str] | None = None,
) -> Facilities:
    """Read ``facilities.csv`` (or ``.xlsx``) with columns ``id,name,category,lon,lat``.

    Parameters
    ----------
    path
        The file.
    bbox
        ``(min_lon, min_lat, max_lon, max_lat)``; coordinates outside are errors.
    gcj02
        Coordinates are GCJ-02 and are converted to WGS-84.
    categories
        Allowed category codes; by default those of ``data/categories.csv``.

    Returns
    -------
    Facilities

    Raises
    ------
    CircleInputError
        Naming the file, row, column and value of the first problem.
    """
    p = Path(path)
    allowed = set(categories) if categories is not None else set(load_categories())
    header, rows = _read_table(p)
    _require(p, header, ["id", "name", "category", "lon", "lat"])
    ids: list[str] = []
    names: list[str] = []
    cats: list[str] = []
    lons: list[float] = []
    lats: list[float] = []
    rnum: list[int] = []
    seen: set[str] = set()
    for r, cells in rows:
        fid = _text(p, r, "id", cells)
        if fid in seen:
            raise CircleInputError(p, row=r, column="id", value=fid, problem="duplicate id")
        seen.add(fid)
        cat = _text(p, r, "category", cells)
        if cat not in allowed:
            raise CircleInputError(
                p,
                row=r,
                column="category",
                value=cat,
                problem="unknown category code (see linli/circle/data/categories.csv)",
            )
        lon, lat = _coords(p, r, cells, bbox, gcj02)
        ids.append(fid)
        names.append(cells.get("name", ""))
        cats.append(cat)
        lons.append(lon)
        lats.append(lat)
        rnum.append(r)
    return Facilities(
        ids=ids,
        names=names,
        category=cats,
        lon=np.asarray(lons, dtype=np.float64),
        lat=np.asarray(lats, dtype=np.float64),
        row=np.asarray(rnum, dtype=np.int64),
    )


def read_points(path: str | Path, *, bbox: Bbox | None = None, gcj02: bool = False) -> Points:
    """Read labelled points with columns ``id,lon,lat`` and optionally ``name``.

    Parameters
    ----------
    path
        The file (CSV or XLSX).
    bbox
        ``(min_lon, min_lat, max_lon, max_lat)``; coordinates outside are errors.
    gcj02
        Coordinates are GCJ-02 and are converted to WGS-84.

    Returns
    -------
    Points
    """
    p = Path(path)
    header, rows = _read_table(p)
    _require(p, header, ["id", "lon", "lat"])
    ids, names, lons, lats = [], [], [], []
    for r, cells in rows:
        ids.append(_text(p, r, "id", cells))
        names.append(cells.get("name", ""))
        lon, lat = _coords(p, r, cells, bbox, gcj02)
        lons.append(lon)
        lats.append(lat)
    return Points(ids, names, np.asarray(lons, dtype=np.float64), np.asarray(lats, np.float64))


# GCJ-02 ("Mars coordinates") constants of the published obfuscation formula.
_GCJ_A = 6378245.0
_GCJ_EE = 0.00669342162296594323


def _gcj_delta(lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    x, y = lon - 105.0, lat - 35.0
    dlat = (
        -100.0
        + 2.0 * x
        + 3.0 * y
        + 0.2 * y * y
        + 0.1 * x * y
        + 0.2 * np.sqrt(np.abs(x))
        + (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
        + (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
        + (160.0 * np.sin(y / 12.0 * np.pi) + 320 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    )
    dlon = (
        300.0
        + x
        + 2.0 * y
        + 0.1 * x * x
        + 0.1 * x * y
        + 0.1 * np.sqrt(np.abs(x))
        + (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
        + (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
        + (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    )
    rad = lat / 180.0 * np.pi
    magic = 1 - _GCJ_EE * np.sin(rad) ** 2
    sqrt_magic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_GCJ_A * (1 - _GCJ_EE)) / (magic * sqrt_magic) * np.pi)
    dlon = (dlon * 180.0) / (_GCJ_A / sqrt_magic * np.cos(rad) * np.pi)
    return dlon, dlat


def wgs84_to_gcj02(lon: npt.ArrayLike, lat: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Convert WGS-84 to GCJ-02 (the forward, published formula), vectorised.

    Parameters
    ----------
    lon, lat
        WGS-84 degrees.

    Returns
    -------
    tuple of numpy.ndarray
        GCJ-02 ``(lon, lat)``.  Points outside mainland China's rough box are unchanged.
    """
    lo = np.asarray(lon, dtype=np.float64)
    la = np.asarray(lat, dtype=np.float64)
    dlon, dlat = _gcj_delta(lo, la)
    inside = (lo > 72.004) & (lo < 137.8347) & (la > 0.8293) & (la < 55.8271)
    return np.where(inside, lo + dlon, lo), np.where(inside, la + dlat, la)


def gcj02_to_wgs84(
    lon: npt.ArrayLike, lat: npt.ArrayLike, *, tol_deg: float = 1e-10, max_iter: int = 30
) -> tuple[FloatArray, FloatArray]:
    """Convert GCJ-02 to WGS-84 by iterating the forward formula, vectorised.

    Parameters
    ----------
    lon, lat
        GCJ-02 degrees, as shown by Chinese web maps (高德, 腾讯).
    tol_deg
        Stop when every point's correction is below this many degrees (~1e-5 m).
    max_iter
        Iteration cap.

    Returns
    -------
    tuple of numpy.ndarray
        WGS-84 ``(lon, lat)``; round-trips to well below a millimetre.
    """
    glon = np.asarray(lon, dtype=np.float64)
    glat = np.asarray(lat, dtype=np.float64)
    wlon, wlat = glon.copy(), glat.copy()
    for _ in range(max_iter):
        flon, flat = wgs84_to_gcj02(wlon, wlat)
        elon, elat = flon - glon, flat - glat
        wlon = wlon - elon
        wlat = wlat - elat
        if np.all(np.abs(elon) < tol_deg) and np.all(np.abs(elat) < tol_deg):
            break
    return wlon, wlat
