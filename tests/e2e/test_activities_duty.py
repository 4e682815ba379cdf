"""A party member logs a duty on his phone and sees his hours and his star; overlapping hours
are refused beside the field, with what he typed kept."""

from __future__ import annotations

import datetime as dt
import io
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from openpyxl import load_workbook
from playwright.sync_api import expect

from linli.accounts.models import Role, User
from linli.activities import duty
from linli.activities.models import ServiceRecord
from linli.places.reference import sync_reference_data
from tests.e2e.conftest import axe_violations, log_in, screenshot
from tests.pdfs import pages_text, save_pages
from tests.personas import PASSWORD


@pytest.fixture
def reference(transactional_db: Any) -> None:
    sync_reference_data()


def test_a_party_member_logs_a_duty_and_sees_his_hours_and_star(
    reference: None, hierarchy: Any, community_staff: User, page: Any
) -> None:
    member = User.objects.create_user(
        username="dangyuan",
        password=PASSWORD,
        role=Role.PARTY_MEMBER,
        real_name="赵红军",
        phone="13700001234",
        district=hierarchy.district,
        community=hierarchy.xingfu,
    )
    earlier = timezone.now() - dt.timedelta(days=30)
    ServiceRecord.objects.create(
        district=hierarchy.district,
        subdistrict=hierarchy.east,
        community=hierarchy.xingfu,
        volunteer=member,
        started_at=earlier,
        ended_at=earlier + dt.timedelta(hours=10),
        what="往年累计（补录）",
        hours=Decimal("99.00"),
        status=ServiceRecord.Status.CONFIRMED,
    )
    log_in(page, "dangyuan", PASSWORD)
    expect(page).not_to_have_url(re.compile(r"/accounts/login/"))
    page.goto("/activities/service/")
    hours = page.get_by_test_id("hours")
    stars = page.get_by_test_id("stars")
    expect(hours).to_contain_text("99.00")
    expect(stars).to_have_attribute("aria-label", re.compile(r"^0"))

    fmt = "%Y-%m-%dT%H:%M"
    start = timezone.localtime() - dt.timedelta(hours=4)
    page.select_option("select[name=community]", str(hierarchy.xingfu.pk))
    page.fill("input[name=started_at]", start.strftime(fmt))
    page.fill("input[name=ended_at]", (start + dt.timedelta(hours=2)).strftime(fmt))
    page.fill("input[name=travel_minutes]", "30")
    page.fill("input[name=what]", "城市共建日：楼道清理")
    page.get_by_role("button", name="登记").click()
    # Logged: waiting for the community's confirmation; travel shown apart, not counted.
    expect(hours).to_contain_text("2.00")
    main = page.locator("main")
    expect(main).to_contain_text("城市共建日：楼道清理")
    expect(main).to_contain_text("不计入")

    # The same hours again: refused beside the field, the description kept.
    page.select_option("select[name=community]", str(hierarchy.xingfu.pk))
    page.fill("input[name=started_at]", (start + dt.timedelta(hours=1)).strftime(fmt))
    page.fill("input[name=ended_at]", (start + dt.timedelta(hours=3)).strftime(fmt))
    page.fill("input[name=what]", "助老服务")
    page.get_by_role("button", name="登记").click()
    expect(page.get_by_role("alert").filter(has_text="重叠")).to_be_visible()
    expect(page.locator("input[name=what]")).to_have_value("助老服务")
    assert ServiceRecord.objects.filter(volunteer=member).count() == 2
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert axe_violations(page) == []

    # The community confirms the duty: 101 confirmed hours make his first star.
    logged = ServiceRecord.objects.get(volunteer=member, what="城市共建日：楼道清理")
    duty.confirm_service(actor=community_staff, record_id=logged.pk)
    page.goto("/activities/service/")
    expect(hours).to_contain_text("101.00")
    expect(stars).to_have_attribute("aria-label", re.compile(r"^1"))
    screenshot(page, "activities-service-record-390")


def test_a_party_member_reports_to_his_community_and_reads_the_receipt(
    reference: None, hierarchy: Any, community_staff: User, page: Any, desktop_page: Any
) -> None:
    User.objects.create_user(
        username="dangyuan",
        password=PASSWORD,
        role=Role.PARTY_MEMBER,
        real_name="赵红军",
        phone="13700001234",
        district=hierarchy.district,
        community=hierarchy.xingfu,
    )
    log_in(page, "dangyuan", PASSWORD)
    expect(page).not_to_have_url(re.compile(r"/accounts/login/"))
    page.goto("/activities/report/")
    page.select_option("select[name=community]", str(hierarchy.xingfu.pk))
    page.fill("input[name=party_organisation]", "市供电公司党委")
    page.fill("input[name=liaison_name]", "赵红军")
    page.fill("input[name=liaison_phone]", "1370000123")
    page.fill("input[name=employer]", "市供电公司")
    page.get_by_role("button", name="提交").click()
    # A ten-digit number: refused beside the field, the rest kept.
    expect(page.locator(".a-field.has-error")).to_contain_text("1370000123")
    expect(page.locator("input[name=employer]")).to_have_value("市供电公司")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "activities-report-refused-390")
    page.fill("input[name=liaison_phone]", "13700001234")
    page.get_by_role("button", name="提交").click()
    expect(page.get_by_text("待社区审核")).to_be_visible()

    # The community's staff approve it in the console.
    log_in(desktop_page, community_staff.username, PASSWORD)
    expect(desktop_page).not_to_have_url(re.compile(r"/accounts/login/"))
    desktop_page.goto("/console/activities/registrations/")
    row = desktop_page.get_by_role("row").filter(has_text="赵红军")
    expect(row).to_be_visible()
    row.get_by_role("button", name="批准").click()
    expect(desktop_page.get_by_text(re.compile(r"SBD-"))).to_be_visible()
    screenshot(desktop_page, "activities-console-registrations")

    page.reload()
    page.get_by_role("link", name=re.compile("回执")).click()
    expect(page.get_by_test_id("receipt-number")).to_have_text(re.compile(r"^SBD-"))
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert axe_violations(page) == []
    screenshot(page, "activities-receipt-390")


def test_subdistrict_staff_download_the_quarterly_feedback_for_all_units(
    reference: None,
    hierarchy: Any,
    subdistrict_staff: User,
    community_staff: User,
    desktop_page: Any,
) -> None:
    from linli.places.models import Organisation

    units = []
    for n, name in enumerate(("市供电公司东关营业所", "区税务局东关分局")):
        unit = Organisation.objects.create(
            district=hierarchy.district, name=name, kind=Organisation.Kind.UNIT
        )
        liaison = User.objects.create_user(
            username=f"liaison{n}",
            password=PASSWORD,
            role=Role.UNIT_LIAISON,
            phone=f"1360000111{n}",
            district=hierarchy.district,
            organisation=unit,
        )
        registration = duty.submit_registration(
            actor=liaison,
            data=duty.RegistrationInput(
                community=hierarchy.xingfu if n == 0 else hierarchy.heping,
                party_organisation=f"{name}党支部",
                liaison_name="联络人",
                liaison_phone=f"1360000111{n}",
            ),
        )
        duty.approve_registration(actor=subdistrict_staff, registration_id=registration.pk)
        units.append(name)
    page = desktop_page
    log_in(page, subdistrict_staff.username, PASSWORD)
    expect(page).not_to_have_url(re.compile(r"/accounts/login/"))
    page.goto("/console/activities/registrations/")
    page.get_by_role("link", name="季度反馈").click()
    expect(page.get_by_role("heading", name="季度反馈")).to_be_visible()
    quarter = (timezone.localdate().month - 1) // 3 + 1
    page.fill("input[name=year]", str(timezone.localdate().year))
    page.select_option("select[name=quarter]", str(quarter))
    screenshot(page, "activities-feedback-console")
    with page.expect_download() as xlsx_info:
        page.get_by_role("button", name="下载表格（xlsx）").click()
    xlsx = xlsx_info.value
    assert xlsx.suggested_filename.endswith(".xlsx")
    book = load_workbook(io.BytesIO(Path(xlsx.path()).read_bytes()))
    names = [row[3] for row in book.worksheets[0].iter_rows(min_row=2, values_only=True)]
    assert sorted(names) == sorted(units)
    with page.expect_download() as pdf_info:
        page.get_by_role("button", name="下载反馈函（PDF）").click()
    letters = pdf_info.value
    assert letters.suggested_filename.endswith(".pdf")
    data = Path(letters.path()).read_bytes()
    pages = pages_text(data)
    assert len(pages) == 2
    assert all(any(f"致{name}党支部" in p for p in pages) for name in units)
    save_pages(data, "activities-feedback-letters")
