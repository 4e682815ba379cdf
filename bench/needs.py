"""Needs benchmark: a district's year of needs (500,000 by default) on PostgreSQL, in one run.

One run starts a private PostgreSQL server, loads the sample district, adds a year of needs
(drawn with a fixed seed: every category and status, deadlines met and missed, ratings, units)
with COPY, serves Linli with gunicorn and measures:

* the staff list (/console/needs/, a district administrator and a community's staff, with the
  filters people use) and the public timeline (/needs/public/ and its JSON API) with wrk at
  20 connections, beside a bare Django view on the same server (the yardstick: its p95 is the
  floor the machine allows; the ratio says what the page costs on top);
* the rates per community for the year (/api/needs/rates/?by=community), one request at a time,
  beside the peer that recounts them need by need in Python from the same rows (the definition
  of docs/needs.md, as linli/needs/tests/test_rates.py does); the two must be equal.

Targets (issue #13): the lists' p95 <= 100 ms at 20 connections, the rates <= 200 ms.

    .venv/bin/python bench/needs.py [--needs 500000] [--duration 10] [--connections 20]

Needs Debian's wrk and PostgreSQL binaries (``apt-get install wrk postgresql``). Not a test:
CI does not run it. Results go to bench/results/needs.csv.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.web import _free_port, _preflight, _wrk, postgres  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "needs.csv"
SEED = 13
LIST_P95_MS = 100.0
RATES_MS = 200.0
SUMMARIES = [
    "清理楼道堆放杂物",
    "修复小区路灯",
    "更换单元门禁",
    "疏通雨水井",
    "调解楼上漏水纠纷",
    "为独居老人上门助浴",
    "增设电动车充电桩",
    "修补健身器材",
    "清运建筑垃圾",
    "加装楼道扶手",
]


def _load_needs(n: int, *, now: dt.datetime) -> dict[str, Any]:
    """COPY ``n`` needs submitted over the year before ``now`` into the sample district."""
    import numpy as np
    from django.db import connection

    from linli.needs.models import DEFAULT_URGENCY, Category, Need
    from linli.places.models import Compound, District, Organisation

    district = District.objects.get(code="SAMPLE-140404")
    compounds = list(
        Compound.objects.filter(district=district).values_list(
            "pk", "community_id", "community__subdistrict_id", "grid_id", "name"
        )
    )
    units = list(Organisation.objects.filter(district=district).values_list("pk", flat=True))
    rng = np.random.default_rng(SEED)
    year = dt.timedelta(days=365)
    ages = rng.random(n) * year.total_seconds()
    which = rng.integers(0, len(compounds), n)
    categories = list(Category.values)
    cat = rng.integers(0, len(categories), n)
    fate = rng.random(n)
    late = rng.random(n)
    level = rng.random(n)
    unit = rng.integers(0, max(len(units), 1), n)
    spans = {
        "urgent": dt.timedelta(hours=2),
        "utilities": dt.timedelta(hours=24),
        "general": dt.timedelta(days=9),
        "complex": dt.timedelta(days=21),
    }
    columns = [
        "district_id",
        "subdistrict_id",
        "community_id",
        "grid_id",
        "compound_id",
        "category",
        "urgency",
        "scale",
        "description",
        "public_summary",
        "anonymous",
        "contact_preference",
        "contact_name",
        "contact_phone",
        "channel",
        "status",
        "assigned_organisation_id",
        "submitted_at",
        "accepted_at",
        "resolved_at",
        "closed_at",
        "due_at",
        "reopen_count",
        "rating_level",
        "followers_count",
        "on_needs_list",
        "updated_at",
        "extension_reason",
        "gap_key",
        "gap_url",
    ]
    table = Need._meta.db_table
    started = time.perf_counter()
    with connection.cursor() as cursor:
        raw = cursor.cursor  # psycopg's own cursor: COPY
        with raw.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for i in range(n):
                pk, community, subdistrict, grid, name = compounds[which[i]]
                category = categories[cat[i]]
                urgency = str(DEFAULT_URGENCY[category])
                submitted = now - dt.timedelta(seconds=float(ages[i]))
                age = now - submitted
                due = submitted + spans[urgency]
                f = fate[i]
                if f < 0.02:
                    status = "merged"
                elif f < 0.05:
                    status = "declined"
                elif age < spans[urgency] * 2 or f > 0.97:
                    status = ("submitted", "accepted", "dispatched", "in_progress")[
                        int(f * 100) % 4
                    ]
                elif f < 0.30:
                    status = "resolved"
                elif f < 0.50:
                    status = "followed_up"
                else:
                    status = "rated"
                done = status in ("resolved", "followed_up", "rated")
                resolved = submitted + spans[urgency] * (0.2 + 1.1 * late[i]) if done else None
                rating = ""
                if status == "rated":
                    rating = (
                        "satisfied"
                        if level[i] < 0.7
                        else "fairly"
                        if level[i] < 0.9
                        else ("dissatisfied")
                    )
                accepted = submitted + dt.timedelta(hours=1) if status != "submitted" else None
                assigned = (
                    units[unit[i]]
                    if units
                    and status not in ("submitted", "accepted", "merged", "declined")
                    and level[i] < 0.5
                    else None
                )
                summary = f"{SUMMARIES[i % len(SUMMARIES)]}（{name}）" if accepted else ""
                copy.write_row(
                    (
                        district.pk,
                        subdistrict,
                        community,
                        grid,
                        pk,
                        category,
                        urgency,
                        "shared" if i % 3 == 0 else "personal",
                        f"{SUMMARIES[i % len(SUMMARIES)]}，已经好几天了，请尽快处理。编号{i}",
                        summary,
                        i % 7 == 0,
                        "phone",
                        "",
                        "",
                        "online",
                        status,
                        assigned,
                        submitted,
                        accepted,
                        resolved,
                        resolved if status == "rated" else None,
                        due,
                        0,
                        rating,
                        0,
                        False,
                        now,
                        "",
                        "",
                        "",
                    )
                )
        # The steady state autovacuum keeps: statistics and the visibility map (index-only scans).
        cursor.execute(f"VACUUM ANALYZE {table}")
    return {"district": district.code, "seconds": time.perf_counter() - started}


def _session(username: str) -> str:
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import get_user_model

    store = import_module(settings.SESSION_ENGINE).SessionStore()
    user = get_user_model().objects.get(username=username)
    store["_auth_user_id"] = str(user.pk)
    store["_auth_user_backend"] = "linli.accounts.backends.LockoutModelBackend"
    store["_auth_user_hash"] = user.get_session_auth_hash()
    store.create()
    return str(store.session_key)


def recount(
    district_id: int, *, start: dt.datetime, end: dt.datetime, now: dt.datetime
) -> dict[int, tuple[int, int, int, int, int, int]]:
    """The peer: docs/needs.md's definitions, need by need in Python, per community."""
    from linli.needs.models import DONE_STATUSES, OPEN_STATUSES, Need

    out: dict[int, list[int]] = {}
    rows = (
        Need.objects.filter(district_id=district_id, submitted_at__gte=start, submitted_at__lt=end)
        .values_list("community_id", "status", "due_at", "resolved_at", "rating_level")
        .iterator(chunk_size=20_000)
    )
    for community, status, due, resolved, rating in rows:
        if status in ("merged", "declined"):
            continue
        c = out.setdefault(community, [0, 0, 0, 0, 0, 0])
        c[0] += 1
        done = status in DONE_STATUSES
        c[1] += done
        finished = done and due is not None and resolved is not None
        c[2] += finished or (status in OPEN_STATUSES and due is not None and due < now)
        c[3] += finished and resolved <= due
        c[4] += rating != ""
        c[5] += rating in ("satisfied", "fairly")
    return {k: (v[0], v[1], v[2], v[3], v[4], v[5]) for k, v in out.items()}


def _get(url: str, cookie: str) -> tuple[float, bytes]:
    request = urllib.request.Request(url, headers={"Cookie": f"sessionid={cookie}"})
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=60) as response:
        body = response.read()
    return (time.perf_counter() - started) * 1000, body


def _p95(values: list[float]) -> float:
    return sorted(values)[max(0, round(0.95 * len(values)) - 1)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--needs", type=int, default=500_000)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=20)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--repeat", type=int, default=20, help="rate requests timed one by one")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed: apt-get install wrk")
    var = Path(tempfile.mkdtemp(prefix="linli-bench-var."))
    (var / "static").mkdir()
    rows: list[dict[str, Any]] = []
    with postgres() as database_url:
        env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "LINLI_VAR_DIR": str(var),
            "DJANGO_SETTINGS_MODULE": "bench.bench_settings",
            "PYTHONPATH": str(ROOT),
            "LINLI_DB_CONN_MAX_AGE": "600",
        }
        os.environ.update(env)
        linli = [sys.executable, "-m", "linli"]
        subprocess.run([*linli, "migrate", "-v0"], env=env, check=True)
        subprocess.run([*linli, "load_sample"], env=env, check=True, stdout=subprocess.DEVNULL)
        import django

        django.setup()
        from django.db import connection
        from django.utils import timezone

        from linli.needs import queries
        from linli.needs.deadlines import BEIJING
        from linli.needs.models import Need
        from linli.places.models import District

        now = timezone.now()
        loaded = _load_needs(args.needs, now=now)
        district = District.objects.get(code=loaded["district"])
        total = Need.objects.filter(district=district).count()
        print(f"{total:,} needs in {district.name} (COPY {loaded['seconds']:.0f} s)")
        cookies = {"district": _session("district"), "community": _session("community")}
        connection.close()

        port = _free_port()
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "linli.wsgi:application",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                str(args.workers),
                "--log-level",
                "warning",
            ],
            env=env,
            cwd=ROOT,
            start_new_session=True,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(100):
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                    break
                except OSError:
                    time.sleep(0.1)
            lists = [
                ("bare Django view", "/bench/bare/", None, "yardstick"),
                ("staff list, district", "/console/needs/", "district", "list"),
                (
                    "staff list, open · environment",
                    "/console/needs/?status=open&category=environment",
                    "district",
                    "list",
                ),
                ("staff list, overdue", "/console/needs/?overdue=on", "district", "list"),
                (
                    "staff list, rated, page 40",
                    "/console/needs/?status=rated&page=40",
                    "district",
                    "list",
                ),
                ("staff list, community", "/console/needs/", "community", "list"),
                (
                    "staff list, words 漏水",
                    "/console/needs/?q=%E6%BC%8F%E6%B0%B4",
                    "district",
                    "list",
                ),
                ("public timeline", "/needs/public/", None, "list"),
                ("public timeline, page 100", "/needs/public/?page=100", None, "list"),
                ("public timeline API", f"/api/needs/public/{district.code}/", None, "list"),
            ]
            for name, path, who, kind in lists:
                cookie = cookies[who] if who else None
                _preflight(base + path, cookie)
                _wrk(base + path, duration=2, connections=args.connections, cookie=cookie)
                r = _wrk(
                    base + path, duration=args.duration, connections=args.connections, cookie=cookie
                )
                rows.append({"name": name, "path": path, "kind": kind, **r})

            # The rates for the year, one request at a time (a person opening the page).
            year = now.astimezone(BEIJING).year
            rates_path = f"/api/needs/rates/?by=community&year={year}"
            _get(base + rates_path, cookies["district"])
            times = [_get(base + rates_path, cookies["district"])[0] for _ in range(args.repeat)]
            answer = json.loads(_get(base + rates_path, cookies["district"])[1])
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=10)

        start = dt.datetime(year, 1, 1, tzinfo=BEIJING)
        end = dt.datetime(year + 1, 1, 1, tzinfo=BEIJING)
        fixed = timezone.now()
        linli_ms, peer_ms = [], []
        for _ in range(5):
            t = time.perf_counter()
            mine = queries.rates(
                Need.objects.filter(district=district),
                by="community",
                start=start,
                end=end,
                now=fixed,
            )
            linli_ms.append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            theirs = recount(district.pk, start=start, end=end, now=fixed)
            peer_ms.append((time.perf_counter() - t) * 1000)
        equal = {
            r.key: (r.counted, r.resolved, r.due, r.on_time, r.rated, r.satisfied) for r in mine
        } == theirs
        counted = sum(r["counted"] for r in answer)
        connection.close()
    shutil.rmtree(var, ignore_errors=True)

    bare = rows[0]
    print(
        f"\n{'URL':34} {'req/s':>8} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} "
        f"{'p95/bare':>8} {'errors':>6} (errors: no answer within wrk's 2 s)"
    )
    for r in rows:
        ratio = float(r["p95_ms"]) / max(float(bare["p95_ms"]), 0.001)
        r["p95_over_bare"] = round(ratio, 2)
        # wrk gives up on a request after 2 s and counts it as an error: a timeout is a miss.
        answered = int(r["requests"]) > int(r["errors"])
        ok = r["kind"] == "yardstick" or (
            answered and not int(r["errors"]) and float(r["p95_ms"]) <= LIST_P95_MS
        )
        print(
            f"{r['name']:34} {r['rps']:8.0f} {r['p50_ms']:7.1f} {r['p95_ms']:7.1f} "
            f"{r['p99_ms']:7.1f} {ratio:7.1f}x {int(r['errors']):6d} {'ok' if ok else 'MISS'}"
        )
    p95 = _p95(times)
    rows.append(
        {
            "name": "rates per community (HTTP, serial)",
            "path": rates_path,
            "kind": "rates",
            "rps": 1000 / statistics.mean(times),
            "p50_ms": statistics.median(times),
            "p95_ms": p95,
            "p99_ms": max(times),
            "errors": 0,
            "requests": len(times),
            "p95_over_bare": "",
        }
    )
    print(
        f"\nrates per community, {year} ({counted:,} needs counted, {len(answer)} communities):\n"
        f"  Linli over HTTP       p50 {statistics.median(times):6.1f} ms  p95 {p95:6.1f} ms  "
        f"{'ok' if p95 <= RATES_MS else 'MISS'} (target {RATES_MS:.0f} ms)\n"
        f"  Linli queries.rates   median {statistics.median(linli_ms):6.1f} ms\n"
        f"  plain recount (peer)  median {statistics.median(peer_ms):6.1f} ms  "
        f"({statistics.median(peer_ms) / statistics.median(linli_ms):.1f}x Linli)\n"
        f"  equal to the recount: {'yes' if equal else 'NO'}"
    )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    with RESULTS.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0].keys()))
        writer.writeheader()
        writer.writerows(rows)
    print(
        f"\n{args.connections} connections, gunicorn {args.workers} workers, PostgreSQL, "
        f"{total:,} needs; written to {RESULTS.relative_to(ROOT)}"
    )
    return 0 if equal else 1


if __name__ == "__main__":
    sys.exit(main())
