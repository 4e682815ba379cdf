"""Browser check: the subdistrict sees on its calendar who was reminded of a co-construction day,
and sets how many days ahead the reminders go out."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from playwright.sync_api import expect

from linli.accounts.models import Role, User
from linli.cobuild import services
from linli.cobuild.models import DutyAssignment
from linli.cobuild.services.days import policy_for
from linli.cobuild.services.reminders import send_day_reminders
from linli.places.models import Organisation
from linli.places.reference import sync_reference_data
from tests.e2e.conftest import axe_violations, log_in, screenshot
from tests.personas import PASSWORD, Hierarchy


@pytest.fixture
def reference(transactional_db: Any) -> None:
    sync_reference_data()


def test_staff_see_who_was_reminded_and_set_the_lead_time(
    reference: None, hierarchy: Hierarchy, subdistrict_staff: User, desktop_page: Any
) -> None:
    unit = Organisation.objects.create(district=hierarchy.district, name="区税务局", kind="unit")
    services.add_duty_unit(actor=subdistrict_staff, subdistrict=hierarchy.east, organisation=unit)
    days = services.plan_days(actor=subdistrict_staff, subdistrict=hierarchy.east, year=2026)
    services.generate_roster(
        actor=subdistrict_staff, subdistrict=hierarchy.east, year=2026, today=dt.date(2026, 1, 1)
    )
    assert DutyAssignment.objects.filter(day=days[0]).exists()
    for name, role, phone, extra in (
        ("王联络", Role.UNIT_LIAISON, "13800000001", {"organisation": unit}),
        ("李党员", Role.PARTY_MEMBER, "13800000002", {}),
    ):
        User.objects.create_user(
            username=name,
            role=role,
            real_name=name,
            phone=phone,
            district=hierarchy.district,
            community=hierarchy.heping,
            **extra,
        )
    send_day_reminders(today=days[0].date)

    page = desktop_page
    log_in(page, subdistrict_staff.username, PASSWORD)
    page.wait_for_url("**/console/")
    page.goto(f"/console/cobuild/subdistricts/{hierarchy.east.pk}/?year=2026")
    row = page.locator(f"#day-{days[0].pk}")
    row.get_by_text("2 条提醒").click()
    expect(row.get_by_text("138****0002")).to_be_visible()
    expect(row.get_by_text("李党员")).to_be_visible()
    screenshot(page, "cobuild-reminders-desktop")
    assert axe_violations(page) == []

    page.get_by_label("提前几天短信提醒").fill("5")
    page.get_by_role("button", name="保存规则").click()
    expect(page.get_by_text("规则已保存")).to_be_visible()
    assert policy_for(hierarchy.east).remind_days_ahead == 5
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot(page, "cobuild-reminders-phone")
