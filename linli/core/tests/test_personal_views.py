"""Views of personal data are audited, once per ten minutes per record."""

from __future__ import annotations

from typing import Any

from django.test import RequestFactory

from linli.accounts.models import User
from linli.core.models import AuditEntry
from linli.core.personal import record_personal_view
from tests.personas import Hierarchy


def _request(user: User) -> Any:
    request: Any = RequestFactory().get("/")
    request.user = user
    request.session = {}  # a plain dict is all record_personal_view needs
    return request


def test_a_view_is_recorded_with_the_fields_seen(
    district_admin: User, hierarchy: Hierarchy
) -> None:
    request = _request(district_admin)
    entry = record_personal_view(request, hierarchy.station_xingfu, fields=["contact_phone"])
    assert entry is not None
    assert entry.action == AuditEntry.Action.VIEW_PERSONAL
    assert entry.changes == {"fields": ["contact_phone"]}
    assert entry.district_id == hierarchy.district.pk


def test_reloading_the_same_record_is_recorded_once(
    district_admin: User, hierarchy: Hierarchy
) -> None:
    request = _request(district_admin)
    record_personal_view(request, hierarchy.station_xingfu, fields=["contact_phone"])
    assert record_personal_view(request, hierarchy.station_xingfu, fields=["contact_phone"]) is None
    record_personal_view(request, hierarchy.station_heping, fields=["contact_phone"])
    assert AuditEntry.objects.filter(action=AuditEntry.Action.VIEW_PERSONAL).count() == 2


def test_health_data_views_have_their_own_action(
    district_admin: User, hierarchy: Hierarchy
) -> None:
    entry = record_personal_view(
        _request(district_admin), hierarchy.station_xingfu, fields=["bp"], health=True
    )
    assert entry is not None
    assert entry.action == AuditEntry.Action.VIEW_HEALTH
