"""Fixtures of the needs tests: a resident's need in 幸福里, the ``community_staff``'s community."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from linli.needs import services
from linli.needs.deadlines import BEIJING
from linli.needs.models import Need

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=BEIJING)  # a Monday, no holiday near


@pytest.fixture
def need(hierarchy: Any, resident: Any) -> Need:
    return services.raise_need(
        actor=resident,
        district=hierarchy.district,
        category="environment",
        description="3号楼门口的垃圾桶满了三天没人清理",
        compound=hierarchy.compound_xingfu,
        now=T0,
    )


def walk(need: Need, staff: Any, *, upto: str) -> Need:
    """Take ``need`` through the workflow as ``staff`` up to the step ``upto``."""
    steps: list[tuple[str, Callable[[], Need]]] = [
        (
            "accept",
            lambda: services.accept_need(
                actor=staff, need_id=need.pk, public_summary="清理垃圾桶", now=T0
            ),
        ),
        ("dispatch", lambda: services.dispatch_need(actor=staff, need_id=need.pk, now=T0)),
        ("start", lambda: services.start_need(actor=staff, need_id=need.pk, now=T0)),
        (
            "resolve",
            lambda: services.resolve_need(
                actor=staff, need_id=need.pk, public_note="已清理", now=T0 + dt.timedelta(hours=5)
            ),
        ),
    ]
    need.refresh_from_db()
    done = {"submitted": 0, "accepted": 1, "dispatched": 2, "in_progress": 3}[need.status]
    for name, step in steps[done:]:
        need = step()
        if name == upto:
            break
    return need


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Any) -> None:
    """Uploaded photos go to a temporary folder."""
    settings.MEDIA_ROOT = tmp_path / "media"
