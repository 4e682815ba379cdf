"""The rates equal a plain recount, need by need, of the definitions in docs/needs.md."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

import pytest

from linli.needs import queries, services
from linli.needs.deadlines import BEIJING
from linli.needs.models import DONE_STATUSES, OPEN_STATUSES, Need, Status
from linli.places.models import Compound

pytestmark = pytest.mark.django_db


def _recount(needs: list[Need], key: str, now: dt.datetime) -> dict[Any, tuple[int, ...]]:
    out: dict[Any, list[int]] = {}
    for n in needs:
        if n.status in (Status.MERGED, Status.DECLINED):
            continue
        k = getattr(n, key)
        if key == "assigned_organisation_id" and k is None:
            continue
        row = out.setdefault(k, [0] * 6)
        row[0] += 1
        done = n.status in DONE_STATUSES
        row[1] += done
        resolved_due = done and n.due_at is not None and n.resolved_at is not None
        open_overdue = n.status in OPEN_STATUSES and n.due_at is not None and n.due_at < now
        row[2] += resolved_due or open_overdue
        row[3] += bool(resolved_due and n.resolved_at <= n.due_at)  # type: ignore[operator]  # resolved_due: neither is None
        row[4] += n.rating_level != ""
        row[5] += n.rating_level in ("satisfied", "fairly")
    return {k: tuple(v) for k, v in out.items()}


def test_rates_equal_a_recount(hierarchy: Any, resident: Any, district_admin: Any) -> None:
    rng = random.Random(7)
    start = dt.datetime(2026, 3, 2, 9, tzinfo=BEIJING)
    other = Compound.objects.create(
        district=hierarchy.district, community=hierarchy.xiyuan, code="C002", name="西园小区"
    )
    compounds = [hierarchy.compound_xingfu, other]
    for i in range(40):
        t = start + dt.timedelta(hours=7 * i)
        need = services.raise_need(
            actor=resident,
            district=hierarchy.district,
            category=rng.choice(["environment", "safety", "water_power", "renovation"]),
            description=f"需求 {i}",
            compound=rng.choice(compounds),
            now=t,
        )
        stop = rng.choice(["submitted", "accept", "start", "resolve", "rate", "decline"])
        if stop == "submitted":
            continue
        if stop == "decline":
            services.decline_need(
                actor=district_admin, need_id=need.pk, public_note="不属于社区", now=t
            )
            continue
        services.accept_need(actor=district_admin, need_id=need.pk, public_summary="s", now=t)
        if stop == "accept":
            continue
        services.dispatch_need(actor=district_admin, need_id=need.pk, now=t)
        services.start_need(actor=district_admin, need_id=need.pk, now=t)
        if stop == "start":
            continue
        done_at = t + dt.timedelta(hours=rng.choice([1, 3, 30, 24 * 12]))
        services.resolve_need(actor=district_admin, need_id=need.pk, public_note="好", now=done_at)
        if stop == "rate":
            services.rate_need(
                actor=resident,
                need_id=need.pk,
                level=rng.choice(["satisfied", "fairly", "dissatisfied"]),
                now=done_at,
            )
    now = dt.datetime(2026, 4, 1, tzinfo=BEIJING)
    year = (dt.datetime(2026, 1, 1, tzinfo=BEIJING), dt.datetime(2027, 1, 1, tzinfo=BEIJING))
    needs = list(Need.objects.all())
    for by, key in (("community", "community_id"), ("category", "category")):
        rows = queries.rates(Need.objects.all(), by=by, start=year[0], end=year[1], now=now)
        got = {r.key: (r.counted, r.resolved, r.due, r.on_time, r.rated, r.satisfied) for r in rows}
        assert got == _recount(needs, key, now)
    assert (
        sum(
            r.counted
            for r in queries.rates(
                Need.objects.all(), by="category", start=year[0], end=year[1], now=now
            )
        )
        > 0
    )


def test_a_rate_without_a_denominator_is_none() -> None:
    row = queries.RateRow(
        key=1, name="x", counted=0, resolved=0, due=0, on_time=0, rated=0, satisfied=0
    )
    assert row.resolved_rate is None
    assert row.on_time_rate is None
    assert row.satisfied_rate is None
