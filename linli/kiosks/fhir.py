"""FHIR R4 export of kiosk readings: one Bundle per resident, pushed through a connector.

Each Bundle (type ``collection``) holds a pseudonymous ``Patient`` — its only identifier is the
kiosk pseudonym, never an ID number, phone or name — and one ``Observation`` per reading with
the catalogue item's LOINC code (items without one carry only Linli's own code), a UCUM
quantity or, for text items (ECG interpretation, TCM constitution), a string. Only residents
whose consent is in force are exported; each export is written to the audit log.

Connectors: ``FileConnector`` writes ``<patient id>.json`` files; ``HttpConnector`` POSTs each
Bundle to an external health system (``application/fhir+json``). ``linli kiosk export-fhir``
runs ``export_bundles``.
"""

from __future__ import annotations

import datetime as dt
import json
import urllib.request
import uuid
from collections import defaultdict
from pathlib import Path
from typing import Any, Protocol

from django.utils import timezone

from linli.core import audit
from linli.core.models import AuditEntry
from linli.kiosks import services
from linli.kiosks.models import (
    DeviceKind,
    HealthConsent,
    HealthSubject,
    MeasurementItem,
    Reading,
)

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
LINLI_ITEM = "urn:linli:kiosk-item"
PSEUDONYM = "urn:linli:kiosk-pseudonym"
CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
NAMESPACE = uuid.UUID("6f1b7e1c-2f0a-4c39-9f67-7b1c8e0a4d21")

# The catalogue's units as UCUM codes (linli.kiosks.catalogue).
UCUM_CODES = {
    "cm": "cm",
    "kg": "kg",
    "kg/m2": "kg/m2",
    "%": "%",
    "kcal/d": "kcal/d",
    "mmHg": "mm[Hg]",
    "/min": "/min",
    "Cel": "Cel",
    "mmol/L": "mmol/L",
    "umol/L": "umol/L",
    "": "1",
}
VITAL_SIGNS = {
    "height", "weight", "bmi", "systolic", "diastolic", "pulse", "spo2", "temperature", "waist",
}  # fmt: skip


class Connector(Protocol):
    """Where Bundles go: a folder, an external health system …"""

    def push(self, *, name: str, bundle: dict[str, Any]) -> None: ...


class FileConnector:
    """Writes each Bundle as ``<name>.json`` in a folder (created if missing)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)

    def push(self, *, name: str, bundle: dict[str, Any]) -> None:
        path = self.directory / f"{name}.json"
        path.write_text(json.dumps(bundle, ensure_ascii=False, indent=1), encoding="utf-8")


class HttpConnector:
    """POSTs each Bundle to ``url`` (a FHIR server's base, or a receiving endpoint).

    A non-2xx answer raises ``urllib.error.HTTPError``: the export stops, and running it again
    sends the same Bundles (their ids are stable, so a FHIR server stores them once).
    """

    def __init__(self, url: str, *, token: str = "", timeout: float = 30.0) -> None:
        self.url = url
        self.token = token
        self.timeout = timeout

    def push(self, *, name: str, bundle: dict[str, Any]) -> None:
        headers = {"Content-Type": "application/fhir+json; charset=utf-8"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        request = urllib.request.Request(
            self.url,
            data=json.dumps(bundle, ensure_ascii=False).encode(),
            headers=headers,
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=self.timeout) as response:
            response.read()


def _uuid(*parts: object) -> str:
    return str(uuid.uuid5(NAMESPACE, "/".join(str(p) for p in parts)))


def observation(
    reading: Reading, item: MeasurementItem | None, value: float | str, patient_url: str
) -> dict[str, Any]:
    """One reading as a FHIR Observation."""
    code = item.code if item else reading.item
    coding = [{"system": LINLI_ITEM, "code": code, "display": item.name_en if item else code}]
    if item and item.loinc:
        coding.insert(0, {"system": LOINC, "code": item.loinc, "display": item.name_en})
    resource: dict[str, Any] = {
        "resourceType": "Observation",
        "id": _uuid("observation", reading.device_id, reading.reading_id),
        "status": "final",
        "category": [
            {
                "coding": [
                    {
                        "system": CATEGORY,
                        "code": "vital-signs" if code in VITAL_SIGNS else "exam",
                    }
                ]
            }
        ],
        "code": {"coding": coding, "text": item.name_zh if item else code},
        "subject": {"reference": patient_url},
        "effectiveDateTime": reading.measured_at.isoformat(),
    }
    if isinstance(value, str):
        resource["valueString"] = value
    else:
        unit = item.unit if item else ""
        resource["valueQuantity"] = {
            "value": value,
            "unit": unit or "1",
            "system": UCUM,
            "code": UCUM_CODES.get(unit, unit or "1"),
        }
    return resource


def bundle_for(
    subject: HealthSubject,
    readings: list[Reading],
    items: dict[str, MeasurementItem],
    *,
    now: dt.datetime,
) -> dict[str, Any]:
    """A resident's readings as one FHIR Bundle of a pseudonymous Patient and Observations."""
    patient_id = _uuid("patient", subject.pseudonym)
    patient_url = f"urn:uuid:{patient_id}"
    entries: list[dict[str, Any]] = [
        {
            "fullUrl": patient_url,
            "resource": {
                "resourceType": "Patient",
                "id": patient_id,
                "identifier": [{"system": PSEUDONYM, "value": subject.pseudonym}],
            },
        }
    ]
    for reading in readings:
        resource = observation(
            reading, items.get(reading.item), services.reading_value(reading), patient_url
        )
        entries.append({"fullUrl": f"urn:uuid:{resource['id']}", "resource": resource})
    return {
        "resourceType": "Bundle",
        "id": _uuid("bundle", subject.pseudonym, now.isoformat()),
        "type": "collection",
        "timestamp": now.isoformat(),
        "entry": entries,
    }


def export_bundles(*, connector: Connector, since: dt.date | None = None) -> int:
    """Push one Bundle per consenting resident with readings (since ``since``); returns Bundles."""
    now = timezone.now().replace(microsecond=0)
    items = {i.code: i for i in MeasurementItem.objects.all()}
    consenting = HealthSubject.objects.filter(
        pk__in=HealthConsent.objects.filter(withdrawn_at__isnull=True).values("subject_id")
    )
    readings = Reading.objects.filter(
        device__kind=DeviceKind.HEALTH_KIOSK,
        subject__in=consenting.values("pseudonym"),
    ).order_by("subject", "measured_at", "pk")
    if since is not None:
        start = timezone.make_aware(dt.datetime.combine(since, dt.time.min))
        readings = readings.filter(measured_at__gte=start)
    by_subject: dict[str, list[Reading]] = defaultdict(list)
    for reading in readings.iterator(chunk_size=2000):
        by_subject[reading.subject].append(reading)
    subjects = consenting.in_bulk(list(by_subject), field_name="pseudonym")
    districts: dict[int | None, int] = defaultdict(int)
    for pseudonym, rows in by_subject.items():
        subject = subjects[pseudonym]
        bundle = bundle_for(subject, rows, items, now=now)
        connector.push(name=bundle["entry"][0]["resource"]["id"], bundle=bundle)
        districts[subject.district_id] += 1
    for district_id, count in districts.items():
        audit.record(
            actor=None,
            action=AuditEntry.Action.EXPORT,
            district_id=district_id,
            object_type="kiosks.reading",
            object_repr=f"FHIR export: {count} resident bundle(s)",
            changes={"bundles": count, "since": since.isoformat() if since else None},
        )
    return len(by_subject)
