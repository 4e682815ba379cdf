"""三公开: comments and photos are public only after staff review; the station QR code."""

from __future__ import annotations

from typing import Any

import pytest
from django.http import Http404

from linli.needs import services
from linli.needs.models import Need, Rating
from linli.needs.tests.conftest import walk

pytestmark = pytest.mark.django_db


def test_a_comment_is_public_only_after_staff_publish_it(
    client: Any, need: Need, community_staff: Any, other_community_staff: Any, resident: Any
) -> None:
    walk(need, community_staff, upto="resolve")
    services.rate_need(actor=resident, need_id=need.pk, level="fairly", comment="修得挺好但慢")
    rating = Rating.objects.get()
    assert "修得挺好但慢" not in client.get("/needs/public/evaluations/").content.decode()
    with pytest.raises(Http404):
        services.moderate_comment(actor=other_community_staff, rating_id=rating.pk, publish=True)
    services.moderate_comment(actor=community_staff, rating_id=rating.pk, publish=True)
    assert "修得挺好但慢" in client.get("/needs/public/evaluations/").content.decode()


def test_the_station_qr_code_opens_the_station_page(client: Any, hierarchy: Any) -> None:
    station = hierarchy.station_xingfu
    svg = client.get(f"/needs/public/stations/{station.pk}/qr.svg")
    assert svg.status_code == 200
    assert svg["Content-Type"] == "image/svg+xml"
    assert b"<svg" in svg.content
    page = client.get(f"/needs/public/stations/{station.pk}/").content.decode()
    assert station.name in page
    assert "王建国" not in page
    assert "13812345678" not in page
