"""The health kiosk: identifying residents, their separate consent, and who reads their readings.

* A resident is identified at the kiosk by ID card or by phone and a texted code, and stored
  under ``pseudonym_for`` — HMAC(LINLI_KIOSK_PSEUDONYM_SECRET, the identifier). Neither the ID
  number nor the phone is stored with the health data.
* Health data needs its own consent (PIPL art. 28–29: sensitive personal information, separate
  consent). It is recorded with the text version shown and the time; without a consent in force
  a reading is refused at ingest, and after withdrawal the old readings are hidden from staff.
* Staff read readings only in the family-doctor role of the subject's community
  (``linli.kiosks.permissions.get_subject_for_doctor``); every read and every refusal is
  written to the audit log.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from linli.accounts import services as account_services
from linli.accounts.models import AnyUser, User
from linli.core import audit
from linli.core.exceptions import Conflict, LinliError
from linli.core.models import AuditEntry
from linli.kiosks import services
from linli.kiosks.catalogue import DEFAULT_ITEMS
from linli.kiosks.models import (
    Device,
    HealthConsent,
    HealthSubject,
    MeasurementItem,
    Reading,
)

# The consent text residents accept at the kiosk; a new wording gets a new version, and the
# kiosk sends the version it showed (refused if it is not this one).
CONSENT_VERSION = "2026-1"
CONSENT_TEXT = gettext_lazy(
    "I agree that the health kiosk records my measurements and that the family-doctor team of "
    "my community may read them to follow up on my health. I can withdraw this consent at any "
    "time on my phone or at the kiosk; after that no new measurements are recorded and staff "
    "no longer see the old ones."
)

ID_NUMBER_RE = re.compile(r"^\d{17}[\dX]$")


class NoConsent(LinliError):
    code = "no_consent"
    status = 403


def pseudonym_for(kind: str, identifier: str) -> str:
    """The pseudonymous key of a resident identified by ``kind`` ("id" or "phone")."""
    secret = settings.LINLI_KIOSK_PSEUDONYM_SECRET.encode()
    return hmac.new(secret, f"{kind}:{identifier}".encode(), hashlib.sha256).hexdigest()


def _id_checksum_ok(number: str) -> bool:
    """GB 11643-1999 check digit of an 18-character resident ID number."""
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    total = sum(int(d) * w for d, w in zip(number[:17], weights, strict=True))
    return "10X98765432"[total % 11] == number[17]


@dataclass(frozen=True)
class Identified:
    subject: HealthSubject
    has_consent: bool


def _subject(
    device: Device, pseudonym: str, *, user: User | None, now: dt.datetime
) -> HealthSubject:
    community_id = device.station.community_id
    assert community_id is not None  # identify_resident refuses a hut without a community
    subject, _created = HealthSubject.objects.get_or_create(
        pseudonym=pseudonym,
        defaults={
            "district_id": device.district_id,
            "community_id": community_id,
            "user": user,
            "created_at": now,
        },
    )
    if user is not None and subject.user_id is None:
        subject.user = user
        subject.save(update_fields=["user"])
    return subject


def identify_resident(
    *,
    signed: services.SignedRequest,
    id_number: str = "",
    phone: str = "",
    code: str = "",
    now: dt.datetime | None = None,
) -> Identified:
    """The subject a kiosk is measuring: by ID card, or by phone and the code texted to it."""
    now = now or timezone.now()
    with transaction.atomic():
        device = services.authenticate_device(signed, now=now)
        if device.station.community_id is None:
            raise LinliError(_("This hut belongs to no community."), code="no_community")
        user = None
        if id_number:
            number = id_number.strip().upper()
            if not ID_NUMBER_RE.match(number) or not _id_checksum_ok(number):
                raise LinliError(
                    _("The ID number is not valid: check the card reader."),
                    code="bad_id_number",
                    field="id_number",
                )
            pseudonym = pseudonym_for("id", number)
        elif phone and code:
            user = account_services.verify_phone_code(
                phone=phone, code=code, district_id=device.district_id
            )
            if user is None:
                raise LinliError(
                    _("The code is wrong or has expired; ask for a new one."),
                    code="bad_code",
                    field="code",
                )
            pseudonym = pseudonym_for("phone", user.phone)
        else:
            raise LinliError(
                _("Identify the resident by ID card, or by phone and the texted code."),
                code="required",
            )
        subject = _subject(device, pseudonym, user=user, now=now)
    return Identified(subject=subject, has_consent=has_consent(subject))


def subject_for_resident(user: AnyUser) -> HealthSubject | None:
    """The health subject of a resident logged in by phone (his own history), if any."""
    if not user.is_authenticated or not user.is_resident or not user.phone:
        return None
    return HealthSubject.objects.filter(pseudonym=pseudonym_for("phone", user.phone)).first()


def has_consent(subject: HealthSubject) -> bool:
    """Whether a consent to health-data processing is in force."""
    return subject.consents.filter(withdrawn_at__isnull=True).exists()


def grant_consent(
    *, subject: HealthSubject, text_version: str, channel: str, now: dt.datetime | None = None
) -> HealthConsent:
    """Record the resident's separate consent, with the version of the text he was shown."""
    now = now or timezone.now()
    if text_version != CONSENT_VERSION:
        raise LinliError(
            _("The consent text has changed: show version %(version)s and ask again.")
            % {"version": CONSENT_VERSION},
            code="old_consent_text",
        )
    with transaction.atomic():
        HealthSubject.objects.select_for_update().get(pk=subject.pk)
        current = subject.consents.filter(withdrawn_at__isnull=True).first()
        if current is not None:
            return current
        consent = HealthConsent.objects.create(
            subject=subject, text_version=text_version, granted_at=now, channel=channel
        )
        audit.record(
            actor=None,
            action=AuditEntry.Action.CREATE,
            obj=consent,
            district_id=subject.district_id,
            object_repr=f"{subject.label} consent v{text_version}",
        )
    return consent


def record_consent_at_kiosk(
    *, signed: services.SignedRequest, subject_key: str, text_version: str
) -> HealthConsent:
    """The kiosk reports that the resident accepted the consent text."""
    with transaction.atomic():
        device = services.authenticate_device(signed, now=timezone.now())
        subject = HealthSubject.objects.filter(
            pseudonym=subject_key, district_id=device.district_id
        ).first()
        if subject is None:
            raise LinliError(_("Identify the resident first."), code="unknown_subject")
        return grant_consent(subject=subject, text_version=text_version, channel="kiosk")


def withdraw_consent(
    *, subject: HealthSubject, actor: AnyUser | None = None, now: dt.datetime | None = None
) -> HealthConsent:
    """Withdraw the consent in force: new readings are refused, old ones hidden from staff."""
    now = now or timezone.now()
    with transaction.atomic():
        consent = (
            HealthConsent.objects.select_for_update()
            .filter(subject=subject, withdrawn_at__isnull=True)
            .first()
        )
        if consent is None:
            raise Conflict(_("There is no consent to withdraw."), code="no_consent")
        consent.withdrawn_at = now
        consent.save(update_fields=["withdrawn_at"])
        audit.record(
            actor=actor,
            action=AuditEntry.Action.UPDATE,
            obj=consent,
            district_id=subject.district_id,
            object_repr=f"{subject.label} consent v{consent.text_version}",
            changes={"withdrawn": [False, True]},
        )
    return consent


# --- readings: validation against the catalogue ----------------------------------------------


def catalogue() -> dict[str, MeasurementItem]:
    """The active measurement items by code."""
    return {i.code: i for i in MeasurementItem.objects.filter(is_active=True)}


def load_default_catalogue() -> None:
    """(Re)create the 21 default items (after a test flush; the data migration does it once)."""
    for order, item in enumerate(DEFAULT_ITEMS):
        MeasurementItem.objects.update_or_create(
            code=item.code, defaults={**item._asdict(), "sort_order": order}
        )


# --- staff reads -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ReadingRow:
    reading: Reading
    item: MeasurementItem | None
    value: float | str

    @property
    def shown(self) -> str:
        """The value as people write it (129, not 129.0)."""
        return _shown(self.value)


def readings_of(subject: HealthSubject) -> list[ReadingRow]:
    """A subject's readings, decrypted, oldest first (callers have passed the chokepoint)."""
    items = {i.code: i for i in MeasurementItem.objects.all()}
    return [
        ReadingRow(reading=r, item=items.get(r.item), value=services.reading_value(r))
        for r in Reading.objects.filter(subject=subject.pseudonym).order_by("measured_at", "pk")
    ]


def send_code_from_kiosk(*, signed: services.SignedRequest, phone: str) -> None:
    """Text a login code to the resident's phone, for ``identify_resident`` by phone."""
    with transaction.atomic():
        device = services.authenticate_device(signed, now=timezone.now())
    try:
        account_services.request_phone_code(phone=phone, district_id=device.district_id)
    except account_services.InvalidPhone as exc:
        raise LinliError(exc.message, code="bad_phone", field="phone") from exc


@dataclass(frozen=True)
class FindingRow:
    label: str
    level: str
    item: MeasurementItem | None
    value: str
    measured_at: dt.datetime | None
    limit: str


def _shown(value: float | str) -> str:
    return value if isinstance(value, str) else f"{value:g}"


def finding_rows(follow_up: Any) -> list[FindingRow]:
    """A follow-up's findings with their readings' values (callers passed the chokepoint)."""
    from linli.kiosks.thresholds import FINDINGS

    items = {i.code: i for i in MeasurementItem.objects.all()}
    readings = Reading.objects.in_bulk([f["reading"] for f in follow_up.findings])
    rows = []
    for f in follow_up.findings:
        reading = readings.get(f["reading"])
        item = items.get(f["item"])
        rows.append(
            FindingRow(
                label=str(FINDINGS.get(f["finding"], f["finding"])),
                level=f["level"],
                item=item,
                value=_shown(services.reading_value(reading)) if reading else "",
                measured_at=reading.measured_at if reading else None,
                limit=f"{f['op']} {f['limit']:g} {item.unit if item else ''}".strip(),
            )
        )
    return rows
