"""Web benchmark: resident pages and the stations API under load, beside a bare Django view.

One run starts a private PostgreSQL server, loads the sample district, serves Linli with gunicorn
and drives every URL with wrk (50 connections), then prints requests/s, p50/p95/p99 and each
URL's throughput as a share of the bare view on the same server. Targets (issue #2): resident
pages >= 25 % of the bare view, JSON lists >= 40 %, p95 <= 50 ms.

    .venv/bin/python bench/web.py [--duration 10] [--connections 50] [--workers 3]

Needs Debian's wrk and PostgreSQL binaries (``apt-get install wrk postgresql``). Not a test:
CI does not run it. Results go to bench/results/web.csv.
"""

from __future__ import annotations

import argparse
import csv
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "web.csv"
WRK_SCRIPT = """
done = function(summary, latency, requests)
  io.write(string.format("RESULT %f %d %d %d %d %d\\n",
    summary.requests / (summary.duration / 1e6),
    latency:percentile(50), latency:percentile(95), latency:percentile(99),
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write
      + summary.errors.timeout, summary.requests))
end
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def postgres(port: int | None = None) -> Iterator[str]:
    """A throw-away PostgreSQL server (on ``port``, else a free one); yields its DATABASE_URL."""
    pg_bin = sorted(Path("/usr/lib/postgresql").glob("*/bin"))[-1]
    data = Path(tempfile.mkdtemp(prefix="linli-bench-pg."))
    port = port or _free_port()
    run_as: list[str] = []
    if os.geteuid() == 0:
        shutil.chown(data, "postgres")
        run_as = ["runuser", "-u", "postgres", "--"]
    subprocess.run(
        [
            *run_as,
            str(pg_bin / "initdb"),
            "-D",
            str(data),
            "-U",
            "linli",
            "--auth=trust",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    subprocess.run(
        [
            *run_as,
            str(pg_bin / "pg_ctl"),
            "-D",
            str(data),
            "-l",
            str(data / "log"),
            "-w",
            "-o",
            f"-p {port} -k {data} -c listen_addresses=127.0.0.1 -c max_connections=200",
            "start",
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    try:
        subprocess.run(
            [str(pg_bin / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "linli", "linli"],
            check=True,
        )
        yield f"postgres://linli@127.0.0.1:{port}/linli"
    finally:
        subprocess.run(
            [*run_as, str(pg_bin / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
            stdout=subprocess.DEVNULL,
            check=False,
        )
        shutil.rmtree(data, ignore_errors=True)


def _prepare(env: dict[str, str]) -> dict[str, str]:
    """Migrate, load the sample, and find the URLs and a staff session cookie."""
    linli = [sys.executable, "-m", "linli"]
    subprocess.run([*linli, "migrate", "-v0"], env=env, check=True)
    subprocess.run([*linli, "load_sample"], env=env, check=True)
    code = """
import django, json
django.setup()
from django.contrib.auth import get_user_model
from importlib import import_module
from django.conf import settings
SessionStore = import_module(settings.SESSION_ENGINE).SessionStore
from django.urls import reverse
from linli.places.models import Station
user = get_user_model().objects.get(username="district")
s = SessionStore()
s["_auth_user_id"] = str(user.pk)
s["_auth_user_backend"] = "linli.accounts.backends.LockoutModelBackend"
s["_auth_user_hash"] = user.get_session_auth_hash()
s.create()
station = Station.objects.filter(category__code="happiness_station").order_by("code").first()
print(json.dumps({"session": s.session_key, "station": station.pk}))
"""
    out = (
        subprocess.run(
            [sys.executable, "-c", code], env=env, check=True, capture_output=True, text=True
        )
        .stdout.strip()
        .splitlines()[-1]
    )
    import json

    data: dict[str, str] = {k: str(v) for k, v in json.loads(out).items()}
    return data


def _preflight(url: str, cookie: str | None) -> None:
    """Fail loudly when a URL does not answer 200: measuring error pages would flatter them."""
    import urllib.request

    request = urllib.request.Request(
        url, headers={"Cookie": f"sessionid={cookie}"} if cookie else {}
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            status = response.status
    except Exception as exc:
        sys.exit(f"{url} did not answer: {exc}")
    if status != 200:
        sys.exit(f"{url} answered {status}, not 200")


def _wrk(url: str, *, duration: int, connections: int, cookie: str | None) -> dict[str, float]:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(WRK_SCRIPT)
    cmd = ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "-s", f.name]
    if cookie:
        cmd += ["-H", f"Cookie: sessionid={cookie}"]
    cmd += ["-H", "Accept-Language: zh-CN", url]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    os.unlink(f.name)
    line = next(x for x in out.splitlines() if x.startswith("RESULT"))
    rps, p50, p95, p99, errors, requests = line.split()[1:]
    return {
        "rps": float(rps),
        "p50_ms": int(p50) / 1000,
        "p95_ms": int(p95) / 1000,
        "p99_ms": int(p99) / 1000,
        "errors": int(errors),
        "requests": int(requests),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed: apt-get install wrk")
    var = Path(tempfile.mkdtemp(prefix="linli-bench-var."))
    (var / "static").mkdir()
    with postgres() as database_url:
        env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "LINLI_VAR_DIR": str(var),
            "DJANGO_SETTINGS_MODULE": "bench.bench_settings",
            "PYTHONPATH": str(ROOT),
            "LINLI_DB_CONN_MAX_AGE": "600",
        }
        info = _prepare(env)
        port = _free_port()
        server = subprocess.Popen(
            # linli.wsgi with DJANGO_SETTINGS_MODULE=bench.bench_settings: Linli plus /bench/bare/.
            [
                sys.executable,
                "-m",
                "gunicorn",
                "linli.wsgi:application",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                str(args.workers),
                "--threads",
                str(args.threads),
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
            targets = [
                ("bare Django view", "/bench/bare/", None, "yardstick"),
                ("resident station list", "/?q=", None, "page"),
                ("resident search 理发", "/?q=%E7%90%86%E5%8F%91", None, "page"),
                ("resident station page", f"/stations/{info['station']}/", None, "page"),
                (
                    "stations API (staff, 50 rows)",
                    "/api/places/stations?page_size=50",
                    info["session"],
                    "json",
                ),
                ("HSDS locations (public)", "/api/hsds/locations?per_page=50", None, "json"),
            ]
            rows = []
            for name, path, cookie, kind in targets:
                _preflight(base + path, cookie)
                # Warm the caches and the connection pool, then measure.
                _wrk(base + path, duration=2, connections=args.connections, cookie=cookie)
                r = _wrk(
                    base + path, duration=args.duration, connections=args.connections, cookie=cookie
                )
                rows.append({"name": name, "path": path, "kind": kind, **r})
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=10)
    shutil.rmtree(var, ignore_errors=True)
    bare_rps = rows[0]["rps"]
    target = {"page": 25.0, "json": 40.0, "yardstick": 100.0}
    print(
        f"\n{'URL':34} {'req/s':>8} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} "
        f"{'% bare':>7} {'target':>7} {'errors':>6}"
    )
    for r in rows:
        share = 100 * float(r["rps"]) / bare_rps
        r["share_of_bare_pct"] = round(share, 1)
        ok = share >= target[str(r["kind"])] and float(r["p95_ms"]) <= 50
        print(
            f"{r['name']:34} {r['rps']:8.0f} {r['p50_ms']:7.1f} {r['p95_ms']:7.1f} "
            f"{r['p99_ms']:7.1f} {share:6.1f}% {target[str(r['kind'])]:6.0f}% "
            f"{int(r['errors']):6d} {'ok' if ok else 'MISS'}"
        )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    with RESULTS.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0].keys()))
        writer.writeheader()
        writer.writerows(rows)
    print(
        f"\n{args.connections} connections, gunicorn {args.workers} workers x {args.threads} "
        f"threads, PostgreSQL; written to {RESULTS.relative_to(ROOT)}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
