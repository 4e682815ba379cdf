"""Reading compounds and facilities, with errors a planner can act on."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from linli.circle.io import (
    CircleInputError,
    gcj02_to_wgs84,
    read_compounds,
    read_facilities,
    read_points,
    wgs84_to_gcj02,
)

BBOX = (116.39, 39.89, 116.42, 39.92)


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_rows_with_one_id_are_gates_of_one_compound(tmp_path: Path) -> None:
    p = write(
        tmp_path / "c.csv",
        "id,name,lon,lat,population,households,community,subdistrict\n"
        "C1,甲小区,116.40,39.90,1000,400,社区一,街道一\n"
        "C1,甲小区,116.401,39.90,1000,,,\n"
        "C2,乙小区,116.41,39.91,500,,社区二,街道一\n",
    )
    c = read_compounds(p, bbox=BBOX)
    assert c.ids == ["C1", "C2"]
    assert c.gate_compound.tolist() == [0, 0, 1]
    assert c.population.tolist() == [1000, 500]
    assert np.isnan(c.households[1])
    assert c.community == ["社区一", "社区二"]


def test_a_missing_column_is_named(tmp_path: Path) -> None:
    p = write(tmp_path / "c.csv", "id,name,lon,lat\nC1,x,116.4,39.9\n")
    with pytest.raises(CircleInputError, match=r"c\.csv, row 1, column 'population'"):
        read_compounds(p)


def test_a_non_numeric_value_is_named_with_row_and_column(tmp_path: Path) -> None:
    p = write(
        tmp_path / "c.csv",
        "id,name,lon,lat,population\nC1,x,116.4,39.9,1000\nC2,y,116.4,北纬39.9,10\n",
    )
    with pytest.raises(CircleInputError) as err:
        read_compounds(p)
    assert err.value.row == 3
    assert err.value.column == "lat"
    assert err.value.value == "北纬39.9"
    assert "not a number" in str(err.value)


def test_coordinates_outside_the_network_are_refused(tmp_path: Path) -> None:
    p = write(tmp_path / "f.csv", "id,name,category,lon,lat\nF1,x,kindergarten,121.47,31.23\n")
    with pytest.raises(CircleInputError, match=r"row 2, column 'lon'.*outside the network"):
        read_facilities(p, bbox=BBOX)


def test_an_unknown_category_is_refused(tmp_path: Path) -> None:
    p = write(tmp_path / "f.csv", "id,name,category,lon,lat\nF1,x,kinder,116.4,39.9\n")
    with pytest.raises(CircleInputError, match="column 'category', value 'kinder'"):
        read_facilities(p)


def test_duplicate_facility_ids_are_refused(tmp_path: Path) -> None:
    p = write(
        tmp_path / "f.csv",
        "id,name,category,lon,lat\nF1,x,kindergarten,116.4,39.9\nF1,y,kindergarten,116.4,39.9\n",
    )
    with pytest.raises(CircleInputError, match="duplicate id"):
        read_facilities(p)


def test_conflicting_population_across_gates_is_refused(tmp_path: Path) -> None:
    p = write(
        tmp_path / "c.csv", "id,name,lon,lat,population\nC1,x,116.4,39.9,10\nC1,x,116.4,39.9,20\n"
    )
    with pytest.raises(CircleInputError, match="row 3, column 'population'"):
        read_compounds(p)


def test_excel_files_are_read(tmp_path: Path) -> None:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["id", "name", "category", "lon", "lat"])
    ws.append(["F1", "幼儿园", "kindergarten", 116.40, 39.90])
    ws.append([2, "卫生站", "health_station", 116.41, 39.91])
    wb.save(tmp_path / "f.xlsx")
    f = read_facilities(tmp_path / "f.xlsx", bbox=BBOX)
    assert f.ids == ["F1", "2"]
    assert f.category == ["kindergarten", "health_station"]


def test_points_files_need_only_id_and_coordinates(tmp_path: Path) -> None:
    p = write(tmp_path / "p.csv", "id,lon,lat\nA,116.4,39.9\n")
    pts = read_points(p)
    assert pts.ids == ["A"]


def test_gcj02_round_trips_below_a_millimetre() -> None:
    rng = np.random.default_rng(1)
    lon = rng.uniform(100, 125, 200)
    lat = rng.uniform(20, 45, 200)
    glon, glat = wgs84_to_gcj02(lon, lat)
    assert np.abs(glon - lon).max() > 1e-4  # the offset is hundreds of metres
    wlon, wlat = gcj02_to_wgs84(glon, glat)
    assert np.abs(wlon - lon).max() < 1e-8
    assert np.abs(wlat - lat).max() < 1e-8


def test_gcj02_input_is_converted_when_asked(tmp_path: Path) -> None:
    glon, glat = wgs84_to_gcj02(np.array([116.40]), np.array([39.90]))
    p = write(
        tmp_path / "f.csv",
        f"id,name,category,lon,lat\nF1,x,kindergarten,{glon[0]:.9f},{glat[0]:.9f}\n",
    )
    f = read_facilities(p, gcj02=True)
    assert f.lon[0] == pytest.approx(116.40, abs=1e-8)
    assert f.lat[0] == pytest.approx(39.90, abs=1e-8)
