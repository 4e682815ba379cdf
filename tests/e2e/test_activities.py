"""Activities on a phone: a resident signs up for a training and checks in by the door's QR link;
a station keeper ticks an elderly resident in while offline and the tick arrives once.

The live server runs on real time, so the training starts a few minutes from now (check-in opens
an hour before a session starts).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.utils import timezone

from linli.accounts.sms import ConsoleSender
from linli.activities import services
from linli.activities.models import Activity, CheckIn, SignUp
from linli.places.reference import sync_reference_data
from tests.e2e.conftest import axe_violations, screenshot
from tests.personas import PASSWORD


@pytest.fixture
def reference(transactional_db: Any) -> None:
    """Reference lists again: a transactional test flushes what the data migration loaded."""
    sync_reference_data()


def _training(actor: Any, station: Any, *, starts_in: dt.timedelta, capacity: int = 20) -> Activity:
    start = (timezone.localtime() + starts_in).replace(second=0, microsecond=0)
    return services.create_activity(
        actor=actor,
        data=services.ActivityInput(
            title="红十字应急救护培训",
            category="training",
            station=station,
            starts_at=start,
            ends_at=start + dt.timedelta(hours=2),
            capacity=capacity,
            description="心肺复苏与AED使用，现场实操。",
        ),
    )


def _fits_the_screen(page: Any) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page is {width} px wide"


def test_a_resident_signs_up_and_checks_in_by_the_qr_link(
    reference: None, hierarchy: Any, community_staff: Any, page: Any, live_server: Any
) -> None:
    training = _training(
        community_staff, hierarchy.station_xingfu, starts_in=dt.timedelta(minutes=10)
    )
    ConsoleSender.sent.clear()

    page.goto(f"/stations/{hierarchy.station_xingfu.pk}/")
    page.get_by_role("link", name=re.compile("红十字应急救护培训")).first.click()
    page.wait_for_url(f"**/activities/{training.pk}/")
    _fits_the_screen(page)
    screenshot(page, "activities-detail-390")
    page.get_by_role("button", name="报名").first.click()

    # Not logged in yet: the phone login, then back to the activity.
    page.wait_for_url("**/accounts/phone/**")
    page.fill("input[name=phone]", "13900002468")
    page.locator("main button[type=submit]").click()
    page.wait_for_url("**/accounts/phone/code/")
    code = re.search(r"\b(\d{6})\b", ConsoleSender.sent[-1][1])
    assert code is not None
    page.fill("input[name=code]", code.group(1))
    page.locator("main button[type=submit]").first.click()
    page.wait_for_url(f"**/activities/{training.pk}/")
    page.get_by_role("button", name="报名").first.click()
    page.wait_for_url("**/activities/mine/")
    assert "报名成功" in page.inner_text("main")
    assert "红十字应急救护培训" in page.inner_text("main")
    _fits_the_screen(page)
    screenshot(page, "activities-mine-390")
    assert SignUp.objects.get(activity=training).status == SignUp.Status.CONFIRMED

    # At the door: the keeper's screen shows the QR; the phone opens the link it holds.
    door = services.door_code(training, training.starts_at)
    page.goto(f"/activities/checkin/{door}/")
    assert "红十字应急救护培训" in page.inner_text("main")
    assert axe_violations(page) == []
    page.get_by_role("button", name="确认签到").click()
    page.wait_for_load_state()
    assert "签到成功" in page.inner_text("main")
    _fits_the_screen(page)
    screenshot(page, "activities-checked-in-390")
    assert CheckIn.objects.filter(activity=training).count() == 1

    # The same link again: a clear refusal, and still one check-in.
    page.goto(f"/activities/checkin/{door}/")
    page.get_by_role("button", name="确认签到").click()
    page.wait_for_load_state()
    assert "已在本场次签到" in page.inner_text("main")
    assert CheckIn.objects.filter(activity=training).count() == 1


def test_a_keeper_ticks_someone_offline_and_the_tick_arrives_once(
    reference: None,
    hierarchy: Any,
    community_staff: Any,
    station_keeper: Any,
    page: Any,
    live_server: Any,
) -> None:
    training = _training(
        community_staff, hierarchy.station_xingfu, starts_in=dt.timedelta(minutes=-5)
    )
    signup = services.register_on_behalf(
        actor=community_staff,
        activity_id=training.pk,
        occurrence=training.starts_at,
        name="张桂兰",
        phone="13900007777",
    )
    page.goto("/accounts/login/")
    page.fill("input[name=username]", station_keeper.username)
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.press("input[name=password]", "Enter")
    key = timezone.localtime(training.starts_at).strftime("%Y%m%d%H%M")
    page.goto(f"/console/activities/{training.pk}/sessions/{key}/roll/")
    row = page.get_by_role("button", name=re.compile("张桂兰"))
    assert "139****7777" in row.inner_text()

    page.context.set_offline(True)
    page.evaluate("window.dispatchEvent(new Event('offline'))")
    row.click()
    page.get_by_test_id("pending").wait_for()
    assert "1" in page.get_by_test_id("pending").inner_text()
    screenshot(page, "activities-roll-offline-390")
    assert not CheckIn.objects.exists()

    # The page is reloaded while offline would lose nothing either: the tick is in localStorage.
    queued = page.evaluate(f"localStorage.getItem('linli-ticks-{training.pk}-{key}')")
    assert signup.pk
    assert str(signup.pk) in queued

    page.context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    page.get_by_text("所有勾选都已保存").wait_for()
    assert CheckIn.objects.filter(signup=signup).count() == 1

    # Sending the same queue again (a flaky answer that never reached the device) counts once.
    page.evaluate(
        """async (q) => {
          const csrf = JSON.parse(document.getElementById('roll-config').textContent).csrf;
          await fetch('/console/activities/ticks/', {method: 'POST', credentials: 'same-origin',
            headers: {'Content-Type': 'application/json', 'X-CSRFToken': csrf},
            body: JSON.stringify({ticks: JSON.parse(q)})});
        }""",
        queued,
    )
    assert CheckIn.objects.filter(signup=signup).count() == 1
    page.reload()
    assert (
        page.get_by_role("button", name=re.compile("张桂兰")).get_attribute("aria-pressed")
        == "true"
    )
    _fits_the_screen(page)
    screenshot(page, "activities-roll-synced-390")
