"""Service schedules (iCalendar RRULEs, as in HSDS 3.0) in words residents read, and next dates.

``FREQ=MONTHLY;BYDAY=1FR`` with 9:00–11:30 reads "每月第一个星期五 9:00–11:30" in Chinese and
"First Friday of every month, 9:00–11:30" in English.

Why phrase tables and not gettext: the two languages order the parts differently (ordinal, weekday,
period) and Chinese has no plural or article, so composing translated fragments would be the
concatenation the style guide forbids, and whole sentences per combination would be hundreds of
msgids. The installation speaks exactly zh-Hans and English (settings.LANGUAGES), so each language
gets its own small grammar below, tested in linli/places/tests/test_queries_rrule.py. A rule this
module does not understand returns ``None`` and the page shows the service's free-text schedule.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass

WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
ZH_WEEKDAY = ("一", "二", "三", "四", "五", "六", "日")
EN_WEEKDAY = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
EN_MONTH = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
ZH_ORDINAL = {
    1: "第一个",
    2: "第二个",
    3: "第三个",
    4: "第四个",
    5: "第五个",
    -1: "最后一个",
    -2: "倒数第二个",
}
EN_ORDINAL = {
    1: "first",
    2: "second",
    3: "third",
    4: "fourth",
    5: "fifth",
    -1: "last",
    -2: "second-to-last",
}
ZH_COUNT = {2: "两"}


@dataclass(frozen=True)
class ParsedRule:
    """The parts of an RRULE this module can put into words."""

    freq: str
    interval: int
    # (ordinal or 0 for "every", weekday index 0 = Monday)
    byday: tuple[tuple[int, int], ...]
    bymonthday: tuple[int, ...]
    bymonth: tuple[int, ...]
    count: int | None
    until: dt.date | None
    dtstart: dt.date | None
    wkst: int = 0  # the weekday weeks start on (WEEKLY with INTERVAL), 0 = Monday


class UnsupportedRule(ValueError):
    """The rule uses parts we do not describe (BYHOUR, BYWEEKNO …) or is malformed."""


def _split_rule(text: str) -> tuple[str, dt.date | None]:
    """Separate an optional ``DTSTART:`` line from the ``RRULE:`` body."""
    dtstart: dt.date | None = None
    body = ""
    for raw in text.replace(";DTSTART", "\nDTSTART").splitlines():
        line = raw.strip()
        if not line:
            continue
        upper = line.upper()
        if upper.startswith("DTSTART"):
            dtstart = _parse_date(line.split(":", 1)[-1].split("=", 1)[-1])
        else:
            body = line[6:] if upper.startswith("RRULE:") else line
    return body, dtstart


def _parse_date(value: str) -> dt.date:
    digits = value.strip()[:8]
    try:
        return dt.date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError as exc:
        raise UnsupportedRule(value) from exc


def parse_rule(text: str) -> ParsedRule:
    """Parse the subset of RFC 5545 RRULEs that stations use; raise UnsupportedRule otherwise."""
    body, dtstart = _split_rule(text)
    parts: dict[str, str] = {}
    for chunk in body.split(";"):
        if not chunk.strip():
            continue
        key, sep, value = chunk.partition("=")
        if not sep:
            raise UnsupportedRule(chunk)
        parts[key.strip().upper()] = value.strip().upper()
    known = {
        "FREQ",
        "INTERVAL",
        "BYDAY",
        "BYMONTHDAY",
        "BYMONTH",
        "BYSETPOS",
        "COUNT",
        "UNTIL",
        "WKST",
    }
    if not parts or set(parts) - known:
        raise UnsupportedRule(text)
    freq = parts.get("FREQ", "")
    if freq not in {"DAILY", "WEEKLY", "MONTHLY", "YEARLY"}:
        raise UnsupportedRule(text)
    try:
        interval = int(parts.get("INTERVAL", "1"))
        byday = tuple(_parse_byday(d) for d in _items(parts, "BYDAY"))
        bymonthday = tuple(int(d) for d in _items(parts, "BYMONTHDAY"))
        bymonth = tuple(int(m) for m in _items(parts, "BYMONTH"))
        count = int(parts["COUNT"]) if "COUNT" in parts else None
        setpos = tuple(int(p) for p in _items(parts, "BYSETPOS"))
    except ValueError as exc:
        raise UnsupportedRule(text) from exc
    if interval < 1 or any(not 1 <= m <= 12 for m in bymonth):
        raise UnsupportedRule(text)
    if any(d == 0 or not -31 <= d <= 31 for d in bymonthday):
        raise UnsupportedRule(text)
    if setpos:
        # "BYDAY=FR;BYSETPOS=1" is another spelling of "BYDAY=1FR"; nothing else is described.
        if freq != "MONTHLY" or len(byday) != 1 or byday[0][0] != 0:
            raise UnsupportedRule(text)
        byday = tuple((pos, byday[0][1]) for pos in setpos)
    until = _parse_date(parts["UNTIL"]) if "UNTIL" in parts else None
    wkst = parts.get("WKST", "MO")
    if wkst not in WEEKDAYS:
        raise UnsupportedRule(text)
    return ParsedRule(
        freq, interval, byday, bymonthday, bymonth, count, until, dtstart, WEEKDAYS.index(wkst)
    )


def _items(parts: dict[str, str], key: str) -> list[str]:
    return [v for v in parts.get(key, "").split(",") if v]


def _parse_byday(value: str) -> tuple[int, int]:
    day = value[-2:]
    if day not in WEEKDAYS:
        raise UnsupportedRule(value)
    ordinal = int(value[:-2]) if value[:-2] not in {"", "+"} else 0
    if ordinal and ordinal not in ZH_ORDINAL:
        raise UnsupportedRule(value)
    return ordinal, WEEKDAYS.index(day)


def format_time(t: dt.time) -> str:
    """9:00, 14:30; a closing time of 00:00 is midnight, written 24:00."""
    return f"{t.hour}:{t.minute:02d}"


def format_span(opens: dt.time | None, closes: dt.time | None, *, language: str) -> str:
    """ "9:00–11:30"; with only a start, "9:00起" / "from 9:00"."""
    if opens is None:
        return ""
    if closes is None:
        return f"{format_time(opens)}起" if _zh(language) else f"from {format_time(opens)}"
    end = "24:00" if closes == dt.time(0, 0) else format_time(closes)
    return f"{format_time(opens)}–{end}"


def _zh(language: str) -> bool:
    return not language.lower().startswith("en")


def schedule_in_words(
    rule: str,
    *,
    opens: dt.time | None = None,
    closes: dt.time | None = None,
    language: str = "zh-hans",
) -> str | None:
    """The schedule as a resident reads it, or None for an empty or unsupported rule.

    >>> schedule_in_words("FREQ=MONTHLY;BYDAY=1FR", opens=dt.time(9), closes=dt.time(11, 30))
    '每月第一个星期五 9:00–11:30'
    """
    if not rule.strip():
        return None
    try:
        parsed = parse_rule(rule)
        period = _period_zh(parsed) if _zh(language) else _period_en(parsed)
    except UnsupportedRule:
        return None
    span = format_span(opens, closes, language=language)
    if _zh(language):
        text = f"{period} {span}" if span else period
        if parsed.until:
            text += f"（至{parsed.until.year}年{parsed.until.month}月{parsed.until.day}日）"
        elif parsed.count:
            text += f"（共{parsed.count}次）"
        return text
    text = f"{period}, {span}" if span else period
    if parsed.until:
        u = parsed.until
        text += f" (until {u.day} {EN_MONTH[u.month - 1]} {u.year})"
    elif parsed.count:
        text += f" ({parsed.count} times)"
    return text


def _every_zh(interval: int, unit: str) -> str:
    if interval == 1:
        return f"每{unit}"
    return f"每{ZH_COUNT.get(interval, str(interval))}{unit}"


def _zh_weekday_list(days: list[int]) -> str:
    if days == [0, 1, 2, 3, 4]:
        return "周一至周五"
    if days == [5, 6]:
        return "周六、周日"
    return "、".join(f"周{ZH_WEEKDAY[d]}" for d in days)


def _period_zh(r: ParsedRule) -> str:
    days = sorted({d for _, d in r.byday})
    if r.freq == "DAILY":
        if r.byday or r.bymonthday or r.bymonth:
            raise UnsupportedRule("DAILY with BY parts")
        return "每天" if r.interval == 1 else f"每{ZH_COUNT.get(r.interval, str(r.interval))}天"
    if r.freq == "WEEKLY":
        if any(o for o, _ in r.byday) or r.bymonthday or r.bymonth:
            raise UnsupportedRule("WEEKLY with ordinals")
        if not days:
            if r.dtstart is None:
                raise UnsupportedRule("WEEKLY without a weekday")
            days = [r.dtstart.weekday()]
        if len(days) == 7 and r.interval == 1:
            return "每天"
        if r.interval == 1:
            listed = _zh_weekday_list(days)
            return f"每{listed}" if listed.startswith("周") else f"每周{listed}"
        return f"{_every_zh(r.interval, '周')}的{_zh_weekday_list(days)}"
    if r.freq == "MONTHLY":
        if r.bymonth:
            raise UnsupportedRule("MONTHLY with BYMONTH")
        every = _every_zh(r.interval, "个月" if r.interval > 1 else "月")
        if r.byday and not r.bymonthday:
            if all(o == 0 for o, _ in r.byday):
                if r.interval == 1:
                    return f"每{_zh_weekday_list(days)}"
                raise UnsupportedRule("every weekday every n months")
            if any(o == 0 for o, _ in r.byday):
                raise UnsupportedRule("mixed ordinals")
            if len(days) == 1:
                ordinals = "和".join(ZH_ORDINAL[o] for o, _ in _ordered(r.byday))
                return f"{every}{ordinals}星期{ZH_WEEKDAY[days[0]]}"
            return every + "、".join(
                f"{ZH_ORDINAL[o]}星期{ZH_WEEKDAY[d]}" for o, d in _ordered(r.byday)
            )
        if r.bymonthday and not r.byday:
            return every + "、".join(
                "最后一天" if d == -1 else f"{d}日" for d in sorted(r.bymonthday, key=_day_key)
            )
        raise UnsupportedRule("MONTHLY without BYDAY or BYMONTHDAY")
    # YEARLY
    if len(r.bymonth) == 1 and len(r.bymonthday) == 1 and not r.byday and r.bymonthday[0] > 0:
        return f"每年{r.bymonth[0]}月{r.bymonthday[0]}日"
    if not r.bymonth and not r.bymonthday and not r.byday and r.dtstart is not None:
        return f"每年{r.dtstart.month}月{r.dtstart.day}日"
    raise UnsupportedRule("YEARLY")


def _ordered(byday: tuple[tuple[int, int], ...]) -> list[tuple[int, int]]:
    """Positive ordinals first in order, then "last" ones (-2 before -1)."""
    return sorted(byday, key=lambda od: (od[0] < 0, od[0], od[1]))


def _day_key(day: int) -> tuple[bool, int]:
    return (day < 0, day)


def _en_list(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _en_nth(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _period_en(r: ParsedRule) -> str:
    days = sorted({d for _, d in r.byday})
    if r.freq == "DAILY":
        if r.byday or r.bymonthday or r.bymonth:
            raise UnsupportedRule("DAILY with BY parts")
        return "Every day" if r.interval == 1 else f"Every {r.interval} days"
    if r.freq == "WEEKLY":
        if any(o for o, _ in r.byday) or r.bymonthday or r.bymonth:
            raise UnsupportedRule("WEEKLY with ordinals")
        if not days:
            if r.dtstart is None:
                raise UnsupportedRule("WEEKLY without a weekday")
            days = [r.dtstart.weekday()]
        if len(days) == 7 and r.interval == 1:
            return "Every day"
        if days == [0, 1, 2, 3, 4]:
            listed = "Monday to Friday"
        else:
            listed = _en_list([EN_WEEKDAY[d] for d in days])
        if r.interval == 1:
            return listed if days == [0, 1, 2, 3, 4] else f"Every {listed}"
        if r.interval == 2:
            return f"Every other week on {listed}"
        return f"Every {r.interval} weeks on {listed}"
    if r.freq == "MONTHLY":
        if r.bymonth:
            raise UnsupportedRule("MONTHLY with BYMONTH")
        every = (
            "every month"
            if r.interval == 1
            else "every other month"
            if r.interval == 2
            else f"every {r.interval} months"
        )
        if r.byday and not r.bymonthday:
            if all(o == 0 for o, _ in r.byday):
                if r.interval == 1:
                    return "Every " + _en_list([EN_WEEKDAY[d] for d in days])
                raise UnsupportedRule("every weekday every n months")
            if any(o == 0 for o, _ in r.byday):
                raise UnsupportedRule("mixed ordinals")
            if len(days) == 1:
                ordinals = _en_list([EN_ORDINAL[o] for o, _ in _ordered(r.byday)])
                text = f"{ordinals} {EN_WEEKDAY[days[0]]} of {every}"
            else:
                text = (
                    _en_list([f"{EN_ORDINAL[o]} {EN_WEEKDAY[d]}" for o, d in _ordered(r.byday)])
                    + f" of {every}"
                )
            return text[0].upper() + text[1:]
        if r.bymonthday and not r.byday:
            listed = _en_list(
                ["last day" if d == -1 else _en_nth(d) for d in sorted(r.bymonthday, key=_day_key)]
            )
            text = f"{listed} of {every}"
            return text[0].upper() + text[1:]
        raise UnsupportedRule("MONTHLY without BYDAY or BYMONTHDAY")
    if len(r.bymonth) == 1 and len(r.bymonthday) == 1 and not r.byday and r.bymonthday[0] > 0:
        return f"Every year on {r.bymonthday[0]} {EN_MONTH[r.bymonth[0] - 1]}"
    if not r.bymonth and not r.bymonthday and not r.byday and r.dtstart is not None:
        return f"Every year on {r.dtstart.day} {EN_MONTH[r.dtstart.month - 1]}"
    raise UnsupportedRule("YEARLY")


# Expansion is bounded by days, never by what a rule yields: dateutil walks period by period
# until it finds an occurrence, so a valid rule that never occurs (FREQ=DAILY;BYMONTH=2;
# BYMONTHDAY=30) costs it ~3 million empty days up to the year 9999 — seconds per page view.
# Here each day of the window is tested against the rule instead; dateutil stays the reference
# in linli/places/tests/test_rrule_bounds.py.
MAX_COUNT_SCAN_DAYS = 366 * 20  # COUNT is counted from DTSTART: at most this far back
NEVER_YEARS = 5  # check_schedule refuses a rule with no date this many years ahead


def _day_matcher(r: ParsedRule, anchor: dt.date) -> Callable[[dt.date], bool]:
    """Whether a day (on or after ``anchor``, the DTSTART) is one of the rule's days.

    Mirrors dateutil's semantics: without BYDAY/BYMONTHDAY the rule repeats DTSTART's weekday
    (WEEKLY), day of the month (MONTHLY) or date (YEARLY); an ordinal BYDAY counts within the
    month (MONTHLY, or YEARLY with BYMONTH) or the year, and is ignored by DAILY and WEEKLY; plain
    and ordinal weekdays together must both hold; BYMONTHDAY may count from the month's end.
    """
    ordinal_freq = r.freq in ("MONTHLY", "YEARLY")
    plain = {wd for n, wd in r.byday if n == 0 or not ordinal_freq}
    nth = {(n, wd) for n, wd in r.byday if n != 0 and ordinal_freq}
    months = set(r.bymonth)
    positive = {d for d in r.bymonthday if d > 0}
    negative = {d for d in r.bymonthday if d < 0}
    if not r.byday and not r.bymonthday:
        if r.freq == "YEARLY":
            months = months or {anchor.month}
            positive = {anchor.day}
        elif r.freq == "MONTHLY":
            positive = {anchor.day}
        elif r.freq == "WEEKLY":
            plain = {anchor.weekday()}
    in_year = r.freq == "YEARLY" and not r.bymonth
    week_zero = anchor - dt.timedelta(days=(anchor.weekday() - r.wkst) % 7)

    def matches(day: dt.date) -> bool:
        if day < anchor or (months and day.month not in months):
            return False
        if plain and day.weekday() not in plain:
            return False
        if nth:
            if in_year:
                length = 366 if calendar.isleap(day.year) else 365
                index = day.timetuple().tm_yday
            else:
                length = calendar.monthrange(day.year, day.month)[1]
                index = day.day
            first, last = (index - 1) // 7 + 1, -((length - index) // 7 + 1)
            if (first, day.weekday()) not in nth and (last, day.weekday()) not in nth:
                return False
        if positive or negative:
            length = calendar.monthrange(day.year, day.month)[1]
            if day.day not in positive and day.day - length - 1 not in negative:
                return False
        if r.interval > 1:
            if r.freq == "DAILY":
                period = (day - anchor).days
            elif r.freq == "WEEKLY":
                period = (day - week_zero).days // 7
            elif r.freq == "MONTHLY":
                period = (day.year - anchor.year) * 12 + day.month - anchor.month
            else:
                period = day.year - anchor.year
            if period % r.interval:
                return False
        return True

    return matches


def rule_days(
    r: ParsedRule, *, anchor: dt.date, first: dt.date, last: dt.date
) -> Iterator[dt.date]:
    """The rule's days from ``first`` to ``last`` (inclusive), bounded by UNTIL and COUNT.

    Costs one test per day of the window (plus, with COUNT, per day since DTSTART, at most
    ``MAX_COUNT_SCAN_DAYS``; a COUNT started longer ago than that yields nothing).
    """
    matches = _day_matcher(r, anchor)
    if r.until is not None:
        last = min(last, r.until)
    first = max(first, anchor)
    seen = 0
    if r.count is not None:
        if (first - anchor).days > MAX_COUNT_SCAN_DAYS:
            return
        day = anchor
        while day < first:
            seen += matches(day)
            day += dt.timedelta(days=1)
    day = first
    while day <= last:
        if matches(day):
            seen += 1
            if r.count is not None and seen > r.count:
                return
            yield day
        day += dt.timedelta(days=1)


def next_day(rule: str, *, today: dt.date, years: int = NEVER_YEARS) -> dt.date | None:
    """The rule's first day from ``today`` within ``years``; None if it has none.

    A rule this module does not read (BYHOUR, BYWEEKNO …) is taken to occur: its dates are never
    expanded on a page, so it costs nothing.
    """
    try:
        parsed = parse_rule(rule)
    except UnsupportedRule:
        return today
    anchor = parsed.dtstart or today
    last = today + dt.timedelta(days=round(365.25 * years))
    return next(rule_days(parsed, anchor=anchor, first=today, last=last), None)


def occurrences(
    rule: str,
    *,
    after: dt.datetime,
    opens: dt.time | None,
    closes: dt.time | None,
    until: dt.datetime,
    limit: int,
) -> Iterator[dt.datetime]:
    """The starts of the sessions of ``rule`` that have not ended at ``after`` (naive local time).

    Without a DTSTART the rule is anchored on ``after``'s date; that is exact for every rule
    without INTERVAL (each month's first Friday is the same whichever day one starts counting),
    so rules with an INTERVAL > 1 and no DTSTART yield nothing rather than invented dates.
    The work is bounded by the days between ``after`` and ``until`` and by ``limit``.
    """
    if not rule.strip():
        return
    try:
        parsed = parse_rule(rule)
    except UnsupportedRule:
        return
    if parsed.interval > 1 and parsed.dtstart is None:
        return
    start_time = opens or dt.time(0, 0)
    anchor = parsed.dtstart or after.date()
    duration = _duration(opens, closes)
    found = 0
    days = rule_days(parsed, anchor=anchor, first=(after - duration).date(), last=until.date())
    for day in days:
        start = dt.datetime.combine(day, start_time)
        if start > until:
            return
        if start + duration <= after:
            continue
        yield start
        found += 1
        if found >= limit:
            return


def _duration(opens: dt.time | None, closes: dt.time | None) -> dt.timedelta:
    if opens is None or closes is None:
        return dt.timedelta(hours=1) if opens else dt.timedelta(days=1)
    end = dt.datetime.combine(dt.date.min, closes)
    if closes == dt.time(0, 0):
        end += dt.timedelta(days=1)
    return end - dt.datetime.combine(dt.date.min, opens)
