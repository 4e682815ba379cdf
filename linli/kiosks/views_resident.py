"""The resident's own health readings on the phone: charts, the history, export, consent.

A resident sees his own readings only — found through the pseudonym of his phone number
(``health.subject_for_resident``) — whether or not his consent is in force: withdrawal hides
them from staff, not from him. Staff accounts are sent back to the console.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_GET, require_POST

from linli.core.exceptions import LinliError
from linli.kiosks import health, queries


def _resident_or_console(request: HttpRequest) -> HttpResponse | None:
    if not getattr(request.user, "is_resident", False):
        return redirect("console:home")
    return None


@require_GET
@login_required(login_url="accounts:phone_login")
def my_health(request: HttpRequest) -> HttpResponse:
    """My readings: the latest of each item, charts over time, the full list."""
    if (other := _resident_or_console(request)) is not None:
        return other
    subject = health.subject_for_resident(request.user)
    rows = health.readings_of(subject) if subject else []
    return render(
        request,
        "kiosks/resident/health.html",
        {
            "district": getattr(request.user, "district", None),
            "subject": subject,
            "has_consent": bool(subject and health.has_consent(subject)),
            "consent_text": health.CONSENT_TEXT,
            "consent_version": health.CONSENT_VERSION,
            "latest": queries.latest_by_item(rows),
            "charts": queries.chart_series(rows),
            "rows": list(reversed(rows)),
        },
    )


def _cell(value: Any) -> str:
    """A CSV cell that no spreadsheet runs as a formula (device text may start with "=")."""
    text = str(value)
    return "'" + text if text[:1] in {"=", "+", "-", "@", "\t", "\r"} else text


@require_GET
@login_required(login_url="accounts:phone_login")
def export_mine(request: HttpRequest) -> HttpResponse:
    """My whole history as a CSV file (UTF-8 with BOM, so spreadsheet programs read Chinese)."""
    if (other := _resident_or_console(request)) is not None:
        return other
    subject = health.subject_for_resident(request.user)
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(
        [_("Measured"), _("Item"), pgettext("measurement", "Value"), _("Unit"), _("LOINC code")]
    )
    for row in health.readings_of(subject) if subject else []:
        item = row.item
        writer.writerow(
            [
                timezone.localtime(row.reading.measured_at).strftime("%Y-%m-%d %H:%M"),
                item.display_name if item else row.reading.item,
                _cell(row.value) if isinstance(row.value, str) else f"{row.value:g}",
                item.unit if item else "",
                item.loinc if item else "",
            ]
        )
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="my-health-readings.csv"'
    return response


@require_POST
@login_required(login_url="accounts:phone_login")
def consent(request: HttpRequest) -> HttpResponse:
    """Withdraw the consent, or give it again (with the text version shown on the page)."""
    if (other := _resident_or_console(request)) is not None:
        return other
    subject = health.subject_for_resident(request.user)
    if subject is None:
        return redirect("kiosks_resident:mine")
    try:
        if request.POST.get("action") == "withdraw":
            health.withdraw_consent(subject=subject, actor=request.user)
            messages.success(
                request,
                _(
                    "Consent withdrawn: no new measurements are recorded and staff no longer "
                    "see your readings."
                ),
            )
        else:
            health.grant_consent(
                subject=subject,
                text_version=request.POST.get("text_version", ""),
                channel="phone",
            )
            messages.success(request, _("Thank you: your consent has been recorded."))
    except LinliError as exc:
        messages.error(request, str(exc.message))
    return redirect("kiosks_resident:mine")
