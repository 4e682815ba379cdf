"""Ingest benchmark: readings through the signed device API beside PostgreSQL's COPY.

One run starts a private PostgreSQL server, migrates, creates a smart hut with health kiosks
(one per client and phase, a key each) and twenty consenting residents, serves Linli with
gunicorn, and writes readings into the same table (``kiosks_reading``) five ways:

* ``COPY … FROM STDIN`` of rows prepared beforehand (ciphertexts included): the yardstick,
  its rate is 100 %;
* Linli: ``POST /api/kiosks/device/readings``, signed batches of 500 from 8 client threads
  (signature, nonce, schema, consent and catalogue checks, AES-GCM, one ``INSERT … SELECT
  FROM unnest(…) ON CONFLICT DO NOTHING`` with the columns as binary array parameters);
* the peers, the same request with another insert (bench/ingest_peers.py): a binary COPY
  into a staging table moved by one ``INSERT … SELECT``, a plain ``unnest`` insert through
  Django's cursor (arrays quoted as text), one multi-row ``VALUES`` insert, and the naive
  Django ORM (``get_or_create`` per reading).

The ways run in interleaved rounds (COPY, then Linli and the peers, each round starting with
another of them; COPY last), so the rest
of the machine's load and the table's growth weigh on all of them alike; each way's rate is
its readings over its seconds summed over the rounds.

Then the crash test: 100 k readings from 8 clients while the server (gunicorn's master and
workers) is SIGKILLed and restarted twice mid-run; every batch without a 200 answer is retried
with a new nonce. The table must then hold each reading exactly once: zero lost, zero
duplicated. Target (issue #15): Linli >= 50 % of COPY's rate.

    .venv/bin/python bench/ingest.py [--readings 100000] [--rounds 4] [--clients 8]
        [--workers 4 --threads 2] [--pg-port 0] [--no-crash]

Needs Debian's PostgreSQL binaries. Not a test: CI does not run it. Results go to
bench/results/ingest.csv.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import http.client
import json
import os
import random
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.web import _free_port, postgres  # noqa: E402
from linli.kiosks import signing  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "ingest.csv"
BATCH = 500
PATHS = {
    "linli": "/api/kiosks/device/readings",
    "values": "/bench/ingest/values",
    "unnest": "/bench/ingest/unnest",
    "staged": "/bench/ingest/staged",
    "orm": "/bench/ingest/orm",
}
# Plausible values of the default catalogue (linli/kiosks/migrations/0002_default_catalogue.py).
ITEMS = {
    "systolic": (95, 185),
    "diastolic": (55, 115),
    "pulse": (50, 110),
    "spo2": (90, 100),
    "weight": (40, 95),
    "fasting_glucose": (3.8, 9.5),
    "total_cholesterol": (3.0, 7.5),
    "uric_acid": (200, 520),
}

SETUP = """
import datetime as dt, json, secrets, sys
import django
django.setup()
from django.utils import timezone
from linli.kiosks import health, signing
from linli.kiosks.models import Device, DeviceKey, DeviceKind, DeviceStatus, HealthSubject, Section
from linli.places.models import Community, District, FacilityCategory, Station, Subdistrict

phases = json.loads(sys.argv[1])
now = timezone.now()
district = District.objects.create(code="B140404", name="基准区", centre_lon=113.075,
    centre_lat=36.185, min_lon=113.05, min_lat=36.16, max_lon=113.10, max_lat=36.21)
sub = Subdistrict.objects.create(district=district, code="B14040401", name="东关街道")
community = Community.objects.create(district=district, subdistrict=sub, code="B14040401001",
    name="幸福里社区")
hut = Station.objects.create(district=district, subdistrict=sub, community=community,
    category=FacilityCategory.objects.get(code="smart_hut"), code="H001", name="幸福里智慧小屋",
    lon=113.072, lat=36.182, address="幸福里", phone="0355-1234567", contact_name="王建国",
    contact_phone="13812345678")
subjects = []
for n in range(20):
    s = HealthSubject.objects.create(district=district, community=community,
        pseudonym=secrets.token_hex(32), created_at=now)
    health.grant_consent(subject=s, text_version=health.CONSENT_VERSION, channel="kiosk")
    subjects.append(s.pseudonym)
devices = {}
for phase, count in phases.items():
    devices[phase] = []
    for c in range(count):
        d = Device.objects.create(district=district, station=hut, section=Section.HEALTH,
            kind=DeviceKind.HEALTH_KIOSK, code=f"{phase}-{c}", name=f"体检一体机 {phase} {c}",
            status=DeviceStatus.ONLINE, status_since=now)
        key = DeviceKey.objects.create(device=d, key_id=secrets.token_hex(8), created_at=now)
        devices[phase].append({"id": d.pk, "key": key.key_id,
                               "secret": signing.device_secret(key.key_id)})
print(json.dumps({"district": district.pk, "subjects": subjects, "devices": devices}))
"""


@dataclass
class Job:
    """One batch for one device: the body is built before the clock starts."""

    device: dict[str, object]
    body: bytes
    ids: list[str]


@dataclass
class Run:
    acked: int = 0  # batches answered 200
    accepted: int = 0
    duplicates: int = 0
    refused: int = 0
    failures: int = 0  # sends without a 200 answer (retried)
    retried_dupes: int = 0  # readings a retry found stored: committed, answer lost
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _batches(
    phase: str, devices: list[dict[str, object]], subjects: list[str], total: int, seed: int
) -> list[Job]:
    rng = random.Random(seed)
    now = dt.datetime.now(dt.UTC)
    jobs = []
    for b in range(total // BATCH):
        device = devices[b % len(devices)]
        readings = []
        for i in range(BATCH):
            item = rng.choice(list(ITEMS))
            low, high = ITEMS[item]
            value = round(rng.uniform(low, high), 1)
            at = now - dt.timedelta(days=rng.randint(0, 30), seconds=rng.randint(60, 86400))
            readings.append(
                {
                    "id": f"{phase}-{b}-{i}",
                    "item": item,
                    "value": value,
                    "measured_at": at.isoformat(timespec="seconds"),
                    "subject": rng.choice(subjects),
                }
            )
        jobs.append(
            Job(device, json.dumps({"readings": readings}).encode(), [r["id"] for r in readings])
        )
    return jobs


def _send(port: int, path: str, job: Job) -> tuple[int, dict[str, object]]:
    headers = signing.signed_headers(
        key_id=str(job.device["key"]),
        secret=str(job.device["secret"]),
        method="POST",
        path=path,
        body=job.body,
        timestamp=int(time.time()),
        nonce=secrets.token_urlsafe(12),
    )
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request(
            "POST", path, body=job.body, headers={"Content-Type": "application/json", **headers}
        )
        response = conn.getresponse()
        raw = response.read()
        return response.status, json.loads(raw) if raw else {}
    finally:
        conn.close()


def _drive(port: int, path: str, jobs: list[Job], clients: int, run: Run) -> float:
    """Send every job from ``clients`` threads, retrying each until it is answered 200."""
    queue = list(reversed(jobs))

    def client() -> None:
        while True:
            with run.lock:
                if not queue:
                    return
                job = queue.pop()
            first = True
            while True:
                try:
                    status, answer = _send(port, path, job)
                except (OSError, http.client.HTTPException) as exc:
                    status, answer = 0, {"code": type(exc).__name__}
                if status == 200:
                    with run.lock:
                        run.acked += 1
                        run.accepted += int(answer["accepted"])  # type: ignore[call-overload]
                        run.duplicates += int(answer["duplicates"])  # type: ignore[call-overload]
                        run.refused += len(answer["refused"])  # type: ignore[arg-type]
                        if not first:
                            run.retried_dupes += int(answer["duplicates"])  # type: ignore[call-overload]
                    break
                with run.lock:
                    run.failures += 1
                    if len(run.errors) < 5 and status:
                        run.errors.append(f"{status} {answer.get('code', '')}")
                first = False
                time.sleep(0.2)

    start = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - start


class Server:
    """gunicorn serving bench.bench_settings (Linli plus the ingest peers)."""

    def __init__(self, env: dict[str, str], workers: int, threads: int) -> None:
        self.env, self.workers, self.threads, self.port = env, workers, threads, _free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "linli.wsgi:application",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                str(self.workers),
                "--threads",
                str(self.threads),
                "--log-level",
                "error",
                "--timeout",
                "120",
            ],
            env=self.env,
            cwd=ROOT,
            start_new_session=True,
        )
        for _ in range(300):
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.1)
        sys.exit("gunicorn did not start")

    def kill(self, sig: int = signal.SIGKILL) -> None:
        """SIGKILL the master and every worker at once (a power cut, an OOM kill)."""
        assert self.proc is not None
        os.killpg(self.proc.pid, sig)
        self.proc.wait(timeout=30)


def _copy_rows(jobs: list[Job], devices: list[dict[str, object]], district: int) -> bytes:
    """The same readings as COPY text, sealed like Linli seals them (key and AAD per row)."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    cipher = AESGCM(AESGCM.generate_key(bit_length=256))
    received = dt.datetime.now(dt.UTC).isoformat()
    lines = []
    for n, job in enumerate(jobs):
        device = devices[n % len(devices)]["id"]
        for r in json.loads(job.body)["readings"]:
            nonce = os.urandom(12)
            aad = f"{device}/{r['id']}".encode()
            blob = nonce + cipher.encrypt(nonce, json.dumps(r["value"]).encode(), aad)
            lines.append(
                f"{district}\t{device}\t{r['id']}\t{r['item']}\t{r['subject']}\t"
                f"{r['measured_at']}\t{received}\tk1\t\\\\x{blob.hex()}\n"
            )
    return "".join(lines).encode()


def _copy(database_url: str, data: bytes) -> float:
    import psycopg

    with psycopg.connect(database_url) as conn:
        start = time.perf_counter()
        with (
            conn.cursor() as cur,
            cur.copy(
                "COPY kiosks_reading (district_id, device_id, reading_id, item, subject, "
                "measured_at, received_at, key_id, ciphertext) FROM STDIN"
            ) as copy,
        ):
            copy.write(data)
        conn.commit()
        return time.perf_counter() - start


def _stored(database_url: str, device_ids: list[int]) -> tuple[int, int, set[str]]:
    import psycopg

    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            "SELECT device_id, reading_id FROM kiosks_reading WHERE device_id = ANY(%s)",
            [device_ids],
        ).fetchall()
    distinct = {r for _d, r in rows}
    return len(rows), len({(d, r) for d, r in rows}), distinct


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--readings", type=int, default=100_000)
    parser.add_argument("--orm-readings", type=int, default=5_000)
    parser.add_argument("--clients", type=int, default=8)
    # docs/deploy.md's gunicorn: 4 workers x 2 threads.
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--pg-port", type=int, default=0)
    parser.add_argument("--rounds", type=int, default=4, help="interleaved rounds of the ways")
    parser.add_argument("--no-crash", action="store_true", help="skip the SIGKILL test")
    args = parser.parse_args()
    var = Path(tempfile.mkdtemp(prefix="linli-bench-var."))
    (var / "static").mkdir()
    with postgres(args.pg_port) as database_url:
        env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "LINLI_VAR_DIR": str(var),
            "DJANGO_SETTINGS_MODULE": "bench.bench_settings",
            "PYTHONPATH": str(ROOT),
            "LINLI_DB_CONN_MAX_AGE": "600",
            "LINLI_DEVICE_KEY_SECRET": secrets.token_hex(32),
        }
        subprocess.run([sys.executable, "-m", "linli", "migrate", "-v0"], env=env, check=True)
        rounds = args.rounds
        ways = ("linli", "staged", "unnest", "values")
        phases = {f"copy{r}": 1 for r in range(rounds + 1)}
        phases |= {f"{way}{r}": args.clients for way in ways for r in range(rounds)}
        phases |= {"orm": args.clients, "crash": args.clients}
        setup = subprocess.run(
            [sys.executable, "-c", SETUP, json.dumps(phases)],
            env=env,
            capture_output=True,
            text=True,
        )
        if setup.returncode:
            sys.exit(setup.stderr)
        info = json.loads(setup.stdout.strip().splitlines()[-1])
        subjects, devices = info["subjects"], info["devices"]
        n = args.readings // rounds // BATCH * BATCH  # per way and round
        copies = [
            _copy_rows(
                _batches(f"copy{r}", devices[f"copy{r}"], subjects, n, 100 + r),
                devices[f"copy{r}"],
                info["district"],
            )
            for r in range(rounds + 1)
        ]
        work = {
            (way, r): _batches(f"{way}{r}", devices[f"{way}{r}"], subjects, n, 10 * r + w)
            for w, way in enumerate(ways)
            for r in range(rounds)
        }
        orm = _batches("orm", devices["orm"], subjects, args.orm_readings, 99)
        server = Server(env, args.workers, args.threads)
        server.start()
        totals: dict[str, list[float]] = {}  # way: [readings, seconds]

        def count(way: str, readings: int, seconds: float) -> None:
            total = totals.setdefault(way, [0, 0.0])
            total[0] += readings
            total[1] += seconds

        def drive(way: str, path: str, jobs: list[Job]) -> None:
            run = Run()
            wall = _drive(server.port, path, jobs, args.clients, run)
            # A batch retried after a lost answer comes back as duplicates: stored once.
            if run.accepted + run.retried_dupes != len(jobs) * BATCH:
                sys.exit(f"{way}: accepted {run.accepted}, refused {run.refused}, {run.errors}")
            count(way, len(jobs) * BATCH, wall)

        try:
            # Warm every worker's connection and caches (a few batches nobody counts).
            warm = _batches("warm", devices["linli0"], subjects, BATCH * args.workers * 2, 9)
            _drive(server.port, PATHS["linli"], warm, args.clients, Run())
            # Interleaved rounds: load from the rest of the machine and the table's growth
            # weigh on every way alike. COPY opens each round and closes the last.
            for r in range(rounds):
                count("copy", n, _copy(database_url, copies[r]))
                # Each round starts with another way: the one right after COPY meets its
                # aftermath (checkpoint, autovacuum), so every way takes that place in turn.
                for way in ways[r % len(ways) :] + ways[: r % len(ways)]:
                    drive(way, PATHS[way], work[(way, r)])
            count("copy", n, _copy(database_url, copies[rounds]))
            drive("orm", PATHS["orm"], orm)
            crash = (
                None
                if args.no_crash
                else _crash_test(server, database_url, devices, subjects, args)
            )
        finally:
            if server.proc and server.proc.poll() is None:
                server.kill(signal.SIGTERM)
    shutil.rmtree(var, ignore_errors=True)
    names = {
        "copy": "PostgreSQL COPY (yardstick)",
        "linli": "Linli device API (binary unnest)",
        "staged": "peer: COPY to staging + INSERT",
        "unnest": "peer: plain unnest INSERT",
        "values": "peer: multi-row VALUES",
        "orm": "peer: Django ORM get_or_create",
    }
    copy_rate = totals["copy"][0] / totals["copy"][1]
    print(f"\n{'way':34} {'readings':>9} {'seconds':>8} {'readings/s':>11} {'% COPY':>7}")
    ok = True
    results: list[dict[str, object]] = []
    for way in ("copy", "linli", "staged", "unnest", "values", "orm"):
        readings, seconds = totals[way]
        rate = readings / seconds
        share = 100 * rate / copy_rate
        mark = ""
        if way == "linli":
            ok = rate >= 0.5 * copy_rate
            mark = "  target >= 50 %: " + ("met" if ok else "MISSED")
        results.append(
            {
                "way": way,
                "readings": int(readings),
                "seconds": round(seconds, 2),
                "per_second": round(rate),
                "share_of_copy_pct": round(share, 1),
            }
        )
        print(f"{names[way]:34} {int(readings):>9} {seconds:8.2f} {rate:11.0f} {share:6.1f}%{mark}")
    print(
        f"\nbatches of {BATCH} from {args.clients} clients, gunicorn {args.workers} workers x "
        f"{args.threads} threads (docs/deploy.md), PostgreSQL; {rounds} interleaved rounds, "
        f"COPY {rounds + 1} times"
    )
    if crash is not None:
        print(crash["report"])
        ok = ok and crash["lost"] == 0 and crash["duplicated"] == 0 and crash["extra"] == 0
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    with RESULTS.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(results[0].keys()))
        writer.writeheader()
        writer.writerows(results)
    print(f"written to {RESULTS.relative_to(ROOT)}")
    return 0 if ok else 1


def _crash_test(
    server: Server,
    database_url: str,
    devices: dict[str, list[dict[str, object]]],
    subjects: list[str],
    args: argparse.Namespace,
) -> dict[str, object]:
    """100 k readings while the server is SIGKILLed and restarted twice; count what is stored."""
    jobs = _batches("crash", devices["crash"], subjects, args.readings, 7)
    run = Run()
    kills: list[str] = []

    def killer() -> None:
        for share in (1 / 3, 2 / 3):
            while run.acked < share * len(jobs):
                time.sleep(0.01)
            server.kill()
            kills.append(f"after {run.acked} of {len(jobs)} batches answered")
            time.sleep(0.5)  # clients now fail: connection refused, then retry
            server.start()

    thread = threading.Thread(target=killer)
    thread.start()
    # The killer restarts the server on the same port; clients keep that port.
    wall = _drive(server.port, PATHS["linli"], jobs, args.clients, run)
    thread.join()
    sent = {i for job in jobs for i in job.ids}
    device_ids = [int(d["id"]) for d in devices["crash"]]  # type: ignore[call-overload]
    rows, distinct_rows, stored = _stored(database_url, device_ids)
    lost = len(sent - stored)
    extra = len(stored - sent)
    duplicated = rows - distinct_rows
    report = (
        f"\ncrash test: {len(sent)} readings in {len(jobs)} batches, server SIGKILLed "
        f"{len(kills)} times ({'; '.join(kills)}) and restarted, {wall:.1f} s\n"
        f"  sends without an answer (retried): {run.failures}; readings a retry found stored "
        f"(committed, answer lost): {run.retried_dupes}\n"
        f"  stored {rows} rows: lost {lost}, duplicated {duplicated}, unknown {extra} -> "
        + ("ok" if lost == duplicated == extra == 0 else "FAILED")
    )
    return {"report": report, "lost": lost, "duplicated": duplicated, "extra": extra}


if __name__ == "__main__":
    sys.exit(main())
