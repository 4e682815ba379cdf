"""Excel export: only the user's scope, personal fields only for who may change the station."""

from __future__ import annotations

import io
from typing import Any

import pytest
from openpyxl import load_workbook

from linli.accounts.models import User
from linli.core.models import AuditEntry
from linli.places.exports import export_workbook, may_see_personal, station_rows, template_workbook
from linli.places.imports import import_sheet
from linli.places.models import Station
from linli.places.sheets import SheetKind
from tests.personas import Hierarchy

pytestmark = pytest.mark.django_db


def _rows(data: bytes) -> list[list[Any]]:
    sheet = load_workbook(io.BytesIO(data)).worksheets[0]
    return [list(r) for r in sheet.iter_rows(min_row=2, values_only=True) if any(r)]


def test_community_staff_export_only_their_community(
    hierarchy: Hierarchy, community_staff: User
) -> None:
    rows = _rows(export_workbook(SheetKind.STATIONS, community_staff))
    assert [r[0] for r in rows] == ["S001"]
    assert rows[0][10:12] == ["王建国", "13812345678"]
    entry = AuditEntry.objects.get(action=AuditEntry.Action.EXPORT)
    assert entry.changes == {"rows": 1}


def test_district_admin_exports_everything(hierarchy: Hierarchy, district_admin: User) -> None:
    rows = _rows(export_workbook(SheetKind.STATIONS, district_admin))
    assert [r[0] for r in rows] == ["S001", "S002", "S003"]


def test_other_district_exports_nothing(hierarchy: Hierarchy, other_district_admin: User) -> None:
    assert _rows(export_workbook(SheetKind.STATIONS, other_district_admin)) == []
    assert _rows(export_workbook(SheetKind.COMPOUNDS, other_district_admin)) == []
    assert _rows(export_workbook(SheetKind.SERVICES, other_district_admin)) == []


def test_personal_fields_are_masked_for_who_may_not_change_the_station(
    hierarchy: Hierarchy, station_keeper: User
) -> None:
    assert may_see_personal(station_keeper, hierarchy.station_xingfu)
    assert not may_see_personal(station_keeper, hierarchy.station_heping)
    rows = list(station_rows(station_keeper, Station.objects.filter(code="S002")))
    assert rows[0][10:12] == ["王**", "138****5678"]


def test_keeper_exports_their_own_station_unmasked(
    hierarchy: Hierarchy, station_keeper: User
) -> None:
    rows = _rows(export_workbook(SheetKind.STATIONS, station_keeper))
    assert [r[0] for r in rows] == ["S001"]
    assert rows[0][11] == "13812345678"


def test_compound_and_service_exports(hierarchy: Hierarchy, subdistrict_staff: User) -> None:
    compounds = _rows(export_workbook(SheetKind.COMPOUNDS, subdistrict_staff))
    assert compounds[0][:3] == ["C001", "幸福苑", "T14040401001"]
    assert compounds[0][7] == "南门(113.0700000,36.1800000)"
    services = _rows(export_workbook(SheetKind.SERVICES, subdistrict_staff))
    assert services[0][:4] == ["义务理发", "理发", "仁爱社工服务中心", "S002"]
    assert services[0][7] == "FREQ=MONTHLY;BYDAY=1FR"


@pytest.mark.parametrize("kind", list(SheetKind))
def test_an_export_imports_back_unchanged(
    hierarchy: Hierarchy, district_admin: User, kind: SheetKind
) -> None:
    data = export_workbook(kind, district_admin)
    result = import_sheet(actor=district_admin, kind=kind, file=io.BytesIO(data))
    assert result.ok, result.problems
    assert result.created == 0
    if kind is SheetKind.STATIONS:
        assert (result.updated, result.unchanged) == (0, 3)
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.UPDATE).exists()


def test_template_lists_only_the_users_communities(
    hierarchy: Hierarchy, community_staff: User
) -> None:
    workbook = load_workbook(io.BytesIO(template_workbook(SheetKind.STATIONS, community_staff)))
    codes = workbook["代码表"]
    communities = [c.value for c in codes["D"][1:] if c.value]
    assert communities == ["T14040401001"]
    data = workbook["驿站设施"]
    assert data["A1"].value == "编码*"
    assert data.data_validations.dataValidation  # kind, community and choice lists
