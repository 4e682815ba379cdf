"""Read-side questions about analyses, always answered within a user's scope.

Views, the API and the exports call these; each takes the user and goes through
``linli.planning.permissions`` so that a community's staff never see another community's rows.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import Count, F, QuerySet
from django.utils.translation import get_language, gettext, gettext_lazy

from linli.accounts.models import AnyUser
from linli.places.models import Community, District, FacilityCategory, Gate, Station
from linli.planning import permissions
from linli.planning.models import (
    DEFAULT_STATION_RULES,
    DISTRICT_STANDARD,
    AnalysisRun,
    CandidateSource,
    CoverageRow,
    Gap,
    RunStatus,
    SitingCandidate,
    SitingRun,
    StationRule,
)
from linli.planning.premises import Premise

# Walking-time classes of the map and the chart: (upper bound in minutes, key).
MINUTE_CLASSES = ((5.0, "5"), (10.0, "10"), (15.0, "15"))
GAP_SORTS = {
    "compound": ("compound__name", "category"),
    "-compound": ("-compound__name", "category"),
    "category": ("category", "-population"),
    "standard": ("standard", "level", "category"),
    "shortfall": (F("shortfall_m").asc(nulls_last=True), "compound__name"),
    "-shortfall": (F("shortfall_m").desc(nulls_first=True), "compound__name"),
    "population": ("population", "compound__name"),
    "-population": ("-population", "compound__name"),
}
DEFAULT_GAP_SORT = "-population"
GAP_PAGE_SIZE = 25
# Thresholds the coverage table shows, as the engine labels them in coverage.csv.
COVERAGE_COLUMNS = ("5min", "10min", "15min", "300m", "500m", "1000m")


def category_names() -> dict[str, str]:
    """Facility category codes and their names in the active language."""
    english = (get_language() or "").startswith("en")
    names = {
        code: (en if english else zh)
        for code, zh, en in FacilityCategory.objects.values_list("code", "name_zh", "name_en")
    }
    from linli.circle.io import load_categories

    for code, name in load_categories().items():
        names.setdefault(code, name)
    return names


def latest_run(district: District) -> AnalysisRun | None:
    """The district's most recent analysis, whatever its status."""
    return AnalysisRun.objects.filter(district=district).order_by("-created_at", "-pk").first()


def latest_done_run(district: District) -> AnalysisRun | None:
    """The district's most recent finished analysis."""
    return (
        AnalysisRun.objects.filter(district=district, status=RunStatus.DONE)
        .order_by("-created_at", "-pk")
        .first()
    )


def recent_runs(user: AnyUser, district: District, *, limit: int = 10) -> list[AnalysisRun]:
    """The district's latest analyses, newest first."""
    return list(
        permissions.runs_for_user(user)
        .filter(district=district)
        .select_related("created_by")
        .order_by("-created_at", "-pk")[:limit]
    )


def scope_totals(user: AnyUser, run: AnalysisRun) -> dict[str, int]:
    """Compounds, residents and gaps of the run within the user's scope (the summary cards)."""
    from django.db.models import Sum

    compounds = permissions.compounds_in_scope(user).filter(
        pk__in=permissions.access_for_user(user, run).values("compound")
    )
    return {
        "compounds": compounds.count(),
        "population": compounds.aggregate(total=Sum("population"))["total"] or 0,
        "gaps": permissions.gaps_for_user(user, run).count(),
    }


def minute_class(minutes: float | None) -> str:
    """The map's colour class of a walking time: "5", "10", "15", "over" or "none"."""
    if minutes is None or not math.isfinite(minutes):
        return "none"
    for limit, key in MINUTE_CLASSES:
        if minutes <= limit:
            return key
    return "over"


def map_payload(user: AnyUser, run: AnalysisRun) -> dict[str, Any]:
    """Compounds (with minutes per category) and stations for the run's map, within scope."""
    compounds = (
        permissions.compounds_in_scope(user)
        .filter(district=run.district)
        .select_related("community")
    )
    gates: dict[int, list[tuple[float, float]]] = defaultdict(list)
    for compound_id, lon, lat in Gate.objects.filter(
        compound__in=compounds.values("pk")
    ).values_list("compound_id", "lon", "lat"):
        gates[compound_id].append((lon, lat))
    minutes: dict[int, dict[str, Any]] = defaultdict(dict)
    for compound_id, category, mins, meters, station in permissions.access_for_user(
        user, run
    ).values_list("compound_id", "category", "minutes", "meters", "station__name"):
        minutes[compound_id][category] = [
            None if mins is None else round(mins, 1),
            None if meters is None else round(meters),
            station or "",
        ]
    features = []
    for c in compounds:
        points = gates.get(c.pk)
        if not points:
            continue
        features.append(
            {
                "code": c.code,
                "name": c.name,
                "community": c.community.name,
                "population": c.population,
                "gates": points,
                "outline": c.outline,
                "access": minutes.get(c.pk, {}),
            }
        )
    stations = [
        {"code": code, "name": name, "category": category, "lon": lon, "lat": lat}
        for code, name, category, lon, lat in Station.objects.filter(
            district=run.district, is_active=True
        ).values_list("code", "name", "category__code", "lon", "lat")
    ]
    return {
        "centre": [run.district.centre_lon, run.district.centre_lat],
        "compounds": features,
        "stations": stations,
    }


@dataclass(frozen=True)
class GapFilters:
    """What the gap list is filtered and sorted by (from the query string)."""

    category: str = ""
    standard: str = ""
    community: str = ""
    status: str = ""
    sort: str = DEFAULT_GAP_SORT

    @classmethod
    def from_params(cls, params: Any) -> GapFilters:
        sort = params.get("sort", DEFAULT_GAP_SORT)
        status = params.get("status", "")
        return cls(
            category=params.get("category", "")[:40],
            standard=params.get("standard", "")[:40],
            community=params.get("community", "")[:32],
            status=status if status in Gap.Status.values else "",
            sort=sort if sort in GAP_SORTS else DEFAULT_GAP_SORT,
        )

    @property
    def sort_links(self) -> dict[str, str]:
        """Query strings for the sortable column headers: a click toggles the direction.

        Numbers sort largest first on the first click (the biggest shortfall is the news).
        """
        links = {}
        for column in ("compound", "category", "standard", "shortfall", "population"):
            descending = f"-{column}"
            if self.sort == descending:
                new = column
            elif self.sort == column:
                new = descending if descending in GAP_SORTS else column
            else:
                new = descending if column in {"shortfall", "population"} else column
            links[column] = self.as_query(sort=new)
        return links

    @property
    def sorted_by(self) -> tuple[str, str]:
        """The sorted column and its aria-sort value."""
        column = self.sort.lstrip("-")
        return column, "descending" if self.sort.startswith("-") else "ascending"

    def as_query(self, **changes: str) -> str:
        """The filters as a query string, with some values changed (for sort links)."""
        from urllib.parse import urlencode

        values = {
            "category": self.category,
            "standard": self.standard,
            "community": self.community,
            "status": self.status,
            "sort": self.sort,
            **changes,
        }
        return urlencode({k: v for k, v in values.items() if v})


def gaps(user: AnyUser, run: AnalysisRun, filters: GapFilters) -> QuerySet[Gap]:
    """The run's gaps within the user's scope, filtered and sorted."""
    qs = permissions.gaps_for_user(user, run).select_related("compound__community", "station")
    if filters.category:
        qs = qs.filter(category=filters.category)
    if filters.standard:
        standard, _sep, level = filters.standard.partition(":")
        qs = qs.filter(standard=standard)
        if level:
            qs = qs.filter(level=level)
    if filters.community:
        qs = qs.filter(compound__community__code=filters.community)
    if filters.status:
        qs = qs.filter(status=filters.status)
    return qs.order_by(*GAP_SORTS[filters.sort], "pk")


def gap_page(user: AnyUser, run: AnalysisRun, filters: GapFilters, page: Any) -> Page[Gap]:
    """One page of the filtered gap list."""
    return Paginator(gaps(user, run, filters), GAP_PAGE_SIZE).get_page(page)


def gap_filter_choices(user: AnyUser, run: AnalysisRun) -> dict[str, list[tuple[str, str]]]:
    """The values the gap filters offer: only those present in the user's rows."""
    names = category_names()
    rows = permissions.gaps_for_user(user, run)
    categories = sorted(set(rows.values_list("category", flat=True)), key=lambda c: names.get(c, c))
    standards = sorted(set(rows.values_list("standard", "level")))
    communities = Community.objects.filter(pk__in=rows.values("compound__community")).order_by(
        "code"
    )
    return {
        "categories": [(c, names.get(c, c)) for c in categories],
        "standards": [(f"{s}:{lv}", standard_label(s, lv)) for s, lv in standards],
        "communities": [(c.code, c.name) for c in communities],
    }


LEVEL_LABELS = {
    "15min": gettext_lazy("15-minute circle"),
    "10min": gettext_lazy("10-minute circle"),
    "5min": gettext_lazy("5-minute circle"),
    "block": gettext_lazy("residential block"),
    "community": gettext_lazy("complete community"),
}
# The national standards are named by their codes (GB50180-2018, 完整社区2020); the district's
# own rules (models.StationRule) by what they are.
STANDARD_LABELS = {DISTRICT_STANDARD: gettext_lazy("District standard")}


def level_label(level: str) -> str:
    """A living-circle level as planners say it ("10-minute circle"; "7min" too)."""
    if level in LEVEL_LABELS:
        return str(LEVEL_LABELS[level])
    if level.endswith("min") and level[:-3].isdigit():
        return gettext("%(minutes)s-minute circle") % {"minutes": level[:-3]}
    return level


def standard_name(standard: str) -> str:
    """A standard's name: the district's own rules read "District standard"."""
    return str(STANDARD_LABELS.get(standard, standard))


def standard_label(standard: str, level: str) -> str:
    """A standard and level as planners say it: "GB50180-2018 · 5-minute circle"."""
    return f"{standard_name(standard)} · {level_label(level)}"


@dataclass(frozen=True)
class StationRuleView:
    """A station kind's rule as the district has it: its own row, or the default."""

    category: str
    name: str
    enabled: bool
    minutes: int
    min_population: int
    source: str
    is_default: bool
    rule: StationRule | None

    def metres(self, speed_m_s: float = 1.0) -> int:
        """The walking distance the minutes stand for at ``speed_m_s``."""
        return round(self.minutes * 60 * speed_m_s)


def station_rules(district: District) -> list[StationRuleView]:
    """The district's rules for the station kinds (幸福驿站, 智慧小屋, 党群服务中心), defaults
    filled in for kinds it has not set."""
    names = category_names()
    stored = {
        r.category: r
        for r in StationRule.objects.filter(district=district).select_related("updated_by")
    }
    out = []
    for category, minutes in DEFAULT_STATION_RULES.items():
        rule = stored.get(category)
        out.append(
            StationRuleView(
                category=category,
                name=names.get(category, category),
                enabled=rule.enabled if rule else True,
                minutes=rule.minutes if rule else minutes,
                min_population=rule.min_population if rule else 0,
                source=rule.source if rule else "",
                is_default=rule is None,
                rule=rule,
            )
        )
    return out


def national_rules() -> list[Any]:
    """The national standards' rules the engine checks (``linli.circle``'s rules table)."""
    from linli.circle.gaps import load_rules
    from linli.planning.services import rules_path

    return load_rules(rules_path())


@dataclass(frozen=True)
class CoverageLine:
    """One category's coverage in one area: population shares and counts per threshold."""

    category: str
    name: str
    total_population: float
    population: dict[str, float]
    share: dict[str, float]

    @property
    def percents(self) -> list[int]:
        """Whole percentages for the table's columns, in ``COVERAGE_COLUMNS`` order."""
        return [round(100 * self.share.get(t, 0.0)) for t in COVERAGE_COLUMNS]


def coverage_areas(user: AnyUser, run: AnalysisRun) -> list[tuple[str, str]]:
    """Areas whose coverage the user may see: (key, label), widest first."""
    rows = permissions.coverage_for_user(user, run)
    areas: list[tuple[str, str]] = []
    if rows.filter(area=CoverageRow.Area.DISTRICT).exists():
        areas.append(("district", run.district.name))
    seen_sub = (
        rows.filter(area=CoverageRow.Area.SUBDISTRICT)
        .values_list("subdistrict_id", "subdistrict__name")
        .distinct()
        .order_by("subdistrict__code")
    )
    areas += [(f"s{pk}", name) for pk, name in seen_sub]
    seen_com = (
        rows.filter(area=CoverageRow.Area.COMMUNITY)
        .values_list("community_id", "community__name")
        .distinct()
        .order_by("community__code")
    )
    areas += [(f"c{pk}", name) for pk, name in seen_com]
    return areas


def coverage_lines(
    user: AnyUser, run: AnalysisRun, area: str = ""
) -> tuple[str, list[CoverageLine]]:
    """Coverage by category for one visible area (the widest one by default)."""
    areas = coverage_areas(user, run)
    keys = [k for k, _label in areas]
    if not keys:
        return "", []
    key = area if area in keys else keys[0]
    rows = permissions.coverage_for_user(user, run)
    if key == "district":
        rows = rows.filter(area=CoverageRow.Area.DISTRICT)
    elif key.startswith("s"):
        rows = rows.filter(area=CoverageRow.Area.SUBDISTRICT, subdistrict_id=int(key[1:]))
    else:
        rows = rows.filter(area=CoverageRow.Area.COMMUNITY, community_id=int(key[1:]))
    names = category_names()
    by_cat: dict[str, dict[str, Any]] = {}
    for r in rows:
        entry = by_cat.setdefault(
            r.category, {"total": r.total_population, "population": {}, "share": {}}
        )
        entry["population"][r.threshold] = r.population
        entry["share"][r.threshold] = r.population_share
    lines = [
        CoverageLine(cat, names.get(cat, cat), v["total"], v["population"], v["share"])
        for cat, v in by_cat.items()
    ]
    lines.sort(key=lambda line: (-line.share.get("15min", 0.0), line.name))
    return key, lines


def chart_data(lines: list[CoverageLine]) -> dict[str, Any]:
    """Series for the ECharts bar chart: population share within 5, 10, 15 minutes (percent)."""
    return {
        "categories": [line.name for line in lines],
        "series": {
            t: [round(100 * line.share.get(t, 0.0), 1) for line in lines]
            for t in ("5min", "10min", "15min")
        },
    }


def siting_explanation(user: AnyUser, siting: SitingRun) -> list[dict[str, Any]]:
    """The proposed sites with the newly covered compounds the user may see."""
    sites = siting.result.get("sites", [])
    if permissions.sees_whole_district(user):
        return [dict(s, hidden=0) for s in sites]
    visible = set(
        permissions.compounds_in_scope(user)
        .filter(district=siting.district)
        .values_list("code", flat=True)
    )
    out = []
    for s in sites:
        shown = [c for c in s.get("compounds", []) if c["code"] in visible]
        nearest = s.get("nearest")
        out.append(
            dict(
                s,
                compounds=shown,
                hidden=len(s.get("compounds", [])) - len(shown),
                # A compound outside the viewer's area is not named, as in the lists.
                nearest=nearest if nearest and nearest["code"] in visible else None,
            )
        )
    return out


def latest_premises_siting(user: AnyUser, district: District) -> SitingRun | None:
    """The district's latest siting over a premises list, whose list a new siting may reuse."""
    return (
        permissions.district_sitings_for_user(user, district)
        .filter(candidate_source=CandidateSource.PREMISES)
        .annotate(premises_count=Count("candidates"))
        .filter(premises_count__gt=0)
        .order_by("-created_at", "-pk")
        .first()
    )


def premises_of(siting: SitingRun) -> list[Premise]:
    """The premises listed for ``siting``, as a list a new siting can take again."""
    return [
        Premise(
            row=c.row,
            code=c.code,
            name=c.name,
            lon=c.lon,
            lat=c.lat,
            entered_lon=c.entered_lon,
            entered_lat=c.entered_lat,
        )
        for c in siting.candidates.order_by("position")
    ]


def siting_premises(siting: SitingRun) -> list[SitingCandidate]:
    """The premises a siting considered, in list order (proposed, not chosen, too far)."""
    if not siting.uses_premises:
        return []
    return list(siting.candidates.order_by("position"))


def premises_too_far(premises: list[SitingCandidate]) -> list[SitingCandidate]:
    """The premises the siting left out because no walkable street is near enough."""
    return [c for c in premises if c.on_network is False]


def compound_access(user: AnyUser, run: AnalysisRun, compound_code: str) -> list[dict[str, Any]]:
    """Minutes from one compound (in scope) to each category, for the API."""
    names = category_names()
    rows = (
        permissions.access_for_user(user, run)
        .filter(compound__code=compound_code)
        .select_related("station")
        .order_by("category")
    )
    return [
        {
            "category": r.category,
            "category_name": names.get(r.category, r.category),
            "meters": r.meters,
            "minutes": r.minutes,
            "station": r.station.code if r.station else None,
            "station_name": r.station.name if r.station else None,
        }
        for r in rows
    ]
