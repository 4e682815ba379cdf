"""Excel import of the resources list: all rows or none, each problem named by row and column.

The whole file is read first (bounded: size, rows, columns); every row is turned into a
``services.ResourceInput`` and each cell that does not read is reported. Only a clean file is
written, row by row through ``services.create_resource`` inside one transaction, so the same
permission checks and audit entries apply as in the console; a refusal there (an area outside
the user's scope, overlapping windows …) is reported against its row and rolls everything back.
``dry_run`` does all of it and rolls back, so staff can preview.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _
from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from linli.accounts.models import AnyUser
from linli.cobuild import services
from linli.cobuild.forms import parse_windows
from linli.cobuild.sheets import CATEGORY_WORDS, COLUMNS, PROVIDER_WORDS, SKILL_WORDS
from linli.core.exceptions import LinliError

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 2000
MAX_COLUMNS = 40
_HEADERS = {c.header: c.key for c in COLUMNS} | {c.english.lower(): c.key for c in COLUMNS}
_LABEL = {c.key: c.header for c in COLUMNS}


class _Rollback(Exception):
    pass


@dataclass
class Problem:
    row: int  # 0 for the file as a whole
    column: str
    message: str


@dataclass
class Report:
    problems: list[Problem] = field(default_factory=list)
    created: int = 0
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        return not self.problems


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _code(words: dict[str, str], values: list[str], text: str) -> str | None:
    if not text:
        return ""
    if text in values:
        return text
    return words.get(text)


def _read(upload: UploadedFile[bytes] | None, report: Report) -> list[tuple[int, dict[str, str]]]:
    if upload is None:
        report.problems.append(Problem(0, "", _("Choose an Excel file (.xlsx) to import.")))
        return []
    if upload.size is not None and upload.size > MAX_BYTES:
        report.problems.append(
            Problem(0, "", _("The file is larger than %(mb)s MB.") % {"mb": MAX_BYTES // 2**20})
        )
        return []
    try:
        book = load_workbook(io.BytesIO(upload.read()), read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, OSError):
        report.problems.append(Problem(0, "", _("The file is not an Excel workbook (.xlsx).")))
        return []
    sheet = book.worksheets[0]
    rows_iter = sheet.iter_rows(values_only=True, max_col=MAX_COLUMNS)
    header = next(rows_iter, None) or ()
    keys = [_HEADERS.get(_text(h).lower(), _HEADERS.get(_text(h), "")) for h in header]
    missing = [
        c.header
        for c in COLUMNS
        if c.key in ("title", "category", "subdistrict", "provider_kind") and c.key not in keys
    ]
    if missing:
        report.problems.append(
            Problem(
                1,
                "",
                _("The header lacks the columns: %(columns)s.") % {"columns": "、".join(missing)},
            )
        )
        return []
    rows: list[tuple[int, dict[str, str]]] = []
    for number, values in enumerate(rows_iter, start=2):
        if number - 1 > MAX_ROWS:
            report.problems.append(
                Problem(number, "", _("A file holds at most %(n)s rows.") % {"n": MAX_ROWS})
            )
            return []
        row = {k: _text(v) for k, v in zip(keys, values, strict=False) if k}
        if any(row.values()):
            rows.append((number, row))
    book.close()
    return rows


def _to_input(number: int, row: dict[str, str], report: Report) -> services.ResourceInput | None:
    before = len(report.problems)

    def bad(key: str, message: str) -> None:
        report.problems.append(Problem(number, _LABEL[key], message))

    category = _code(
        CATEGORY_WORDS,
        ["venue", "skill", "funds", "materials", "volunteer_hours"],
        row.get("category", ""),
    )
    if not category:
        bad(
            "category",
            _("“%(value)s” is not a resource category.") % {"value": row.get("category", "")},
        )
    skill = _code(SKILL_WORDS, list(SKILL_WORDS.values()), row.get("skill", ""))
    if skill is None:
        bad("skill", _("“%(value)s” is not a skill.") % {"value": row.get("skill", "")})
    provider = _code(
        PROVIDER_WORDS, ["unit", "party_member", "new_organisation"], row.get("provider_kind", "")
    )
    if not provider:
        bad(
            "provider_kind",
            _("“%(value)s” is not a kind of provider.") % {"value": row.get("provider_kind", "")},
        )
    numbers: dict[str, float | None] = {}
    for key in ("quantity", "lon", "lat"):
        text = row.get(key, "")
        try:
            numbers[key] = float(text) if text else None
        except ValueError:
            bad(key, _("“%(value)s” is not a number.") % {"value": text})
    quantity = numbers.get("quantity")
    if quantity is not None and not quantity.is_integer():
        bad("quantity", _("The quantity must be a whole number."))
    try:
        windows = parse_windows(row.get("windows", "").replace("；", "\n").replace(";", "\n"))
    except Exception as exc:  # forms.ValidationError carries the message
        bad("windows", " ".join(getattr(exc, "messages", [str(exc)])))
        windows = ()
    if len(report.problems) > before:
        return None
    return services.ResourceInput(
        title=row.get("title", ""),
        category=category or "",
        skill=skill or "",
        subdistrict_code=row.get("subdistrict", ""),
        community_code=row.get("community", ""),
        provider_kind=provider or "",
        organisation_name=row.get("organisation", ""),
        provider_name=row.get("provider_name", ""),
        quantity=int(quantity) if quantity is not None else 1,
        quantity_unit=row.get("quantity_unit", ""),
        station_code=row.get("station", ""),
        address=row.get("address", ""),
        lon=numbers.get("lon"),
        lat=numbers.get("lat"),
        description=row.get("description", ""),
        windows=windows,
    )


_SERVICE_FIELD = {
    "subdistrict": "subdistrict",
    "community": "community",
    "organisation": "organisation",
    "station": "station",
    "lon": "lon",
    "windows": "windows",
}


def import_resources(
    *,
    actor: AnyUser,
    upload: UploadedFile[bytes] | None,
    dry_run: bool = False,
    request: HttpRequest | None = None,
) -> Report:
    """Import every row of the file, or none; the report names each problem."""
    from linli.places.services import resolve_district

    report = Report(dry_run=dry_run)
    rows = _read(upload, report)
    if report.problems:
        return report
    inputs = [(n, _to_input(n, row, report)) for n, row in rows]
    if report.problems:
        return report
    if not inputs:
        report.problems.append(Problem(0, "", _("The file holds no rows to import.")))
        return report
    try:
        district = resolve_district(actor)
    except LinliError as exc:
        report.problems.append(Problem(0, "", str(exc.message)))
        return report
    try:
        with transaction.atomic():
            for number, data in inputs:
                assert data is not None
                try:
                    services.create_resource(
                        actor=actor, district=district, data=data, request=request
                    )
                except LinliError as exc:
                    key = str(exc.details.get("field", ""))
                    report.problems.append(Problem(number, _LABEL.get(key, ""), str(exc.message)))
                    continue
                report.created += 1
            if report.problems or dry_run:
                raise _Rollback
    except _Rollback:
        if report.problems:
            report.created = 0
    return report
