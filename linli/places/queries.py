"""The read side of the station directory: what resident pages, the map and dashboards ask.

Why an in-process directory: the resident pages are the busiest pages of the platform (the
benchmark in bench/web.py holds them to ≥ 25 % of a bare Django view at 50 connections). So a
district's active stations, with everything a page shows, are loaded in about ten queries into plain
immutable
objects (:class:`Directory`) and kept in this process until the data changes. Each request pays
one query — :func:`places_versions`, the latest ``Station.updated_at`` and the station count per
district — and then only works in memory. Under load not even that: a process trusts the
versions it read for ``LINLI_DATA_VERSION_SECONDS`` (default 1 s) unless it made a change
itself, so another worker's edit shows within a second and this worker's own at once.

Changes to rows hanging off a station (hours, exceptions, services, organisations, functions,
amenities, reference lists, the district) "touch" the affected stations' ``updated_at`` through
the receivers in ``linli.places.receivers``, so every gunicorn worker sees a new version at its
next request. A process-local generation counter is added to the version as well, so that two
states of the database that happen to share a timestamp and a count (tests with a frozen clock)
never share cached pages in the process that made the change.

The keeper's personal name and mobile are never loaded here: nothing built from this module can
show them to a resident.
"""

from __future__ import annotations

import datetime as dt
import math
import threading
import time
import unicodedata
from collections import OrderedDict
from collections.abc import Callable, Container, Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from django.conf import settings
from django.db import connection
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from linli.core.holidays import DayKind, festival_name
from linli.places.models import (
    Amenity,
    District,
    FacilityCategory,
    OpeningException,
    OpeningHours,
    ServiceAtStation,
    ServiceCategory,
    Station,
    StationFunction,
    StationPhoto,
    opening_on,
)
from linli.places.rrule_words import format_span, format_time, occurrences, schedule_in_words

# How far ahead the station page looks for exceptions and dated sessions.
LOOKAHEAD_DAYS = 60
UPCOMING_LIMIT = 6
ALL_DAY = _("open 24 hours")

# ---------------------------------------------------------------------------------------------
# Versions and process-local caches


_generation = 0
_lock = threading.Lock()


def bump_generation() -> None:
    global _generation
    with _lock:
        _generation += 1


def _versions_sql() -> str:
    table = connection.ops.quote_name(Station._meta.db_table)
    return f"SELECT district_id, MAX(updated_at), COUNT(*) FROM {table} GROUP BY district_id"


# (monotonic time of the read, generation then, the versions read)
_versions_memo: tuple[float, int, dict[int, str]] | None = None


def places_versions() -> dict[int, str]:
    """``{district_id: version}`` for every district with stations.

    At most one query per ``LINLI_DATA_VERSION_SECONDS`` per process: the versions read are
    reused until they are that old or this process changed something (the generation moved).
    Inside a transaction the database is always asked, so a writer reads its own changes.
    Plain SQL rather than the ORM: compiling the equivalent ``values().annotate()`` costs more
    than executing it.
    """
    global _versions_memo
    generation = _generation
    ttl = getattr(settings, "LINLI_DATA_VERSION_SECONDS", 0.0)
    now = time.monotonic()
    memo = _versions_memo
    in_atomic = connection.in_atomic_block
    if memo is not None and not in_atomic and memo[1] == generation and now - memo[0] < ttl:
        return memo[2]
    with connection.cursor() as cursor:
        cursor.execute(_versions_sql())
        rows = cursor.fetchall()
    versions = {
        district_id: f"{latest}:{count}:{generation}" for district_id, latest, count in rows
    }
    if not in_atomic:
        _versions_memo = (now, generation, versions)
    return versions


def _weight(value: Any) -> int:
    return len(value) if isinstance(value, (str, bytes)) else 1


class BoundedCache:
    """A small thread-safe LRU mapping for rendered HTML and per-version data.

    Process-local on purpose: a dictionary lookup costs microseconds, while the shared cache
    backends pickle the value (LocMem) or cross the network (Redis); keys carry the version, so
    stale entries are simply never asked for again and fall off the end.

    Bounded by entries and, when ``max_bytes`` is given, by the total length of the str/bytes
    values it holds: a few huge pages cannot fill a worker's memory, and a value larger than an
    eighth of the budget is not kept at all.
    """

    def __init__(self, max_entries: int, *, max_bytes: int | None = None) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._data: OrderedDict[Any, Any] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: Any) -> Any:
        with self._lock:
            value = self._data.get(key)
            if value is not None:
                self._data.move_to_end(key)
            return value

    def set(self, key: Any, value: Any) -> None:
        weight = _weight(value)
        if self.max_bytes is not None and weight > self.max_bytes // 8:
            return
        with self._lock:
            old = self._data.pop(key, None)
            if old is not None:
                self._bytes -= _weight(old)
            self._data[key] = value
            self._bytes += weight
            while len(self._data) > self.max_entries or (
                self.max_bytes is not None and self._bytes > self.max_bytes
            ):
                _key, evicted = self._data.popitem(last=False)
                self._bytes -= _weight(evicted)

    def get_or_set(self, key: Any, build: Callable[[], Any]) -> Any:
        value = self.get(key)
        if value is None:
            value = build()
            self.set(key, value)
        return value

    def __len__(self) -> int:
        return len(self._data)

    @property
    def size_bytes(self) -> int:
        """The total length of the str/bytes values held."""
        return self._bytes

    def clear(self) -> None:
        with self._lock:
            self._data.clear()
            self._bytes = 0


_directories = BoundedCache(16)
_days = BoundedCache(64)
_pages = BoundedCache(64)
_searches = BoundedCache(256)  # separate, so many different searches never evict station pages
# Rendered resident pages: keyed by what changes the page (never the raw URL), at most 64 MB.
html_cache = BoundedCache(512, max_bytes=64 * 1024 * 1024)


def clear_caches() -> None:
    """Forget everything cached in this process (tests; after a bulk import in a shell)."""
    bump_generation()
    for cache in (_directories, _days, _pages, _searches, html_cache):
        cache.clear()


# ---------------------------------------------------------------------------------------------
# The directory: immutable per-version render data


def now_local() -> dt.datetime:
    """The local wall-clock time, naive: what opening hours and schedules are written in."""
    return timezone.localtime().replace(tzinfo=None)


def language_is_english(language: str | None = None) -> bool:
    return (language or get_language() or "").lower().startswith("en")


@dataclass(frozen=True, slots=True)
class Named:
    """A reference item (kind, function, amenity, service category) in both languages."""

    code: str
    zh: str
    en: str
    keywords: str = ""
    group: str = ""

    @property
    def name(self) -> str:
        return self.en if language_is_english() else self.zh

    @property
    def search_text(self) -> str:
        return normalise(" ".join((self.zh, self.en, self.keywords)))


@dataclass(frozen=True, slots=True)
class ServiceEntry:
    """A service as offered at one station, with its schedule in both languages."""

    service_id: int
    name: str
    description: str
    category: Named
    organisation: str
    fee: str
    fee_description: str
    booking_required: bool
    rrule: str
    opens: dt.time | None
    closes: dt.time | None
    schedule_note: str
    schedule_zh: str | None
    schedule_en: str | None
    search_text: str

    @property
    def schedule(self) -> str | None:
        """The schedule in words in the active language (None: only the note, or station hours)."""
        return self.schedule_en if language_is_english() else self.schedule_zh

    @property
    def span(self) -> str:
        return format_span(self.opens, self.closes, language=get_language() or "zh-hans")


@dataclass(frozen=True, slots=True)
class Photo:
    url: str
    caption: str


@dataclass(frozen=True, slots=True)
class StationEntry:
    """Everything a resident page shows about one active station (never the keeper)."""

    id: int
    code: str
    name: str
    address: str
    description: str
    lon: float
    lat: float
    phone: str
    kind: Named
    community: str
    subdistrict: str
    holiday_policy: str
    functions: tuple[Named, ...]
    amenities: tuple[Named, ...]
    services: tuple[ServiceEntry, ...]
    hours: tuple[OpeningHours, ...]
    exceptions: dict[dt.date, list[OpeningException]]
    photos: tuple[Photo, ...]
    own_text: str

    @property
    def tel(self) -> str:
        """The public phone as a tel: target (digits, + and - only)."""
        return "".join(ch for ch in self.phone if ch.isdigit() or ch in "+-")

    @property
    def closes_on_holidays(self) -> bool:
        return self.holiday_policy == Station.HolidayPolicy.CLOSED


@dataclass(frozen=True, slots=True)
class DistrictInfo:
    id: int
    code: str
    name: str
    is_sample: bool
    centre: tuple[float, float]  # (lat, lon)
    bounds: tuple[float, float, float, float] | None  # (min_lat, min_lon, max_lat, max_lon)
    network_file: str


@dataclass(frozen=True)
class Directory:
    """A district's active stations and reference lists, as of one version."""

    version: str
    district: DistrictInfo
    stations: dict[int, StationEntry]
    kinds: tuple[Named, ...]  # the kinds present among the active stations, stations' group first
    loaded_on: dt.date
    # Indexes for search: a district has a few dozen stations among a thousand facilities.
    neighbourhood: tuple[StationEntry, ...] = ()  # the stations' group (驿站, 小屋, 党群中心)
    by_kind: dict[str, tuple[StationEntry, ...]] = field(default_factory=dict)
    haystack: dict[int, str] = field(default_factory=dict)  # every searchable word of a station

    def station(self, pk: int) -> StationEntry | None:
        return self.stations.get(pk)


def normalise(text: str) -> str:
    """Fold full-width characters and case so "ＡＥＤ", "aed" and "AED" match alike."""
    return unicodedata.normalize("NFKC", text).casefold()


def _named_map(model: Any, *, with_group: bool = False) -> dict[int, Named]:
    fields = ["id", "code", "name_zh", "name_en"] + (["group"] if with_group else ["keywords"])
    result: dict[int, Named] = {}
    for row in model.objects.values(*fields):
        result[row["id"]] = Named(
            code=row["code"],
            zh=row["name_zh"],
            en=row["name_en"],
            keywords=row.get("keywords", ""),
            group=row.get("group", ""),
        )
    return result


def _load_directory(district_id: int, version: str, today: dt.date) -> Directory:
    """Load one district's directory: about ten queries, whatever the number of stations."""
    d = District.objects.values(
        "id",
        "code",
        "name",
        "is_sample",
        "centre_lon",
        "centre_lat",
        "min_lon",
        "min_lat",
        "max_lon",
        "max_lat",
        "network_file",
    ).get(pk=district_id)
    bounds: tuple[float, float, float, float] | None = None
    edges = (d["min_lat"], d["min_lon"], d["max_lat"], d["max_lon"])
    if all(e is not None for e in edges):
        bounds = tuple(float(e or 0) for e in edges)  # type: ignore[assignment]  # four values
    rows = list(
        Station.objects.filter(district_id=district_id, is_active=True)
        .order_by("code")
        .values(
            "id",
            "code",
            "name",
            "address",
            "description",
            "lon",
            "lat",
            "phone",
            "holiday_policy",
            "category_id",
            "community__name",
            "subdistrict__name",
        )
    )
    ids = [r["id"] for r in rows]
    if rows and not bounds:
        lats = [r["lat"] for r in rows]
        lons = [r["lon"] for r in rows]
        bounds = (min(lats), min(lons), max(lats), max(lons))
    info = DistrictInfo(
        id=d["id"],
        code=d["code"],
        name=d["name"],
        is_sample=d["is_sample"],
        centre=(d["centre_lat"], d["centre_lon"]),
        bounds=bounds,
        network_file=d["network_file"],
    )

    kinds = _named_map(FacilityCategory, with_group=True)
    functions = _named_map(StationFunction)
    amenities = _named_map(Amenity)
    service_categories = _named_map(ServiceCategory)

    station_functions: dict[int, list[Named]] = {i: [] for i in ids}
    for sid, fid in (
        Station.functions.through.objects.filter(
            station__district_id=district_id, station__is_active=True
        )
        .order_by("stationfunction__sort_order")
        .values_list("station_id", "stationfunction_id")
    ):
        station_functions[sid].append(functions[fid])
    station_amenities: dict[int, list[Named]] = {i: [] for i in ids}
    for sid, aid in (
        Station.amenities.through.objects.filter(
            station__district_id=district_id, station__is_active=True
        )
        .order_by("amenity__sort_order")
        .values_list("station_id", "amenity_id")
    ):
        station_amenities[sid].append(amenities[aid])

    hours: dict[int, list[OpeningHours]] = {i: [] for i in ids}
    for sid, weekday, opens, closes in (
        OpeningHours.objects.filter(station__district_id=district_id, station__is_active=True)
        .order_by("station_id", "weekday", "opens")
        .values_list("station_id", "weekday", "opens", "closes")
    ):
        hours[sid].append(OpeningHours(station_id=sid, weekday=weekday, opens=opens, closes=closes))
    exceptions: dict[int, dict[dt.date, list[OpeningException]]] = {i: {} for i in ids}
    for sid, day, closed, ex_opens, ex_closes, note in (
        OpeningException.objects.filter(
            station__district_id=district_id,
            station__is_active=True,
            date__gte=today - dt.timedelta(days=1),
            date__lte=today + dt.timedelta(days=LOOKAHEAD_DAYS),
        )
        .order_by("date", "opens")
        .values_list("station_id", "date", "closed", "opens", "closes", "note")
    ):
        exceptions[sid].setdefault(day, []).append(
            OpeningException(
                station_id=sid,
                date=day,
                closed=closed,
                opens=ex_opens,
                closes=ex_closes,
                note=note,
            )
        )

    services: dict[int, list[ServiceEntry]] = {i: [] for i in ids}
    for link in (
        ServiceAtStation.objects.filter(
            district_id=district_id, station__is_active=True, service__is_active=True
        )
        .order_by("service__category__sort_order", "service__name")
        .values(
            "station_id",
            "rrule",
            "opens",
            "closes",
            "schedule_note",
            "service_id",
            "service__name",
            "service__description",
            "service__fee",
            "service__fee_description",
            "service__booking_required",
            "service__category_id",
            "service__organisation__name",
        )
    ):
        category = service_categories[link["service__category_id"]]
        organisation = link["service__organisation__name"] or ""
        services[link["station_id"]].append(
            ServiceEntry(
                service_id=link["service_id"],
                name=link["service__name"],
                description=link["service__description"],
                category=category,
                organisation=organisation,
                fee=link["service__fee"],
                fee_description=link["service__fee_description"],
                booking_required=link["service__booking_required"],
                rrule=link["rrule"],
                opens=link["opens"],
                closes=link["closes"],
                schedule_note=link["schedule_note"],
                schedule_zh=schedule_in_words(
                    link["rrule"], opens=link["opens"], closes=link["closes"], language="zh-hans"
                ),
                schedule_en=schedule_in_words(
                    link["rrule"], opens=link["opens"], closes=link["closes"], language="en"
                ),
                search_text=normalise(
                    " ".join(
                        (
                            link["service__name"],
                            category.zh,
                            category.en,
                            category.keywords,
                            organisation,
                        )
                    )
                ),
            )
        )

    photos: dict[int, list[Photo]] = {i: [] for i in ids}
    for sid, image, caption in (
        StationPhoto.objects.filter(station__district_id=district_id, station__is_active=True)
        .order_by("sort_order", "id")
        .values_list("station_id", "image", "caption")
    ):
        photos[sid].append(Photo(url=StationPhoto.image.field.storage.url(image), caption=caption))

    stations: dict[int, StationEntry] = {}
    for r in rows:
        kind = kinds[r["category_id"]]
        stations[r["id"]] = StationEntry(
            id=r["id"],
            code=r["code"],
            name=r["name"],
            address=r["address"],
            description=r["description"],
            lon=r["lon"],
            lat=r["lat"],
            phone=r["phone"],
            kind=kind,
            community=r["community__name"] or "",
            subdistrict=r["subdistrict__name"],
            holiday_policy=r["holiday_policy"],
            functions=tuple(station_functions[r["id"]]),
            amenities=tuple(station_amenities[r["id"]]),
            services=tuple(services[r["id"]]),
            hours=tuple(hours[r["id"]]),
            exceptions=exceptions[r["id"]],
            photos=tuple(photos[r["id"]]),
            own_text=normalise(
                " ".join(
                    (
                        r["name"],
                        r["address"],
                        kind.zh,
                        kind.en,
                        r["community__name"] or "",
                        r["subdistrict__name"],
                    )
                )
            ),
        )
    present = {s.kind.code: s.kind for s in stations.values()}
    order = {k.code: i for i, k in enumerate(kinds.values())}
    kind_list = sorted(
        present.values(), key=lambda k: (k.group != FacilityCategory.Group.STATION, order[k.code])
    )
    by_kind: dict[str, list[StationEntry]] = {}
    for station in stations.values():
        by_kind.setdefault(station.kind.code, []).append(station)
    return Directory(
        version=version,
        district=info,
        stations=stations,
        kinds=tuple(kind_list),
        loaded_on=today,
        neighbourhood=tuple(
            s for s in stations.values() if s.kind.group == FacilityCategory.Group.STATION
        ),
        by_kind={k: tuple(v) for k, v in by_kind.items()},
        haystack={
            s.id: " ".join(
                (
                    s.own_text,
                    *(x.search_text for x in s.services),
                    *(x.search_text for x in s.functions),
                    *(x.search_text for x in s.amenities),
                )
            )
            for s in stations.values()
        },
    )


def get_directory(district_id: int, version: str, *, today: dt.date) -> Directory:
    """The district's directory for ``version`` (built on first use in this process)."""
    return _directories.get_or_set(  # type: ignore[no-any-return]  # BoundedCache holds Any
        (district_id, version, today), lambda: _load_directory(district_id, version, today)
    )


@dataclass(frozen=True)
class Site:
    """What a resident request starts from: the versions and the district it shows."""

    versions: dict[int, str]
    district_ids: tuple[int, ...]  # districts with stations, by code

    def directory(self, district_id: int | None, *, today: dt.date) -> Directory | None:
        if district_id is None:
            if not self.district_ids:
                return None
            district_id = self.district_ids[0]
        version = self.versions.get(district_id)
        if version is None:
            return None
        return get_directory(district_id, version, today=today)


def current_site() -> Site:
    """The districts residents can browse; one query when nothing changed."""
    versions = places_versions()
    signature = tuple(sorted(versions.items()))
    ids = _pages.get(("districts", signature))
    if ids is None:
        ids = tuple(
            District.objects.filter(pk__in=list(versions))
            .order_by("code")
            .values_list("pk", flat=True)
        )
        _pages.set(("districts", signature), ids)
    return Site(versions=versions, district_ids=ids)


def district_id_for_code(code: str, *, known_ids: Container[int] | None = None) -> int | None:
    """A district's id from its code, cached for the process.

    A district deleted and loaded again (``linli load_sample --reset``) keeps its code but gets
    a new id, so a cached id that is not among ``known_ids`` is looked up again.
    """
    key = ("district-code", code)
    found = _pages.get(key)
    if found is None or (known_ids is not None and found not in known_ids):
        found = District.objects.filter(code=code).values_list("pk", flat=True).first() or 0
        _pages.set(key, found)
    return found or None


# ---------------------------------------------------------------------------------------------
# Opening status

StatusState = Literal["open", "later", "closed", "closed_today", "unknown"]


@dataclass(frozen=True, slots=True)
class DayHours:
    """One day of a station: its intervals in words and why they differ from the week."""

    date: dt.date
    state: Literal["open", "closed", "unknown"]
    hours: str  # "8:30–12:00、14:00–18:00" / "8:30–12:00, 14:00–18:00"; empty when closed
    note: str  # exception note or holiday name (in the active language)
    adjusted: bool  # an adjusted working day that keeps Monday's hours
    exception: bool
    intervals: tuple[tuple[dt.time, dt.time], ...]


@dataclass(frozen=True, slots=True)
class Status:
    """A station's state at a moment: open now, opens later today, closed, or unconfirmed."""

    state: StatusState
    today: DayHours
    next_open: str = ""  # "14:00" when it opens later today

    @property
    def is_open(self) -> bool:
        return self.state == "open"


def holiday_name(day: dt.date, *, english: bool) -> str:
    """The official festival a day belongs to (国庆节 / National Day), or ""."""
    return festival_name(day, english=english)


def _hours_text(intervals: Iterable[tuple[dt.time, dt.time]], *, english: bool) -> str:
    spans = [format_span(o, c, language="en" if english else "zh") for o, c in intervals]
    if spans == ["0:00–24:00"]:
        return str(ALL_DAY)
    return (", " if english else "、").join(spans)


def day_hours(station: StationEntry, day: dt.date, *, english: bool) -> DayHours:
    """The station's hours on ``day`` with exceptions and the holiday calendar applied.

    A station that closes on public holidays, on a day of a year the official calendar does
    not know yet, is "unknown" (待确认): we do not guess whether that day is a holiday.
    """
    exceptions = station.exceptions.get(day, [])
    opening = opening_on(
        hours=list(station.hours), exceptions=exceptions, day=day, policy=station.holiday_policy
    )
    is_exception = bool(exceptions)
    if not is_exception and station.closes_on_holidays and opening.kind is DayKind.UNKNOWN:
        return DayHours(day, "unknown", "", "", False, False, ())
    note = ""
    if is_exception:
        note = exceptions[0].note
    elif opening.kind is DayKind.HOLIDAY:
        note = holiday_name(day, english=english)
    adjusted = (
        not is_exception and station.closes_on_holidays and opening.kind is DayKind.ADJUSTED_WORKDAY
    )
    if not opening.intervals:
        return DayHours(day, "closed", "", note, adjusted, is_exception, ())
    return DayHours(
        day,
        "open",
        _hours_text(opening.intervals, english=english),
        note,
        adjusted,
        is_exception,
        opening.intervals,
    )


def _day_table(directory: Directory, day: dt.date, english: bool) -> dict[int, DayHours]:
    return _days.get_or_set(  # type: ignore[no-any-return]  # BoundedCache holds Any
        ("day", directory.district.id, directory.version, day, english),
        lambda: {pk: day_hours(s, day, english=english) for pk, s in directory.stations.items()},
    )


def status_at(today: DayHours, moment: dt.time) -> Status:
    """The state at ``moment`` (local time) given the day's hours."""
    if today.state == "unknown":
        return Status("unknown", today)
    if today.state == "closed":
        return Status("closed_today", today)
    for opens, closes in today.intervals:
        if opens <= moment and (moment < closes or closes == dt.time(0, 0)):
            return Status("open", today)
    later = [o for o, _ in today.intervals if o > moment]
    if later:
        return Status("later", today, next_open=format_time(min(later)))
    return Status("closed", today)


def statuses(directory: Directory, now: dt.datetime) -> dict[int, Status]:
    """Every station's status at ``now`` (aware or local naive), computed from a per-day table."""
    local = timezone.localtime(now) if timezone.is_aware(now) else now
    table = _day_table(directory, local.date(), language_is_english())
    moment = local.time()
    return {pk: status_at(day, moment) for pk, day in table.items()}


# ---------------------------------------------------------------------------------------------
# Search


@dataclass(frozen=True)
class SearchQuery:
    """What a resident asked: words, a kind, "open now" and their position for "near me"."""

    text: str = ""
    kind: str = ""
    open_now: bool = False
    near: tuple[float, float] | None = None  # (lat, lon) from the browser

    @property
    def tokens(self) -> tuple[str, ...]:
        cleaned = normalise(self.text)
        for sep in "、，,;；/|":
            cleaned = cleaned.replace(sep, " ")
        return tuple(t for t in cleaned.split() if t)

    @property
    def is_browsing(self) -> bool:
        """No words and no kind: the resident is browsing the neighbourhood stations."""
        return not self.tokens and not self.kind


@dataclass(frozen=True, slots=True)
class SearchResult:
    station: StationEntry
    status: Status
    distance_m: int | None
    services: tuple[ServiceEntry, ...]
    functions: tuple[Named, ...]
    amenities: tuple[Named, ...]
    rank: int = 0
    # For a search for a service with its own schedule: whether one of the matched services is
    # offered now (within the station's hours that day), else when one next is. None: the
    # search was not for a scheduled service, and the station's own hours answer "open now".
    service_now: bool | None = None
    service_next: dt.datetime | None = None

    @property
    def is_open(self) -> bool:
        """Open in the sense the resident asked: the service's schedule, else the station's."""
        return self.status.is_open if self.service_now is None else self.service_now

    @property
    def distance_text(self) -> str:
        """ "350 米" / "1.2 公里" style numbers; the unit word comes from the template."""
        if self.distance_m is None:
            return ""
        if self.distance_m < 1000:
            return str(self.distance_m)
        return f"{self.distance_m / 1000:.1f}"


@dataclass(frozen=True)
class SearchResults:
    query: SearchQuery
    results: tuple[SearchResult, ...]
    unknown_hidden: int = 0  # stations left out of "open now" because today's hours are unconfirmed
    total_stations: int = 0

    @property
    def signature(self) -> tuple[Any, ...]:
        """What the rendered list depends on besides the query and version."""
        return tuple(
            (
                r.station.id,
                r.status.state,
                r.status.next_open,
                r.distance_m,
                r.service_now,
                r.service_next,
            )
            for r in self.results
        )


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres (haversine; straight line, not walking distance)."""
    r = 6_371_008.8
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp = p2 - p1
    dl = math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(min(1.0, math.sqrt(a)))


@dataclass(frozen=True, slots=True)
class _Match:
    services: tuple[ServiceEntry, ...]
    functions: tuple[Named, ...]
    amenities: tuple[Named, ...]
    rank: int


def _match(station: StationEntry, tokens: tuple[str, ...]) -> _Match | None:
    """Whether every word matches the station somewhere; collect what matched, ranked."""
    services: list[ServiceEntry] = []
    functions: list[Named] = []
    amenities: list[Named] = []
    rank = 0
    for token in tokens:
        hit = False
        for service in station.services:
            if token in service.search_text:
                hit = True
                if service not in services:
                    services.append(service)
        for function in station.functions:
            if token in function.search_text:
                hit = True
                if function not in functions:
                    functions.append(function)
        for amenity in station.amenities:
            if token in amenity.search_text:
                hit = True
                if amenity not in amenities:
                    amenities.append(amenity)
        if hit:
            continue
        if token in station.own_text:
            rank += 1  # matched only by name, address or kind: after what offers it
            continue
        return None
    return _Match(tuple(services), tuple(functions), tuple(amenities), rank)


def _matches(
    directory: Directory, tokens: tuple[str, ...], kind: str
) -> tuple[tuple[StationEntry, _Match], ...]:
    """The stations matching the words and kind, with what matched (cached per version)."""

    def build() -> tuple[tuple[StationEntry, _Match], ...]:
        if kind:
            pool: Iterable[StationEntry] = directory.by_kind.get(kind, ())
        elif not tokens:
            pool = directory.neighbourhood
        else:
            pool = directory.stations.values()
        found: list[tuple[StationEntry, _Match]] = []
        for station in pool:
            text = directory.haystack[station.id]
            if not all(t in text for t in tokens):
                continue  # cheap rejection before looking at what matched
            matched = _match(station, tokens)
            if matched is not None:
                found.append((station, matched))
        return tuple(found)

    return _searches.get_or_set(  # type: ignore[no-any-return]  # BoundedCache holds Any
        ("match", directory.district.id, directory.version, tokens, kind), build
    )


def _service_availability(
    station: StationEntry, services: Iterable[ServiceEntry], now: dt.datetime
) -> tuple[bool | None, dt.datetime | None]:
    """Whether any of ``services`` is offered at ``now`` (naive local) and, if not, when one
    next is — each service by its own schedule, within the station's hours and exceptions that
    day. (None, None) when none of them has a schedule of its own: the station's hours answer.
    """
    scheduled = [s for s in services if s.rrule or s.opens is not None]
    if not scheduled:
        return None, None
    until = now + dt.timedelta(days=LOOKAHEAD_DAYS)
    upcoming: list[dt.datetime] = []
    for service in scheduled:
        # Times without a rule mean "every day at these times" (within the station's hours).
        rule = service.rrule or "FREQ=DAILY"
        for begin in occurrences(
            rule, after=now, opens=service.opens, closes=service.closes, until=until, limit=40
        ):
            end = _session_end(begin, service)
            if not _fits_hours(station, begin, end, service) or any(
                e.closed for e in station.exceptions.get(begin.date(), [])
            ):
                continue
            if begin <= now < end:
                if service.opens is None:  # all day: whenever the station is open that day
                    day = day_hours(station, now.date(), english=False)
                    if not status_at(day, now.time()).is_open:
                        continue
                return True, None
            upcoming.append(begin)
            break
    return False, min(upcoming) if upcoming else None


def suggestions(directory: Directory, query: SearchQuery, *, limit: int = 2) -> tuple[str, ...]:
    """Words to try when nothing matched: the service categories most stations offer, in the
    reader's language, never one the resident has just typed (nor one containing it)."""
    english = language_is_english()

    def build() -> tuple[Named, ...]:
        counts: dict[Named, int] = {}
        for station in directory.stations.values():
            for category in {s.category for s in station.services}:
                counts[category] = counts.get(category, 0) + 1
        return tuple(sorted(counts, key=lambda c: (-counts[c], c.zh)))

    popular: tuple[Named, ...] = _searches.get_or_set(
        ("popular", directory.district.id, directory.version), build
    )
    typed = query.tokens
    words: list[str] = []
    for category in popular:
        name = category.en if english else category.zh
        folded = category.search_text
        if any(t in folded or normalise(name) in t for t in typed):
            continue
        words.append(name)
        if len(words) == limit:
            break
    return tuple(words)


def search(directory: Directory, query: SearchQuery, *, now: dt.datetime) -> SearchResults:
    """Stations matching the words, kind, "open now" and sorted by distance for "near me".

    Words match service names and categories (with their keywords: "剪头" finds 理发),
    functions ("调解"), amenities ("充电" is phone charging), station names, addresses and kinds,
    in Chinese or English; every word must match. Without words or a kind the list shows the
    neighbourhood stations (幸福驿站, 智慧小屋, 党群服务中心), not every school and market.
    """
    local = timezone.localtime(now) if timezone.is_aware(now) else now
    table = _day_table(directory, local.date(), language_is_english())
    moment = local.time()
    unknown_hidden = 0
    found: list[SearchResult] = []
    naive = local.replace(tzinfo=None)
    for station, matched in _matches(directory, query.tokens, query.kind):
        status = status_at(table[station.id], moment)
        service_now, service_next = _service_availability(station, matched.services, naive)
        is_open = status.is_open if service_now is None else service_now
        if query.open_now and not is_open:
            if status.state == "unknown":
                unknown_hidden += 1
            continue
        distance = None
        if query.near is not None:
            metres = distance_m(query.near[0], query.near[1], station.lat, station.lon)
            distance = int(round(metres, -1))
        found.append(
            SearchResult(
                station,
                status,
                distance,
                matched.services,
                matched.functions,
                matched.amenities,
                matched.rank,
                service_now,
                service_next,
            )
        )
    if query.near is not None:
        found.sort(key=lambda r: (r.distance_m or 0, r.station.code))
    else:
        found.sort(key=lambda r: (r.rank, not r.is_open, r.station.code))
    return SearchResults(query, tuple(found), unknown_hidden, len(directory.stations))


# ---------------------------------------------------------------------------------------------
# The station page


@dataclass(frozen=True, slots=True)
class Session:
    """A dated session of a scheduled service (from its RRULE)."""

    start: dt.datetime
    end: dt.datetime
    service: ServiceEntry
    station_closed: bool  # the station has a closed-all-day exception on that date
    # The station's hours were changed that day (an exception) and no longer hold the session.
    outside_hours: bool = False


@dataclass(frozen=True)
class StationPage:
    """Day-dependent render data of a station page, cached per version and date."""

    station: StationEntry
    week: tuple[DayHours, ...]
    exceptions: tuple[DayHours, ...]  # upcoming days with an exception, beyond the week shown
    sessions: tuple[Session, ...]
    holiday_year_unknown: bool


def _build_station_page(
    directory: Directory, station: StationEntry, today: dt.date, english: bool
) -> StationPage:
    week = tuple(
        day_hours(station, today + dt.timedelta(days=i), english=english) for i in range(7)
    )
    later = sorted(d for d in station.exceptions if d >= today + dt.timedelta(days=7))
    exceptions = tuple(day_hours(station, d, english=english) for d in later)
    start = dt.datetime.combine(today, dt.time(0, 0))
    until = start + dt.timedelta(days=LOOKAHEAD_DAYS)
    sessions: list[Session] = []
    for service in station.services:
        for begin in occurrences(
            service.rrule,
            after=start,
            opens=service.opens,
            closes=service.closes,
            until=until,
            limit=UPCOMING_LIMIT + 2,
        ):
            end = _session_end(begin, service)
            changes = station.exceptions.get(begin.date(), [])
            closed = any(e.closed for e in changes)
            outside = bool(changes) and not closed and not _fits_hours(station, begin, end, service)
            sessions.append(Session(begin, end, service, closed, outside))
    sessions.sort(key=lambda s: (s.start, s.service.name))
    unknown = station.closes_on_holidays and any(d.state == "unknown" for d in week)
    return StationPage(station, week, exceptions, tuple(sessions), unknown)


def _fits_hours(
    station: StationEntry, begin: dt.datetime, end: dt.datetime, service: ServiceEntry
) -> bool:
    """Whether a timed session lies within the station's hours that day, exceptions applied
    (a session without its own times is "whenever the station is open" and always fits)."""
    if service.opens is None:
        return True
    day = begin.date()
    opening = opening_on(
        hours=list(station.hours),
        exceptions=station.exceptions.get(day, []),
        day=day,
        policy=station.holiday_policy,
    )
    for opens, closes in opening.intervals:
        limit = dt.datetime.combine(day, closes) if closes != dt.time(0, 0) else None
        if opens <= begin.time() and (limit is None or end <= limit):
            return True
    return False


def _session_end(begin: dt.datetime, service: ServiceEntry) -> dt.datetime:
    if service.closes is None:
        return begin.replace(hour=23, minute=59)
    end = dt.datetime.combine(begin.date(), service.closes)
    return end + dt.timedelta(days=1) if service.closes <= begin.time() else end


def station_page(directory: Directory, pk: int, *, today: dt.date) -> StationPage | None:
    """The station page data for an active station of the directory, or None."""
    station = directory.station(pk)
    if station is None:
        return None
    english = language_is_english()
    return _pages.get_or_set(  # type: ignore[no-any-return]  # BoundedCache holds Any
        ("station", directory.district.id, directory.version, pk, today, english),
        lambda: _build_station_page(directory, station, today, english),
    )


def upcoming_sessions(
    page: StationPage, now: dt.datetime, *, limit: int = UPCOMING_LIMIT
) -> tuple[Session, ...]:
    """The next sessions that have not ended at ``now`` (naive local)."""
    return tuple(s for s in page.sessions if s.end > now)[:limit]


# ---------------------------------------------------------------------------------------------
# Map data


def map_points(results: Iterable[SearchResult]) -> list[dict[str, Any]]:
    """Compact marker data for the map script (no personal data)."""
    return [
        {
            "id": r.station.id,
            "n": r.station.name,
            "k": r.station.kind.name,
            "g": r.station.kind.group,
            "lat": round(r.station.lat, 6),
            "lon": round(r.station.lon, 6),
            # A search for a scheduled service colours the marker by the service's schedule.
            "o": r.status.state if r.service_now is None else ("open" if r.is_open else "closed"),
        }
        for r in results
    ]


# ---------------------------------------------------------------------------------------------
# The staff station search (console list, console export and the JSON API)


def filter_stations(
    stations: QuerySet[Station],
    *,
    text: str = "",
    kind: str = "",
    community: int | None = None,
    subdistrict: int | None = None,
    active: bool | None = None,
) -> QuerySet[Station]:
    """Narrow a station queryset (already limited to the user's scope) by the staff filters.

    ``text`` is looked for in the name, the code and the address; the code also matches in
    half-width form (a code typed with full-width digits, as Chinese input methods give, finds
    ``XF-001``). The console and the API call this one function so that a search gives the same
    stations on the page, in its export and through the API.
    """
    text = text.strip()
    if text:
        folded = unicodedata.normalize("NFKC", text).strip()
        stations = stations.filter(
            Q(name__icontains=text)
            | Q(code__icontains=text)
            | Q(code__icontains=folded)
            | Q(address__icontains=text)
        )
    if kind:
        stations = stations.filter(category__code=kind)
    if community is not None:
        stations = stations.filter(community_id=community)
    if subdistrict is not None:
        stations = stations.filter(subdistrict_id=subdistrict)
    if active is not None:
        stations = stations.filter(is_active=active)
    return stations
