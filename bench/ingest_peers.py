"""The ingest peers of bench/ingest.py: the same signed device request, other ways to store it.

Each view does what ``POST /api/kiosks/device/readings`` does — the signature, nonce and key
checks, the same pydantic schema, the catalogue and consent checks, AES-GCM — and only swaps
the statement that writes the rows (``services.ingest_readings(insert=…)``):

* ``/bench/ingest/orm``: the naive Django ORM path, ``get_or_create`` per reading;
* ``/bench/ingest/values``: one multi-row ``INSERT … VALUES (…), (…) ON CONFLICT DO NOTHING``
  with nine parameters per row (Linli's first version, and still its SQLite path);
* ``/bench/ingest/unnest``: one ``INSERT … SELECT FROM unnest(%s::varchar[], …)`` with the
  columns as arrays, through Django's cursor.

* ``/bench/ingest/staged``: a binary ``COPY`` into a temporary staging table, moved by one
  ``WITH staged AS (DELETE … RETURNING *) INSERT … SELECT … ON CONFLICT DO NOTHING``.

Linli itself (``services.insert_batch``) sends the columns as binary array parameters to one
``INSERT … SELECT FROM unnest(…)``.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from linli.core.exceptions import LinliError
from linli.kiosks import services
from linli.kiosks.api import ReadingsIn
from linli.kiosks.models import Reading


def orm_insert(batch: services.SealedBatch) -> int:
    new = 0
    for district, device, rid, item, subject, at, received, key_id, blob in batch.rows():
        _row, created = Reading.objects.get_or_create(
            device_id=device,
            reading_id=rid,
            defaults={
                "district_id": district,
                "item": item,
                "subject": subject,
                "measured_at": at,
                "received_at": received,
                "key_id": key_id,
                "ciphertext": blob,
            },
        )
        new += created
    return new


def values_insert(batch: services.SealedBatch) -> int:
    rows = batch.rows()
    if not rows:
        return 0
    values = ", ".join(["(%s, %s, %s, %s, %s, %s, %s, %s, %s)"] * len(rows))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {Reading._meta.db_table} ({services.READING_COLUMNS}) VALUES {values} "
            "ON CONFLICT (device_id, reading_id) DO NOTHING",
            [v for row in rows for v in row],
        )
        return int(cursor.rowcount)


def unnest_insert(batch: services.SealedBatch) -> int:
    if not batch.reading_ids:
        return 0
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {Reading._meta.db_table} ({services.READING_COLUMNS}) "
            "SELECT %s, %s, r, i, s, m, %s, %s, c FROM unnest("
            "%s::varchar[], %s::varchar[], %s::varchar[], %s::timestamptz[], %s::bytea[]"
            ") AS u(r, i, s, m, c) ON CONFLICT (device_id, reading_id) DO NOTHING",
            [
                batch.device.district_id,
                batch.device.pk,
                batch.received,
                batch.key_id,
                batch.reading_ids,
                batch.items,
                batch.subjects,
                batch.measured,
                batch.blobs,
            ],
        )
        return int(cursor.rowcount)


def staged_insert(batch: services.SealedBatch) -> int:
    if not batch.reading_ids:
        return 0
    connection.ensure_connection()
    with connection.connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE IF NOT EXISTS bench_reading_in (reading_id varchar(64), "
            "item varchar(40), subject varchar(64), measured_at timestamptz, ciphertext bytea)"
        )
        with cursor.copy(
            "COPY bench_reading_in (reading_id, item, subject, measured_at, ciphertext) "
            "FROM STDIN (FORMAT BINARY)"
        ) as copy:
            copy.set_types(["varchar", "varchar", "varchar", "timestamptz", "bytea"])
            for row in zip(
                batch.reading_ids,
                batch.items,
                batch.subjects,
                batch.measured,
                batch.blobs,
                strict=True,
            ):
                copy.write_row(row)
        cursor.execute(
            "WITH staged AS (DELETE FROM bench_reading_in RETURNING *) "
            f"INSERT INTO {Reading._meta.db_table} ({services.READING_COLUMNS}) "
            "SELECT %s, %s, reading_id, item, subject, measured_at, %s, %s, ciphertext "
            "FROM staged ON CONFLICT (device_id, reading_id) DO NOTHING",
            [batch.device.district_id, batch.device.pk, batch.received, batch.key_id],
        )
        return int(cursor.rowcount)


def _view(insert: Callable[[services.SealedBatch], int]) -> Callable[[HttpRequest], HttpResponse]:
    @csrf_exempt
    @require_POST
    def view(request: HttpRequest) -> HttpResponse:
        data = ReadingsIn.model_validate_json(request.body)
        try:
            result = services.ingest_readings(
                signed=services.SignedRequest.from_request(request),
                readings=[
                    services.ReadingInput(
                        reading_id=r.id,
                        item=r.item,
                        value=r.value,
                        measured_at=r.measured_at,
                        subject=r.subject,
                    )
                    for r in data.readings
                ],
                insert=insert,
            )
        except LinliError as exc:
            return JsonResponse({"code": exc.code, "detail": str(exc)}, status=exc.status)
        return JsonResponse(
            {
                "accepted": result.accepted,
                "duplicates": result.duplicates,
                "refused": result.refused,
            }
        )

    return view


orm = _view(orm_insert)
values = _view(values_insert)
unnest = _view(unnest_insert)
staged = _view(staged_insert)
