"""The FHIR export: valid R4 Bundles with LOINC codes, a pseudonymous Patient, the connectors."""

from __future__ import annotations

import datetime as dt
import json
import threading
import urllib.error
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone
from fhir.resources.R4B.bundle import Bundle

from linli.core.models import AuditEntry
from linli.kiosks import fhir, health
from linli.kiosks.models import Device, HealthSubject

READINGS = "/api/kiosks/device/readings"
ID_NUMBER = "11010519491231002X"


@pytest.fixture
def measured(signed_post: Any, device_key: Any, kiosk: Device, hierarchy: Any) -> HealthSubject:
    subject = HealthSubject.objects.create(
        district_id=kiosk.district_id,
        community=hierarchy.xingfu,
        pseudonym=health.pseudonym_for("id", ID_NUMBER),
        created_at=timezone.now(),
    )
    health.grant_consent(subject=subject, text_version=health.CONSENT_VERSION, channel="kiosk")
    old = (timezone.now() - dt.timedelta(days=40)).isoformat()
    new = (timezone.now() - dt.timedelta(hours=2)).isoformat()
    readings: list[dict[str, Any]] = [
        {"id": "a", "item": "systolic", "value": 142, "measured_at": old},
        {"id": "b", "item": "diastolic", "value": 91, "measured_at": old},
        {"id": "c", "item": "fasting_glucose", "value": 6.1, "measured_at": new},
        {"id": "d", "item": "ecg", "value": "窦性心律", "measured_at": new},
        {"id": "e", "item": "waist_hip_ratio", "value": 0.92, "measured_at": new},
    ]
    for r in readings:
        r["subject"] = subject.pseudonym
    assert signed_post(READINGS, {"readings": readings}, key=device_key).json()["accepted"] == 5
    return subject


def _bundles(directory: Path) -> list[dict[str, Any]]:
    return [json.loads(p.read_text("utf-8")) for p in sorted(directory.glob("*.json"))]


def test_the_export_writes_one_valid_r4_bundle_per_resident(
    measured: HealthSubject, tmp_path: Path
) -> None:
    call_command("kiosk", "export-fhir", "--out", str(tmp_path))
    (bundle,) = _bundles(tmp_path)
    Bundle.model_validate(bundle)  # raises if the Bundle is not valid FHIR
    resources = [e["resource"] for e in bundle["entry"]]
    patient, *observations = resources
    assert patient["resourceType"] == "Patient"
    assert patient["identifier"] == [{"system": fhir.PSEUDONYM, "value": measured.pseudonym}]
    assert ID_NUMBER not in json.dumps(bundle)
    by_code = {o["code"]["coding"][-1]["code"]: o for o in observations}
    systolic = by_code["systolic"]
    assert systolic["code"]["coding"][0] == {
        "system": "http://loinc.org",
        "code": "8480-6",
        "display": "Systolic blood pressure",
    }
    assert systolic["valueQuantity"]["code"] == "mm[Hg]"
    assert systolic["valueQuantity"]["value"] == 142.0
    assert systolic["subject"]["reference"] == bundle["entry"][0]["fullUrl"]
    assert by_code["ecg"]["valueString"] == "窦性心律"
    # No LOINC code for the waist-hip ratio: only Linli's own coding.
    assert [c["system"] for c in by_code["waist_hip_ratio"]["code"]["coding"]] == [fhir.LINLI_ITEM]
    assert AuditEntry.objects.filter(action=AuditEntry.Action.EXPORT).count() == 1


def test_since_limits_the_readings_and_withdrawn_residents_are_left_out(
    measured: HealthSubject, tmp_path: Path
) -> None:
    since = (timezone.localdate() - dt.timedelta(days=7)).isoformat()
    call_command("kiosk", "export-fhir", "--out", str(tmp_path / "recent"), "--since", since)
    (bundle,) = _bundles(tmp_path / "recent")
    assert len(bundle["entry"]) == 1 + 3
    health.withdraw_consent(subject=measured)
    call_command("kiosk", "export-fhir", "--out", str(tmp_path / "after"))
    assert _bundles(tmp_path / "after") == []


class _Receiver(BaseHTTPRequestHandler):
    received: list[dict[str, Any]] = []  # noqa: RUF012 — shared with the test on purpose
    status = 201

    def do_POST(self) -> None:
        length = int(self.headers["Content-Length"])
        _Receiver.received.append(
            {
                "type": self.headers["Content-Type"],
                "auth": self.headers.get("Authorization"),
                "body": json.loads(self.rfile.read(length)),
            }
        )
        self.send_response(_Receiver.status)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[str]:
    _Receiver.received.clear()
    _Receiver.status = 201
    server = HTTPServer(("127.0.0.1", 0), _Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/fhir"
    server.shutdown()
    server.server_close()


def test_the_http_connector_posts_each_bundle(measured: HealthSubject, receiver: str) -> None:
    count = fhir.export_bundles(connector=fhir.HttpConnector(receiver, token="t0ken"))
    assert count == 1
    (sent,) = _Receiver.received
    assert sent["type"] == "application/fhir+json; charset=utf-8"
    assert sent["auth"] == "Bearer t0ken"
    Bundle.model_validate(sent["body"])


def test_a_refusing_server_stops_the_export(measured: HealthSubject, receiver: str) -> None:
    _Receiver.status = 500
    with pytest.raises(urllib.error.HTTPError):
        fhir.export_bundles(connector=fhir.HttpConnector(receiver))
