"""三公开: the public pages and the public API never show a resident's name, phone or words.

The sample needs are loaded into the test district, then every public page (the timeline and
each need on it, service items, evaluations, each station's page and QR code) and the public API
is fetched and searched for every sample resident's name and phone, the contact names and phones
on the needs, and the descriptions residents typed.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.test import Client

from linli.accounts.models import Role, User
from linli.needs.deadlines import BEIJING
from linli.needs.models import Need, Rating
from linli.places.models import Station
from linli.sample.needs import load_sample_needs

pytestmark = pytest.mark.django_db


def _public_output(client: Any, district_code: str) -> list[tuple[str, str]]:
    pages: list[tuple[str, str]] = []

    def get(url: str) -> str:
        response = client.get(url)
        assert response.status_code == 200, url
        text: str = response.content.decode()
        pages.append((url, text))
        return text

    page = 1
    while f"?page={page + 1}" in get(f"/needs/public/?page={page}"):
        page += 1
    for need in Need.objects.public():
        get(f"/needs/public/{need.pk}/")
    get("/needs/public/services/")
    get("/needs/public/evaluations/")
    for station in Station.objects.filter(is_active=True):
        get(f"/needs/public/stations/{station.pk}/")
        get(f"/needs/public/stations/{station.pk}/qr.svg")
    offset = 0
    while rows := json.loads(get(f"/api/needs/public/{district_code}/?offset={offset}")):
        offset += len(rows)
    assert offset == Need.objects.public().count()
    return pages


def test_no_public_output_carries_a_residents_name_phone_or_words(hierarchy: Any) -> None:
    now = dt.datetime(2026, 11, 20, 9, tzinfo=BEIJING)
    load_sample_needs(hierarchy.district, count=60, now=now)
    assert Rating.objects.filter(comment_moderation=Rating.Moderation.APPROVED).exists()
    secrets: set[str] = set()
    for user in User.objects.filter(role=Role.RESIDENT):
        secrets.update({user.real_name, user.phone})
    for need in Need.objects.all():
        secrets.update({need.contact_name, need.contact_phone, need.description})
    secrets.discard("")
    assert len(secrets) > 50
    pages = _public_output(Client(), hierarchy.district.code)
    assert len(pages) > 10
    leaks = [(url, s) for url, text in pages for s in secrets if s in text]
    assert leaks == []
