"""Activities benchmark: a big event's check-ins through HTTP, and counts over a year of a district.

One run starts a private PostgreSQL server, migrates, and builds a district of 6 subdistricts ×
8 communities with a station each. Then:

1. **The big event.** 500 residents, each logged in (own session) with a confirmed place, open
   the door QR's link and tap "check in" (``POST /activities/checkin/<signed code>/``, the page a
   phone shows) — 50 at a time, all 500 inside a minute — served by gunicorn. Then 100 of them
   tap again. It prints p50/p95/p99 and the same numbers for the bare Django view on the same
   server under the same load (the yardstick), and checks the database: exactly 500 check-ins,
   none lost, none doubled. Target (issue #12): p95 ≤ 200 ms.
2. **The counts.** Adds ≥ 1,000,000 check-ins spread over a year (INSERT … SELECT
   generate_series), ANALYZE, then times what the pages and the console read — a community's
   year figure (public page), the subdistricts' and communities' figures and the monthly series
   (console, district staff) — against a plain ``COUNT(*)`` / ``COUNT(DISTINCT)`` over the same
   rows, checks they are equal, and prints the ratios. Target: ≤ 200 ms each.

    .venv/bin/python bench/activities.py [--port 55461] [--checkins 1000000] [--workers 3]

Needs Debian's PostgreSQL binaries and gunicorn (the bench extra). Not a test: CI does
not run it.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.web import _free_port, postgres

ROOT = Path(__file__).resolve().parent.parent
PEOPLE = 500
CONCURRENCY = 50
AGAIN = 100
CSRF = "benchcsrftokenbenchcsrftoken0123"  # 32 characters: Django's unmasked secret format

SETUP = r"""
import datetime as dt, json, sys
import django
django.setup()
from importlib import import_module
from django.conf import settings
from django.utils import timezone
from linli.accounts.models import Role, User
from linli.activities import services
from linli.activities.models import Activity, SignUp
from linli.areas.models import Community, District, Subdistrict
from linli.places.models import FacilityCategory, Station
from linli.places.reference import sync_reference_data

people = int(sys.argv[1])
sync_reference_data()
district = District.objects.create(
    code="B140404", name="基准区", centre_lon=113.075, centre_lat=36.185,
    min_lon=113.0, min_lat=36.1, max_lon=113.2, max_lat=36.3,
)
category = FacilityCategory.objects.get(code="happiness_station")
stations = []
for s in range(6):
    sub = Subdistrict.objects.create(district=district, code=f"B{s:02d}", name=f"第{s + 1}街道")
    for c in range(8):
        community = Community.objects.create(
            district=district, subdistrict=sub, code=f"B{s:02d}{c:03d}",
            name=f"第{s + 1}-{c + 1}社区",
        )
        stations.append(Station.objects.create(
            district=district, subdistrict=sub, community=community, category=category,
            code=f"S{s:02d}{c:03d}", name=f"{community.name}驿站", lon=113.07 + c / 100,
            lat=36.18 + s / 100,
        ))
admin = User.objects.create_user(
    username="bench_district", password="x", role=Role.DISTRICT_ADMIN, district=district
)
start = timezone.localtime().replace(second=0, microsecond=0) - dt.timedelta(minutes=10)
activity = services.create_activity(actor=admin, data=services.ActivityInput(
    title="应急救护大讲堂", category="training", station=stations[0],
    starts_at=start, ends_at=start + dt.timedelta(hours=3), capacity=0, signup_required=True,
))
users = User.objects.bulk_create([
    User(username=f"r{n:04d}", role=Role.RESIDENT, real_name=f"居民{n:04d}",
         phone=f"139{n:08d}", district=district, password="!")
    for n in range(people)
])
SignUp.objects.bulk_create([
    SignUp(district=district, activity=activity, occurrence=activity.starts_at, user=u,
           name=u.real_name,
           phone=u.phone, status=SignUp.Status.CONFIRMED)
    for u in users
])
store = import_module(settings.SESSION_ENGINE).SessionStore
sessions = []
for u in users:
    s = store()
    s["_auth_user_id"] = str(u.pk)
    s["_auth_user_backend"] = "linli.accounts.backends.LockoutModelBackend"
    s["_auth_user_hash"] = u.get_session_auth_hash()
    s.create()
    sessions.append(s.session_key)
print(json.dumps({
    "code": services.door_code(activity, activity.starts_at),
    "activity": activity.pk,
    "sessions": sessions,
}))
"""

FILL = r"""
import json, sys
import django
django.setup()
from django.db import connection
from django.conf import settings
rows = int(sys.argv[1])
zone = settings.TIME_ZONE
with connection.cursor() as cur:
    cur.execute("SELECT id, subdistrict_id, community_id, district_id FROM places_station "
                "WHERE code LIKE 'S%%' ORDER BY id")
    stations = cur.fetchall()
    cur.execute("SELECT id FROM activities_activity ORDER BY id LIMIT 1")
    (activity,) = cur.fetchone()
    cur.execute("ALTER TABLE activities_checkin SET UNLOGGED")
    # This calendar year's sessions (08:00–18:00 local): each row one person at a station on a
    # day, from a pool of 40,000 people (g * 7919 mod 40000 walks the pool; a person's session
    # repeats only after 8.76 M rows, so the one-check-in-per-session rule holds).
    cur.execute(
        '''
        INSERT INTO activities_checkin
            (district_id, subdistrict_id, community_id, station_id, category, activity_id,
             occurrence, person_key, name, phone, method, checked_in_at)
        SELECT st.district_id, st.subdistrict_id, st.community_id, st.id,
               (ARRAY['training','culture','health','convenience','volunteer'])[1 + g %% 5],
               %s, t.at, 'p' || (13000000000 + (g::bigint * 7919) %% 40000)::text,
               '居民', '', 'list', t.at
        FROM generate_series(1, %s) AS g
        CROSS JOIN LATERAL (
            SELECT ((date_trunc('year', now() AT TIME ZONE %s) + interval '8 hours')
                    AT TIME ZONE %s)
                   + ((g %% 365) || ' days')::interval
                   + (((g / 365) %% 600) || ' minutes')::interval AS at
        ) AS t
        JOIN (SELECT id, district_id, subdistrict_id, community_id,
                     row_number() OVER (ORDER BY id) - 1 AS k FROM places_station
              WHERE code LIKE 'S%%') AS st ON st.k = g %% %s
        ''',
        [activity, rows, zone, zone, len(stations)],
    )
    cur.execute("ALTER TABLE activities_checkin SET LOGGED")
    cur.execute("ANALYZE activities_checkin")
    cur.execute("SELECT count(*) FROM activities_checkin")
    print(json.dumps({"rows": cur.fetchone()[0]}))
"""

COUNTS = r"""
import datetime as dt, json, statistics, time
import django
django.setup()
from django.db import connection
from django.utils import timezone
from linli.accounts.models import User
from linli.activities import queries
from linli.activities.models import CheckIn

admin = User.objects.get(username="bench_district")
year = timezone.localdate().year
community = CheckIn.objects.values_list("community_id", flat=True).first()
start, end = queries._year_bounds(year)

def best(fn, repeat=5):
    times, out = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append((time.perf_counter() - t) * 1000)
    return out, min(times), statistics.median(times)

def plain(sql, params):
    def run():
        with connection.cursor() as cur:
            cur.execute(sql, params)
            return cur.fetchall()
    return run

flt = queries.CountFilter(year=year)
cases = [
    (
        "community year figure (public page)",
        lambda: (lambda f: [(f.persons, f.person_times)])(
            queries.public_figure(community_id=community, year=year)),
        plain("SELECT count(DISTINCT person_key), count(*) FROM activities_checkin "
              "WHERE community_id = %s AND occurrence >= %s AND occurrence < %s",
              [community, start, end]),
    ),
    (
        "by subdistrict (console)",
        lambda: sorted((r.key, r.persons, r.person_times)
                       for r in queries.counts_by(admin, "subdistrict", flt)),
        plain("SELECT subdistrict_id, count(DISTINCT person_key), count(*) FROM "
              "activities_checkin WHERE occurrence >= %s AND occurrence < %s "
              "GROUP BY subdistrict_id ORDER BY 1", [start, end]),
    ),
    (
        "by community (console)",
        lambda: sorted((r.key, r.persons, r.person_times)
                       for r in queries.counts_by(admin, "community", flt)),
        plain("SELECT community_id, count(DISTINCT person_key), count(*) FROM "
              "activities_checkin WHERE occurrence >= %s AND occurrence < %s "
              "GROUP BY community_id ORDER BY 1", [start, end]),
    ),
    (
        "monthly series (console)",
        lambda: sorted((r.key, r.persons, r.person_times)
                       for r in queries.counts_by(admin, "month", flt)),
        plain("SELECT date_trunc('month', occurrence AT TIME ZONE %s), "
              "count(DISTINCT person_key), count(*) FROM activities_checkin "
              "WHERE occurrence >= %s AND occurrence < %s GROUP BY 1 ORDER BY 1",
              [str(timezone.get_current_timezone()), start, end]),
    ),
]
rows = []
for name, linli, peer in cases:
    ours, ours_best, ours_median = best(linli)
    theirs, peer_best, peer_median = best(peer)
    if name.startswith("monthly"):
        theirs = [((m.year, m.month), p, t) for m, p, t in theirs]
    equal = [tuple(r) for r in ours] == [tuple(r) for r in theirs]
    total = sum(r[-1] for r in ours)
    rows.append([name, ours_best, ours_median, peer_best, peer_median, equal, total])
print(json.dumps(rows))
"""


def _run(code: str, env: dict[str, str], *args: str) -> dict | list:  # type: ignore[type-arg]
    out = subprocess.run(
        [sys.executable, "-c", code, *args], env=env, check=True, stdout=subprocess.PIPE, text=True
    ).stdout
    return json.loads(out.strip().splitlines()[-1])  # type: ignore[no-any-return]


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def _burst(
    base: str, requests: list[tuple[str, str, dict[str, str]]]
) -> tuple[list[float], list[int], float]:
    """Send ``requests`` (method, path, cookies), CONCURRENCY at a time; latencies in ms."""
    local = threading.local()
    latencies: list[float] = []
    statuses: list[int] = []
    lock = threading.Lock()

    host, port = base.removeprefix("http://").split(":")

    def one(item: tuple[str, str, dict[str, str]]) -> None:
        method, path, cookies = item
        conn = getattr(local, "conn", None)
        if conn is None:
            conn = local.conn = http.client.HTTPConnection(host, int(port), timeout=30)
        headers = {"Accept-Language": "zh-CN", "Host": f"{host}:{port}"}
        if cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
        body = None
        if method == "POST":
            body = f"csrfmiddlewaretoken={CSRF}"
            headers.update(
                {
                    "X-CSRFToken": CSRF,
                    "Referer": base + path,
                    "Content-Type": "application/x-www-form-urlencoded",
                }
            )
        t = time.perf_counter()
        conn.request(method, path, body=body, headers=headers)
        reply = conn.getresponse()
        reply.read()
        elapsed = (time.perf_counter() - t) * 1000
        with lock:
            latencies.append(elapsed)
            statuses.append(reply.status)

    t0 = time.perf_counter()
    with ThreadPoolExecutor(CONCURRENCY) as pool:
        list(pool.map(one, requests))
    return latencies, statuses, time.perf_counter() - t0


def _count(env: dict[str, str]) -> dict:  # type: ignore[type-arg]
    code = """
import json, django
django.setup()
from django.db.models import Count
from linli.activities.models import CheckIn
rows = CheckIn.objects.all()
doubled = (
    rows.values("activity_id", "occurrence", "person_key")
    .annotate(n=Count("pk")).filter(n__gt=1).count()
)
people = rows.values("person_key").distinct().count()
print(json.dumps({"rows": rows.count(), "people": people, "doubled": doubled}))
"""
    return _run(code, env)  # type: ignore[return-value]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=int(os.environ.get("PGPORT", 0)) or None)
    parser.add_argument("--checkins", type=int, default=1_000_000)
    parser.add_argument("--workers", type=int, default=3)
    args = parser.parse_args()
    var = Path(tempfile.mkdtemp(prefix="linli-bench-var."))
    (var / "static").mkdir()
    with postgres(args.port) as database_url:
        env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "LINLI_VAR_DIR": str(var),
            "DJANGO_SETTINGS_MODULE": "bench.bench_settings",
            "PYTHONPATH": str(ROOT),
            "LINLI_DB_CONN_MAX_AGE": "600",
        }
        subprocess.run([sys.executable, "-m", "linli", "migrate", "-v0"], env=env, check=True)
        info = _run(SETUP, env, str(PEOPLE))
        assert isinstance(info, dict)
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
            # Warm every worker and its database connection (not measured).
            _burst(base, [("GET", "/bench/bare/", {})] * 200)
            path = f"/activities/checkin/{info['code']}/"
            people = [("POST", path, {"sessionid": s, "csrftoken": CSRF}) for s in info["sessions"]]
            bare = _burst(base, [("GET", "/bench/bare/", {})] * PEOPLE)
            event = _burst(base, people)
            again = _burst(base, people[:AGAIN])
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=10)
        after_event = _count(env)
        filled = _run(FILL, env, str(args.checkins))
        counts = _run(COUNTS, env)
    shutil.rmtree(var, ignore_errors=True)

    def line(name: str, result: tuple[list[float], list[int], float]) -> tuple[float, str]:
        lat, statuses, wall = result
        codes = ",".join(f"{c}×{statuses.count(c)}" for c in sorted(set(statuses)))
        p95 = _percentile(lat, 95)
        print(
            f"{name:34} {len(lat):>5} {wall:>7.1f} {statistics.median(lat):>7.1f} "
            f"{p95:>7.1f} {_percentile(lat, 99):>7.1f}  {codes}"
        )
        return p95, codes

    print(
        f"\nBig event: {PEOPLE} check-ins, {CONCURRENCY} at a time, gunicorn {args.workers} workers"
    )
    print(
        f"{'requests':34} {'n':>5} {'wall s':>7} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7}  status"
    )
    bare_p95, _ = line("bare Django view (yardstick)", bare)
    event_p95, _ = line("check in (POST the door link)", event)
    line("the same 100 tap again", again)
    print(
        f"check-in p95 / bare p95 = {event_p95 / bare_p95:.1f}×; target p95 ≤ 200 ms: "
        f"{'met' if event_p95 <= 200 else 'NOT met'}; all {PEOPLE} within a minute: "
        f"{'yes' if event[2] <= 60 else 'NO'}"
    )
    exact = after_event["rows"] == PEOPLE and not after_event["doubled"]
    print(
        f"database after the event: {after_event['rows']} check-ins of {after_event['people']} "
        f"people, {after_event['doubled']} doubled — "
        f"{'none lost, none doubled' if exact else 'WRONG'}"
    )
    print(f"\nCounts over {filled['rows']:,} check-ins (district staff; best and median of 5)")
    print(
        f"{'figure':38} {'Linli ms':>9} {'median':>7} {'COUNT ms':>9} {'median':>7} "
        f"{'ratio':>6} equal  rows"
    )
    for name, ours_best, ours_median, peer_best, peer_median, equal, total in counts:
        print(
            f"{name:38} {ours_best:>9.1f} {ours_median:>7.1f} {peer_best:>9.1f} "
            f"{peer_median:>7.1f} {ours_best / peer_best:>5.2f}× "
            f"{'yes' if equal else 'NO':>5}  {total:,}"
        )
    slowest = max(r[2] for r in counts)
    verdict = "met" if slowest <= 200 else "NOT met"
    print(f"slowest median {slowest:.0f} ms; target ≤ 200 ms: {verdict}")
    ok = event_p95 <= 200 and exact and slowest <= 200 and all(r[5] for r in counts)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
