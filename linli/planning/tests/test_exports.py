"""The gap list as .xlsx: Chinese headers, the viewer's rows, the filters applied."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from linli.accounts.models import User
from linli.core.models import AuditEntry
from linli.planning import services
from linli.planning.exports import gap_headers
from linli.planning.models import AnalysisRun, Gap
from tests.personas import Hierarchy


@pytest.fixture
def run(planned: Hierarchy, district_admin: User) -> AnalysisRun:
    return services.start_analysis(actor=district_admin, district=planned.district)


def _sheet(content: bytes) -> list[tuple[Any, ...]]:
    wb = load_workbook(io.BytesIO(content))
    return list(wb.worksheets[0].iter_rows(values_only=True))


def test_the_gap_sheet_has_chinese_headers_and_every_gap(
    as_user: Any, run: AnalysisRun, district_admin: User
) -> None:
    response = as_user(district_admin).get(reverse("planning:gaps_xlsx", args=[run.pk]))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in response["Content-Disposition"]
    rows = _sheet(response.content)
    header = rows[0]
    assert header[:3] == ("缺口编号", "小区编码", "小区")
    assert "影响人口" in header
    assert len(rows) - 1 == Gap.objects.filter(run=run).count()
    middle = next(r for r in rows[1:] if r[2] == "幸福苑" and r[5] == "初中")
    assert middle[8] == "步行不可达"
    assert middle[10] == 1150
    assert AuditEntry.objects.filter(action="export", actor=district_admin).exists()


def test_the_sheet_keeps_the_filters(as_user: Any, run: AnalysisRun, district_admin: User) -> None:
    response = as_user(district_admin).get(
        reverse("planning:gaps_xlsx", args=[run.pk]), {"category": "middle_school"}
    )

    rows = _sheet(response.content)[1:]
    assert rows
    assert {r[5] for r in rows} == {"初中"}


def test_community_staff_export_only_their_compounds(
    as_user: Any, run: AnalysisRun, community_staff: User
) -> None:
    response = as_user(community_staff).get(reverse("planning:gaps_xlsx", args=[run.pk]))

    rows = _sheet(response.content)[1:]
    assert rows
    assert {r[2] for r in rows} == {"幸福苑"}


def test_headers_follow_the_active_language_elsewhere() -> None:
    assert gap_headers()[0] in {"缺口编号", "Gap number"}
