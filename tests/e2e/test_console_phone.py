"""Every console page on a phone: staff and keepers work from phones, so at 390 px no console
page scrolls sideways as a whole (a wide table scrolls inside its own labelled region), and
axe-core finds no serious or critical violation on any of them.

The pages are enumerated from the URL configuration (every route under ``console/``, whatever
app it belongs to): a console page added later without a place in ``_pages`` or ``NOT_PAGES``
fails the test, so "every console URL" stays every. The health pages are the family doctor's
(``DOCTOR_PAGES``); every other page is opened as the district's administrator.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from linli.places.models import Compound, OpeningException, Organisation, Service, Station
from linli.places.reference import sync_reference_data
from linli.sample.accounts import DEMO_PASSWORD
from linli.sample.load import load_sample
from tests.e2e.conftest import axe_violations, screenshot

pytestmark = pytest.mark.slow

PHONE = {"width": 390, "height": 844}
CONSOLE_PREFIX = "console/"
# Pages only the community's family doctor may open (health readings and their follow-ups).
DOCTOR_PAGES = {"kiosks:health", "kiosks:health_subject", "kiosks:followups", "kiosks:followup"}

# Console URLs that are not pages a person opens: downloads, JSON and fragments, POST-only actions.
NOT_PAGES = {
    "console:station_bulk_delete": "POST from the station list's selection",
    "console:station_add_service": "POST only",
    "console:station_remove_service": "POST only",
    "console:station_exception_delete": "POST only",
    "console:station_photo_caption": "POST only",
    "console:station_photo_move": "POST only",
    "console:station_photo_delete": "POST only",
    "console:service_link": "POST only",
    "console:service_unlink": "POST only",
    "console:organisation_export": "an xlsx download",
    "console:import_report": "an xlsx download",
    "console:template": "an xlsx download",
    "console:export": "an xlsx download",
    "planning:start_analysis": "POST only",
    "planning:run_status": "an htmx fragment of the run page",
    "planning:gap_table": "an htmx fragment of the run page",
    "planning:gaps_xlsx": "an xlsx download",
    "planning:map_data": "JSON for the run page's map",
    "planning:isochrones": "GeoJSON for the run page's map",
    "planning:map_html": "a standalone map file to download",
    "planning:start_siting": "POST only",
    "planning:gap_status": "POST only",
    "planning:siting_status": "an htmx fragment of the run page",
    "planning:premises_template": "an xlsx download",
    "activities_console:cancel": "POST only",
    "activities_console:signup_cancel": "POST only",
    "activities_console:checkout": "POST only",
    "activities_console:ticks": "POST only (the offline roll's ticks, JSON)",
    "activities_console:decide": "POST only",
    "activities_console:confirm": "POST only",
    "cobuild:plan": "POST only",
    "cobuild:policy": "POST only",
    "cobuild:add_unit": "POST only",
    "cobuild:away": "POST only",
    "cobuild:generate": "POST only",
    "cobuild:request_swap": "POST only",
    "cobuild:move_day": "POST only",
    "cobuild:confirm_day": "POST only",
    "cobuild:decide_swap": "POST only",
    "cobuild:resource_withdraw": "POST only",
    "cobuild:resource_export": "an xlsx download",
    "cobuild:resource_template": "an xlsx download",
    "cobuild:day_xlsx": "an xlsx download",
    "cobuild:day_pdf": "a PDF download",
    "cobuild:project_export": "an xlsx download",
    "cobuild:project_template": "an xlsx download",
    "cobuild:needs_list_export": "an xlsx download",
}


def _names(patterns: list[Any], namespace: str = "", prefix: str = "") -> set[str]:
    """The names of every URL under ``console/``, in whichever app's namespace."""
    names: set[str] = set()
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = entry.namespace or namespace
            names |= _names(entry.url_patterns, inner, prefix + str(entry.pattern))
        elif (
            isinstance(entry, URLPattern)
            and entry.name
            and (prefix + str(entry.pattern)).startswith(CONSOLE_PREFIX)
        ):
            names.add(f"{namespace}:{entry.name}")
    return names


@pytest.fixture
def sample(transactional_db: Any, settings: Any, tmp_path: Path) -> Any:
    settings.VAR_DIR = tmp_path / "var"
    settings.LINLI_NETWORK_DIR = tmp_path / "networks"
    settings.LINLI_CIRCLE_CACHE_DIR = tmp_path / "cache"
    sync_reference_data()
    district = load_sample().district
    from linli.planning.services import ensure_analysis

    run = ensure_analysis(district=district)
    return district, run


def _pages(district: Any, run: Any) -> dict[str, str]:
    station = Station.objects.filter(district=district).order_by("pk").first()
    assert station is not None
    exception = OpeningException.objects.create(
        station=station, date=dt.date.today() + dt.timedelta(days=3), note="设备检修"
    )
    compound = Compound.objects.filter(district=district).order_by("pk").first()
    service = Service.objects.filter(district=district).order_by("pk").first()
    organisation = Organisation.objects.filter(district=district).order_by("pk").first()
    assert compound
    assert service
    assert organisation
    pages = {
        "console:home": "/console/",
        "console:stations": "/console/stations/",
        "console:station_new": "/console/stations/new/",
        "console:station_edit": f"/console/stations/{station.pk}/",
        "console:station_hours": f"/console/stations/{station.pk}/hours/",
        "console:station_delete": f"/console/stations/{station.pk}/delete/",
        "console:station_exceptions": f"/console/stations/{station.pk}/exceptions/",
        "console:station_photos": f"/console/stations/{station.pk}/photos/",
        "console:compounds": "/console/compounds/",
        "console:compound_new": "/console/compounds/new/",
        "console:compound_edit": f"/console/compounds/{compound.pk}/",
        "console:compound_delete": f"/console/compounds/{compound.pk}/delete/",
        "console:services": "/console/services/",
        "console:service_new": "/console/services/new/",
        "console:service_edit": f"/console/services/{service.pk}/",
        "console:organisations": "/console/organisations/",
        "console:organisation_new": "/console/organisations/new/",
        "console:organisation_edit": f"/console/organisations/{organisation.pk}/",
        "console:organisation_merge": f"/console/organisations/{organisation.pk}/merge/",
        "console:organisation_delete": f"/console/organisations/{organisation.pk}/delete/",
        "console:import": "/console/import/stations/",
        "planning:index": "/console/planning/",
        "planning:run": f"/console/planning/runs/{run.pk}/",
        "audit:log": "/console/audit/",
        "accounts:tokens": "/accounts/tokens/",
        "accounts:token_create": "/accounts/tokens/new/",
    }
    pages["console:station_exception_edit"] = (
        f"/console/stations/{station.pk}/exceptions/{exception.pk}/"
    )
    pages["planning:station_rules"] = "/console/planning/rules/"
    pages |= _feature_pages(district)
    return pages


def _feature_pages(district: Any) -> dict[str, str]:
    """The console pages of activities, needs, co-construction and the smart huts."""
    from linli.accounts.models import User
    from linli.activities import schedule
    from linli.activities.models import Activity
    from linli.cobuild.models import Project, Resource
    from linli.kiosks.models import Fault, FollowUp, HealthSubject
    from linli.needs.models import Need
    from linli.places.models import Subdistrict

    activity = Activity.objects.filter(district=district).order_by("pk").first()
    need = Need.objects.filter(district=district).order_by("pk").first()
    resource = Resource.objects.filter(district=district).order_by("pk").first()
    project = Project.objects.filter(district=district).order_by("pk").first()
    subdistrict = Subdistrict.objects.filter(district=district).order_by("pk").first()
    hut = Station.objects.filter(district=district, category__code="smart_hut").first()
    fault = Fault.objects.filter(district=district).order_by("pk").first()
    doctor = User.objects.get(username="doctor")
    subject = (
        HealthSubject.objects.filter(district=district, community=doctor.community)
        .order_by("pk")
        .first()
    )
    followup = (
        FollowUp.objects.filter(district=district, community=doctor.community)
        .order_by("pk")
        .first()
    )
    for found in (activity, need, resource, project, subdistrict, hut, fault, subject, followup):
        assert found is not None
    first = schedule.next_occurrence(activity, now=activity.starts_at - dt.timedelta(minutes=1))
    assert first is not None
    session = first.key
    return {
        "activities_console:list": "/console/activities/",
        "activities_console:new": "/console/activities/new/",
        "activities_console:detail": f"/console/activities/{activity.pk}/",
        "activities_console:edit": f"/console/activities/{activity.pk}/edit/",
        "activities_console:door": f"/console/activities/{activity.pk}/sessions/{session}/door/",
        "activities_console:roll": f"/console/activities/{activity.pk}/sessions/{session}/roll/",
        "activities_console:counts": "/console/activities/counts/",
        "activities_console:people": "/console/activities/counts/people/",
        "activities_console:registrations": "/console/activities/registrations/",
        "activities_console:records": "/console/activities/records/",
        "activities_console:feedback": "/console/activities/registrations/feedback/",
        "needs:console_list": "/console/needs/",
        "needs:console_new": "/console/needs/new/",
        "needs:console_detail": f"/console/needs/{need.pk}/",
        "needs:console_rates": "/console/needs/rates/",
        "needs:console_moderation": "/console/needs/moderation/",
        "needs:console_api_clients": "/console/needs/open311/",
        "needs:console_routing": "/console/needs/routing/",
        "cobuild:index": "/console/cobuild/",
        "cobuild:calendar": f"/console/cobuild/subdistricts/{subdistrict.pk}/",
        "cobuild:resources": "/console/cobuild/resources/",
        "cobuild:resource_new": "/console/cobuild/resources/new/",
        "cobuild:resource_edit": f"/console/cobuild/resources/{resource.pk}/",
        "cobuild:resource_import": "/console/cobuild/resources/import/",
        "cobuild:projects": "/console/cobuild/projects/",
        "cobuild:project_new": "/console/cobuild/projects/new/",
        "cobuild:project_import": "/console/cobuild/projects/import/",
        "cobuild:proposals": "/console/cobuild/projects/proposals/",
        "cobuild:project": f"/console/cobuild/projects/{project.pk}/",
        "kiosks:index": "/console/kiosks/",
        "kiosks:hut": f"/console/kiosks/huts/{hut.pk}/",
        "kiosks:fault": f"/console/kiosks/faults/{fault.pk}/",
        "kiosks:health": "/console/kiosks/health/",
        "kiosks:health_subject": f"/console/kiosks/health/{subject.pk}/",
        "kiosks:followups": "/console/kiosks/followups/",
        "kiosks:followup": f"/console/kiosks/followups/{followup.pk}/",
    }


def _log_in(page: Any, username: str) -> None:
    page.goto("/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", DEMO_PASSWORD)
    with page.expect_navigation():
        page.press("input[name=password]", "Enter")


def _too_wide(page: Any) -> int:
    """How far the page scrolls sideways as a whole (0 when it fits)."""
    return int(page.evaluate("document.documentElement.scrollWidth - window.innerWidth"))


def test_every_console_page_fits_a_phone_and_passes_axe(
    browser: Any, live_server: Any, sample: Any
) -> None:
    district, run = sample
    pages = _pages(district, run)
    every = _names(get_resolver().url_patterns)
    unaccounted = every - set(pages) - set(NOT_PAGES)
    assert unaccounted == set(), "console URLs the phone test does not open"
    too_wide: dict[str, int] = {}
    violations: dict[str, list[str]] = {}
    # Chinese first (axe runs there), then English, whose longer words widen tabs and buttons.
    for language in ("zh-hans", "en"):
        context = browser.new_context(base_url=live_server.url, viewport=PHONE, locale="zh-CN")
        context.add_cookies(
            [{"name": "django_language", "value": language, "url": live_server.url}]
        )
        for username, names in (
            ("district", [n for n in pages if n not in DOCTOR_PAGES]),
            ("doctor", sorted(DOCTOR_PAGES)),
        ):
            page = context.new_page()
            page.set_default_timeout(60_000)  # the service page lists every station
            _log_in(page, username)
            for name in names:
                url = pages[name]
                response = page.goto(url)
                assert response is not None
                assert response.status == 200, url
                page.wait_for_load_state("networkidle")
                overflow = _too_wide(page)
                if overflow > 0:
                    too_wide[f"{url} ({language})"] = overflow
                    screenshot(page, f"console-phone-too-wide-{name.replace(':', '-')}-{language}")
                if language == "zh-hans":
                    found = axe_violations(page)
                    if found:
                        violations[url] = [f"{v['id']}: {v['nodes'][0]['target']}" for v in found]
            page.context.clear_cookies()
            context.add_cookies(
                [{"name": "django_language", "value": language, "url": live_server.url}]
            )
            page.close()
        context.close()
    assert too_wide == {}
    assert violations == {}


def test_the_station_maps_street_names_are_hidden_from_screen_readers(
    page: Any, sample: Any
) -> None:
    district, _run = sample
    station = Station.objects.filter(district=district, is_active=True).order_by("pk").first()
    assert station is not None
    page.goto(f"/stations/{station.pk}/")
    page.locator(".r-road-label").first.wait_for(state="attached")
    labels = page.locator(".r-road-label")
    assert labels.count() > 10
    hidden = page.evaluate(
        "() => [...document.querySelectorAll('.r-road-label')]"
        ".every(e => e.closest('[aria-hidden=\"true\"]'))"
    )
    assert hidden
