"""Start-up checks of configuration (``linli check``, ``linli check --deploy``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning, register

from linli.core.holidays import year_is_known


@register()
def check_secret_key(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    if settings.PRODUCTION and settings.SECRET_KEY == settings.INSECURE_DEV_SECRET_KEY:
        return [
            Error(
                "LINLI_SECRET_KEY is not set in production.",
                hint="Set a long random value.",
                id="linli.E001",
            )
        ]
    return []


# Deploy-only so that it does not repeat on every management command; staff also see it as a
# banner in the console (linli/places/views/console/home.py).
@register(deploy=True)
def check_holiday_data(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    """Opening hours depend on the official holiday calendar; warn before a year runs out."""
    messages: list[CheckMessage] = []
    today = dt.date.today()
    for year in (today.year, today.year + 1) if today.month >= 11 else (today.year,):
        if not year_is_known(year):
            messages.append(
                Warning(
                    f"chinesecalendar does not know the public holidays of {year}.",
                    hint="Upgrade chinesecalendar once the State Council publishes the "
                    "arrangement; until then stations' holiday hours are shown as unconfirmed.",
                    id="linli.W002",
                )
            )
    return messages


@register()
def check_sms_sender(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    if settings.PRODUCTION and settings.LINLI_SMS_SENDER.endswith("ConsoleSender"):
        return [
            Warning(
                "Residents' login codes are printed to the console, not sent by SMS.",
                hint="Set LINLI_SMS_SENDER to your SMS gateway's sender class.",
                id="linli.W001",
            )
        ]
    return []


@register(deploy=True)
def check_trusted_proxies(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    """Behind nginx every client is 127.0.0.1 unless Django is told to read X-Forwarded-For."""
    if settings.PRODUCTION and not int(getattr(settings, "LINLI_TRUSTED_PROXIES", 0) or 0):
        return [
            Warning(
                "LINLI_TRUSTED_PROXIES is 0: behind a reverse proxy every visitor has the "
                "proxy's address, so the per-address login limits pause everyone at once and "
                "the audit log records the proxy.",
                hint="Set LINLI_TRUSTED_PROXIES=1 behind the nginx of docs/deploy.md.",
                id="linli.W003",
            )
        ]
    return []


@register()
def check_pdf_font(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    """Reports and certificates are PDFs in Chinese: without a CJK font they cannot be made."""
    from linli.core import pdf

    if not pdf.available():
        return [
            Warning(
                "No Chinese font for PDF files: downloads of reports and certificates as PDF "
                "will answer with an explanation instead of the file.",
                hint="Install Debian's fonts-noto-cjk, or set LINLI_PDF_FONT to a CJK font file.",
                id="linli.W004",
            )
        ]
    return []
