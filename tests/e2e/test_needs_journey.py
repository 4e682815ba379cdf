"""A resident raises a need with a photo on a phone; staff route and resolve it; the resident
rates it; the public timeline shows it without the resident's name or phone."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from linli.accounts.sms import ConsoleSender
from linli.needs.models import Need, NeedPhoto, Status
from linli.needs.tests.images import jpeg_with_gps
from linli.places.reference import sync_reference_data
from tests.e2e.conftest import log_in, screenshot
from tests.personas import PASSWORD


@pytest.fixture
def reference_data(transactional_db: Any) -> None:
    sync_reference_data()  # a transactional test starts from a flushed database


def _resident_logs_in(page: Any, phone: str) -> None:
    page.goto("/needs/new/")
    page.wait_for_url("**/accounts/phone/**")
    page.fill("input[name=phone]", phone)
    page.locator("form button[type=submit]").last.click()
    page.wait_for_url("**/accounts/phone/code/")
    code = re.search(r"\b(\d{6})\b", ConsoleSender.sent[-1][1])
    assert code is not None
    page.fill("input[name=code]", code.group(1))
    page.locator("form:has(input[name=code]) button[type=submit]").first.click()
    page.wait_for_url("**/needs/new/")


def test_a_need_from_the_phone_to_the_public_timeline(
    reference_data: None,
    hierarchy: Any,
    resident: Any,
    community_staff: Any,
    page: Any,
    desktop_page: Any,
    settings: Any,
    tmp_path: Any,
) -> None:
    settings.MEDIA_ROOT = tmp_path
    resident.real_name = "赵桂芳"
    resident.save(update_fields=["real_name"])
    _resident_logs_in(page, resident.phone)

    page.get_by_label("环境卫生").check()
    page.fill("textarea[name=description]", "3号楼楼道里堆满了杂物，老人下楼不方便")
    page.select_option("select[name=compound]", label="幸福苑")
    page.get_by_label("很多邻居都有这个需求").check()
    photo = tmp_path / "corridor.jpg"
    photo.write_bytes(jpeg_with_gps())
    page.set_input_files("input[name=photos]", str(photo))
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "needs-resident-form")
    page.get_by_role("button", name="提交").click()
    page.wait_for_url(re.compile(r".*/needs/mine/\d+/$"))
    expect(page.get_by_text("谢谢！您的需求编号是")).to_be_visible()
    screenshot(page, "needs-resident-submitted")
    need = Need.objects.get()
    assert need.community == hierarchy.xingfu
    assert NeedPhoto.objects.filter(need=need).count() == 1

    staff = desktop_page
    log_in(staff, community_staff.username, PASSWORD)
    staff.goto(f"/console/needs/{need.pk}/")
    staff.fill("input[name=accept-public_summary]", "清理3号楼楼道杂物")
    staff.get_by_role("button", name="受理").click()
    staff.get_by_role("button", name="派单").click()
    staff.get_by_role("button", name="开始办理").click()
    staff.fill("textarea[name=resolve-public_note]", "楼道杂物已清理，已张贴提示")
    staff.get_by_role("button", name="办结").click()
    staff.get_by_text("已完成：办结").wait_for()
    screenshot(staff, "needs-console-resolved")
    need.refresh_from_db()
    assert need.status == Status.RESOLVED

    page.reload()
    expect(page.get_by_text("楼道杂物已清理，已张贴提示")).to_be_visible()
    page.get_by_label("满意", exact=True).check()
    page.get_by_role("button", name="提交评价").click()
    page.get_by_text("感谢您的评价。").wait_for()
    need.refresh_from_db()
    assert need.status == Status.RATED
    assert need.rating_level == "satisfied"

    page.goto("/needs/public/")
    html = page.content()
    assert "清理3号楼楼道杂物" in html
    for secret in ("赵桂芳", resident.phone, "老人下楼不方便"):
        assert secret not in html
    page.get_by_text("清理3号楼楼道杂物").click()
    expect(page.get_by_text("楼道杂物已清理，已张贴提示")).to_be_visible()
    assert resident.phone not in page.content()
    assert "赵桂芳" not in page.content()
    screenshot(page, "needs-public-need")

    # Senior mode and English: the resident's pages still fit the phone.
    page.goto(f"/needs/mine/{need.pk}/")
    page.get_by_role("button", name="长辈模式").click()
    page.wait_for_load_state()
    assert page.evaluate("document.documentElement.classList.contains('elderly')")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "needs-resident-detail-senior")
    page.get_by_role("button", name="English").click()
    page.wait_for_load_state()
    page.goto("/needs/new/")
    expect(page.get_by_text("Raise a need").first).to_be_visible()
    screenshot(page, "needs-resident-form-senior-en")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.goto("/needs/public/evaluations/")
    screenshot(page, "needs-public-evaluations-senior-en")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
