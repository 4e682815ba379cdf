"""Every change in planning: start and run an analysis, start and run a siting, mark a gap.

The engine (``linli.circle``) is called as a library (:mod:`linli.circle.analysis`): we export
the district's compounds (one row per gate) and its active stations to CSV files in the run's
folder, let the engine read them, snap them onto the street network and compute, and store its
typed results as rows in one transaction.  The engine also writes its files next to the inputs
(``access.csv``, ``coverage.csv``, ``gaps.csv``, ``isochrones.geojson``, ``map.html``,
:mod:`linli.circle.outputs`), so a planner can download the offline map and anyone can re-run
the engine's command line on exactly the same inputs.  Nothing here reads those files back.

Starting functions check permission, lock the district row so two clicks cannot queue two runs,
record an audit entry and enqueue a background task (``linli.planning.tasks``); the task calls
``run_analysis`` / ``run_siting``, which never raise: a failure is stored on the run with a message
a planner can act on.
"""

from __future__ import annotations

import csv
import datetime as dt
import logging
import math
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from linli.accounts.models import AnyUser, User
from linli.circle.errors import CircleInputError
from linli.core import audit
from linli.core.audited import CREATE, UPDATE, audited_change
from linli.core.exceptions import Conflict, Forbidden, LinliError
from linli.core.models import AuditEntry
from linli.places.models import Compound, District, Station
from linli.planning import permissions
from linli.planning.models import (
    ACTIVE_STATUSES,
    DEFAULT_STATION_RULES,
    DISTRICT_STANDARD,
    AnalysisRun,
    CandidateSource,
    CompoundAccess,
    CoverageRow,
    Gap,
    RunStatus,
    SitingCandidate,
    SitingRun,
    StationRule,
)
from linli.planning.premises import Premise
from linli.planning.signals import gap_accepted

if TYPE_CHECKING:
    from django.http import HttpRequest

    # The engine is imported when a run starts, not with the web app (numpy, scipy, shapely).
    from linli.circle import analysis as engine
    from linli.circle.gaps import Rule
    from linli.circle.io import Points

logger = logging.getLogger(__name__)

MIN_SPEED_M_S = 0.3
MAX_SPEED_M_S = 3.0
MAX_SITES = 20
MIN_RADIUS_M = 100.0
MAX_RADIUS_M = 2000.0
# A district station rule's walking minutes and the smallest compound it may exempt.
MIN_RULE_MINUTES = 1
MAX_RULE_MINUTES = 30
MAX_RULE_POPULATION = 100_000
RULE_SOURCE_LENGTH = 200
# How far a premise (or any point) may lie from a walkable street; the engine's own default
# (linli.circle.snap.DEFAULT_MAX_SNAP_M), passed explicitly so our check and the engine agree.
SNAP_LIMIT_M = 200.0
# A run still "queued" or "running" after this long lost its worker; it no longer blocks a new one.
STALE_AFTER = dt.timedelta(hours=2)


class PlanningError(LinliError):
    """A planning request that cannot be carried out (bad parameter, missing network …)."""

    code = "invalid"


class EngineFailed(Exception):
    """The engine (or our export for it) failed; the message is shown to planners as is."""


# --- paths ------------------------------------------------------------------------------------


def network_path(district: District) -> Path | None:
    """The district's OSM ``.pbf`` file, or None when none is configured."""
    if not district.network_file:
        return None
    return Path(settings.LINLI_NETWORK_DIR) / district.network_file


def rules_path() -> Path:
    """The rules table the engine checks gaps against (planners may point to their own copy)."""
    custom = getattr(settings, "LINLI_CIRCLE_RULES", None)
    if custom:
        return Path(custom)
    from linli.circle.io import DATA_DIR

    return DATA_DIR / "rules.csv"


# --- starting -----------------------------------------------------------------------------------


def _active_run(district: District) -> AnalysisRun | None:
    since = timezone.now() - STALE_AFTER
    return (
        AnalysisRun.objects.filter(
            district=district, status__in=ACTIVE_STATUSES, created_at__gte=since
        )
        .order_by("-created_at")
        .first()
    )


def start_analysis(*, actor: AnyUser, district: District, speed: float = 1.0) -> AnalysisRun:
    """Queue a living-circle analysis of ``district`` (district administrators and superusers).

    Raises ``Forbidden`` for anyone else, ``PlanningError`` for a speed outside 0.3–3 m/s or a
    district without a street network, ``Conflict`` while another analysis is queued or running.
    """
    if not permissions.can_run_analysis(actor, district):
        raise Forbidden(
            gettext_lazy("Only the district's administrators may start an analysis."),
            code="forbidden",
        )
    if not (isinstance(speed, int | float) and MIN_SPEED_M_S <= speed <= MAX_SPEED_M_S):
        raise PlanningError(
            gettext_lazy("The walking speed must be between %(low)s and %(high)s m/s.")
            % {"low": MIN_SPEED_M_S, "high": MAX_SPEED_M_S},
            code="invalid_speed",
        )
    network = network_path(district)
    if network is None:
        raise PlanningError(
            gettext_lazy(
                "This district has no street network file yet; ask the system "
                "administrator to add one."
            ),
            code="no_network",
        )
    with transaction.atomic():
        District.objects.select_for_update().filter(pk=district.pk).first()
        if _active_run(district) is not None:
            raise Conflict(
                gettext_lazy("An analysis of this district is already queued or running."),
                code="analysis_running",
            )
        run = AnalysisRun.objects.create(
            district=district,
            created_by=actor if actor.is_authenticated else None,
            speed_m_s=float(speed),
            rules_file=str(rules_path()),
            params={"speed_m_s": float(speed), "network": district.network_file},
        )
        audit.record(
            actor=actor,
            action=AuditEntry.Action.CREATE,
            obj=run,
            changes={"speed_m_s": [None, float(speed)]},
        )
        from linli.planning.tasks import analyse_district

        # With the database backend the task row commits with the run; the worker picks it up
        # afterwards. With the immediate backend (tests) the analysis runs right here.
        analyse_district.enqueue(run.pk)
    run.refresh_from_db()
    return run


def ensure_analysis(*, district: District) -> AnalysisRun:
    """The district's latest finished analysis, running one now (synchronously) if it has none.

    ``linli load_sample --analyse`` calls this so that the demo's planning pages have results the
    moment ``make demo`` starts, without a task worker.
    """
    done = AnalysisRun.objects.filter(district=district, status=RunStatus.DONE).first()
    if done is not None:
        return done
    run = AnalysisRun.objects.create(
        district=district,
        rules_file=str(rules_path()),
        params={"speed_m_s": 1.0, "network": district.network_file, "origin": "ensure_analysis"},
    )
    audit.record(actor=None, action=AuditEntry.Action.CREATE, obj=run, district_id=district.pk)
    return run_analysis(run.pk)


# --- the district's station rules ---------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class StationRuleInput:
    """What district staff set for one station kind (see ``models.StationRule``)."""

    category: str
    enabled: bool
    minutes: int
    min_population: int = 0
    source: str = ""


STATION_RULE_FIELDS = ("enabled", "minutes", "min_population", "source")


def _station_rule_snapshot(rule: StationRule) -> dict[str, Any]:
    return {f: getattr(rule, f) for f in STATION_RULE_FIELDS}


def _check_station_rule(value: StationRuleInput) -> StationRuleInput:
    """The input with its source trimmed, or ``PlanningError`` naming the kind and the field."""
    from linli.planning.queries import category_names

    name = category_names().get(value.category, value.category)
    if value.category not in DEFAULT_STATION_RULES:
        raise PlanningError(
            gettext_lazy("“%(kind)s” is not a station kind the district sets rules for.")
            % {"kind": value.category},
            code="invalid_category",
        )
    minutes = value.minutes
    if isinstance(minutes, bool) or not isinstance(minutes, int):
        minutes = -1
    if not MIN_RULE_MINUTES <= minutes <= MAX_RULE_MINUTES:
        raise PlanningError(
            gettext_lazy(
                "%(kind)s: the walking minutes must be a whole number from %(low)s to %(high)s."
            )
            % {"kind": name, "low": MIN_RULE_MINUTES, "high": MAX_RULE_MINUTES},
            code="invalid_minutes",
        )
    population = value.min_population
    if isinstance(population, bool) or not isinstance(population, int):
        population = -1
    if not 0 <= population <= MAX_RULE_POPULATION:
        raise PlanningError(
            gettext_lazy(
                "%(kind)s: the smallest compound the rule applies to must be a number of "
                "residents from 0 (every compound) to %(high)s."
            )
            % {"kind": name, "high": f"{MAX_RULE_POPULATION:,}"},
            code="invalid_min_population",
        )
    source = " ".join((value.source or "").split())
    if len(source) > RULE_SOURCE_LENGTH:
        raise PlanningError(
            gettext_lazy("%(kind)s: the policy document may be at most %(max)s characters.")
            % {"kind": name, "max": RULE_SOURCE_LENGTH},
            code="source_too_long",
        )
    return StationRuleInput(
        category=value.category,
        enabled=bool(value.enabled),
        minutes=minutes,
        min_population=population,
        source=source,
    )


def update_station_rules(
    *,
    actor: AnyUser,
    district: District,
    rules: list[StationRuleInput],
    request: HttpRequest | None = None,
) -> list[StationRule]:
    """Set the district's own living-circle rules for the station kinds (district staff only).

    All or nothing: a bad value refuses every rule (``PlanningError`` naming the kind and the
    field) and changes none. Each rule that differs from what the district had (its stored row,
    or the default) is saved with one audit entry; an unchanged one writes nothing. The rules
    apply from the district's next analysis.
    """
    if not permissions.can_edit_station_rules(actor, district):
        raise Forbidden(
            gettext_lazy("Only the district's staff may change its station rules."),
            code="forbidden",
        )
    checked = [_check_station_rule(r) for r in rules]
    if len({r.category for r in checked}) != len(checked):
        raise PlanningError(
            gettext_lazy("Each station kind may have one rule only."), code="duplicate_category"
        )
    saved: list[StationRule] = []
    with transaction.atomic():
        # One editor at a time per district: the second waits and then sees the first's rows.
        District.objects.select_for_update().filter(pk=district.pk).first()
        for value in checked:

            def lock(category: str = value.category) -> StationRule:
                row = (
                    StationRule.objects.select_for_update()
                    .filter(district=district, category=category)
                    .first()
                )
                return row or StationRule(
                    district=district, category=category, minutes=DEFAULT_STATION_RULES[category]
                )

            with audited_change(
                actor=actor,
                action=UPDATE,
                lock=lock,
                snapshot=_station_rule_snapshot,
                fields=STATION_RULE_FIELDS,
                request=request,
            ) as change:
                rule = change.obj
                new = rule.pk is None
                for f in STATION_RULE_FIELDS:
                    setattr(rule, f, getattr(value, f))
                if _station_rule_snapshot(rule) == change.before:
                    change.after = change.before  # nothing to save, no entry
                else:
                    rule.updated_by = actor if isinstance(actor, User) else None
                    rule.save()
                    if new:
                        change.action = CREATE
            if rule.pk is not None:
                saved.append(rule)
    return saved


def engine_station_rules(district: District, *, speed_m_s: float) -> list[Rule]:
    """The district's station rules as the engine's rules, minutes turned into metres of street
    at the run's walking speed (defaults for kinds the district has not set)."""
    from linli.circle.gaps import Rule
    from linli.planning.queries import station_rules

    out = []
    for r in station_rules(district):
        if not r.enabled:
            continue
        metres = r.metres(speed_m_s)
        if r.min_population:
            applies = _("compounds of at least %(people)s residents") % {
                "people": f"{r.min_population:,}"
            }
        else:
            applies = _("every compound")
        source = _(
            "District standard: a %(kind)s within %(minutes)s minutes' walk (%(metres)s m at "
            "%(speed)s m/s) of %(applies)s; %(document)s"
        ) % {
            "kind": r.name,
            "minutes": r.minutes,
            "metres": metres,
            "speed": f"{speed_m_s:g}",
            "applies": applies,
            "document": r.source or _("the district's default until it sets its own"),
        }
        out.append(
            Rule(
                DISTRICT_STANDARD,
                f"{r.minutes}min",
                r.category,
                float(metres),
                source,
                "stated",
                float(r.min_population),
            )
        )
    return out


# --- running an analysis --------------------------------------------------------------------------


@dataclass
class _Inputs:
    """What we exported for the engine, to map its rows back to ours."""

    compounds_csv: Path
    facilities_csv: Path
    compound_rows: list[str] = field(default_factory=list)  # label per CSV data row
    facility_rows: list[str] = field(default_factory=list)
    compounds: int = 0
    population: int = 0
    households: int = 0
    without_gates: list[str] = field(default_factory=list)
    skipped_stations: list[str] = field(default_factory=list)


def _export_inputs(run: AnalysisRun, out: Path) -> _Inputs:
    """Write compounds.csv (one row per gate) and facilities.csv (active stations)."""
    from linli.circle.io import load_categories

    district = run.district
    inputs = _Inputs(out / "compounds.csv", out / "facilities.csv")
    compounds = (
        Compound.objects.filter(district=district)
        .select_related("community__subdistrict")
        .prefetch_related("gates")
        .order_by("code")
    )
    with inputs.compounds_csv.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(
            ["id", "name", "lon", "lat", "population", "households", "community", "subdistrict"]
        )
        for c in compounds:
            gates = list(c.gates.all())
            if not gates:
                inputs.without_gates.append(f"{c.code} {c.name}")
                continue
            inputs.compounds += 1
            inputs.population += c.population
            inputs.households += c.households
            for g in gates:
                w.writerow(
                    [
                        c.code,
                        c.name,
                        f"{g.lon:.7f}",
                        f"{g.lat:.7f}",
                        c.population,
                        c.households,
                        c.community.code,
                        c.community.subdistrict.code,
                    ]
                )
                inputs.compound_rows.append(f"{c.code} {c.name} {g.name}".strip())
    if inputs.compounds == 0:
        raise EngineFailed(
            _(
                "The district has no compounds with gates to analyse. Add the "
                "compounds and their gates first."
            )
        )
    known = set(load_categories())
    stations = (
        Station.objects.filter(district=district, is_active=True)
        .select_related("category")
        .order_by("code")
    )
    with inputs.facilities_csv.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "name", "category", "lon", "lat"])
        for s in stations:
            if s.category.code not in known:
                inputs.skipped_stations.append(f"{s.code} {s.name}")
                continue
            w.writerow([s.code, s.name, s.category.code, f"{s.lon:.7f}", f"{s.lat:.7f}"])
            inputs.facility_rows.append(f"{s.code} {s.name}")
    return inputs


def _engine_error(exc: CircleInputError, inputs: _Inputs | None) -> str:
    """The engine's refusal of an input, with the compound or station it points at named."""
    rows: list[str] | None = None
    if inputs is not None:
        rows = {
            inputs.compounds_csv.name: inputs.compound_rows,
            inputs.facilities_csv.name: inputs.facility_rows,
        }.get(Path(exc.path).name)
    if rows is not None and exc.row is not None and 0 <= exc.row - 2 < len(rows):
        # exc.row counts the header as row 1.
        return _("The engine refused the input: %(error)s (record: %(record)s)") % {
            "error": str(exc),
            "record": rows[exc.row - 2],
        }
    return _("The engine refused the input: %(error)s") % {"error": str(exc)}


def _load_district(network: Path, compounds_csv: Path, facilities_csv: Path) -> engine.District:
    """The district's network (cached) with the exported compounds and stations snapped on."""
    from linli.circle.analysis import load_district

    return load_district(
        network,
        compounds_csv,
        facilities_csv,
        max_snap_m=SNAP_LIMIT_M,
        cache_dir=settings.LINLI_CIRCLE_CACHE_DIR,
    )


def _cm(meters: float) -> float:
    """Metres to the centimetre, as the engine's tables give them."""
    return round(meters, 2)


def _store_results(run: AnalysisRun, analysis: engine.Analysis, inputs: _Inputs, out: Path) -> int:
    """Store the engine's results as rows; return the number of gaps. Caller owns the
    transaction."""
    district = run.district
    result = analysis.district
    compounds = {
        c.code: c for c in Compound.objects.filter(district=district).select_related("community")
    }
    stations = dict(Station.objects.filter(district=district).values_list("code", "pk"))
    communities = {c.code: c for c in district.communities.all()}
    subdistricts = {s.code: s for s in district.subdistricts.all()}
    subdistrict_by_pk = {s.pk: s for s in subdistricts.values()}
    CompoundAccess.objects.filter(run=run).delete()
    Gap.objects.filter(run=run).delete()
    CoverageRow.objects.filter(run=run).delete()

    access: list[CompoundAccess] = []
    categories = analysis.categories
    facility_ids = [*result.facilities.ids, ""]  # index -1: nothing reachable
    for code, meters, minutes, nearest in zip(
        result.compounds.ids,
        analysis.access.meters.tolist(),
        analysis.access.minutes.tolist(),
        analysis.access.facility.tolist(),
        strict=True,
    ):
        compound = compounds.get(code)
        if compound is None:
            continue
        for category, m, mi, f in zip(categories, meters, minutes, nearest, strict=True):
            reachable = m < math.inf
            access.append(
                CompoundAccess(
                    run=run,
                    district=district,
                    compound=compound,
                    category=category,
                    meters=_cm(m) if reachable else None,
                    minutes=_cm(mi) if reachable else None,
                    station_id=stations.get(facility_ids[f]) if reachable else None,
                )
            )
    CompoundAccess.objects.bulk_create(access, batch_size=2000)

    previous = {
        key: (status, note)
        for key, status, note in Gap.objects.filter(district=district, run__status=RunStatus.DONE)
        .exclude(run=run)
        .exclude(status=Gap.Status.OPEN)
        .order_by("run__created_at")
        .values_list("key", "status", "status_note")
    }
    gaps: list[Gap] = []
    for g in analysis.gaps():
        compound = compounds.get(g.compound_id)
        if compound is None:
            continue
        key = Gap.make_key(
            compound_code=compound.code, standard=g.standard, level=g.level, category=g.category
        )
        status, note = previous.get(key, (Gap.Status.OPEN, ""))
        gaps.append(
            Gap(
                run=run,
                district=district,
                compound=compound,
                key=key,
                category=g.category,
                standard=g.standard,
                level=g.level,
                threshold_m=g.max_distance_m,
                meters=_cm(g.meters) if g.reachable else None,
                shortfall_m=_cm(g.shortfall_m) if g.reachable else None,
                population=round(g.population),
                households=0 if math.isnan(g.households) else round(g.households),
                source=g.source[:300],
                station_id=stations.get(g.facility_id),
                status=status,
                status_note=note,
            )
        )
    Gap.objects.bulk_create(gaps, batch_size=2000)

    coverage: list[CoverageRow] = []
    for r in analysis.coverage_rows():
        sub = com = None
        if r.scope == "whole":
            kind = CoverageRow.Area.DISTRICT
        elif r.scope == "subdistrict":
            kind, sub = CoverageRow.Area.SUBDISTRICT, subdistricts.get(r.area)
            if sub is None:
                continue
        elif r.scope == "community":
            kind, com = CoverageRow.Area.COMMUNITY, communities.get(r.area)
            if com is None:
                continue
            sub = subdistrict_by_pk.get(com.subdistrict_id)
        else:
            continue
        coverage.append(
            CoverageRow(
                run=run,
                district=district,
                area=kind,
                subdistrict=sub,
                community=com,
                category=r.category,
                threshold=r.threshold,
                limit_m=r.limit_m,
                population=r.population,
                households=r.households,
                total_population=r.total_population,
                total_households=r.total_households,
            )
        )
    CoverageRow.objects.bulk_create(coverage, batch_size=2000)

    report = result.report
    unsnapped: dict[str, list[dict[str, Any]]] = {"gates": [], "facilities": []}
    for u in result.unsnapped:
        # Whole metres: what the console shows.
        entry = {"id": u.id, "distance_m": float(round(u.distance_m))}
        unsnapped["gates" if u.kind == "gate" else "facilities"].append(entry)
    run.summary = {
        "compounds": inputs.compounds,
        "population": inputs.population,
        "households": inputs.households,
        "stations": len(inputs.facility_rows),
        "categories": sorted({a.category for a in access}),
        "gaps": len(gaps),
        "gap_compounds": len({g.compound_id for g in gaps}),
        "network": {
            "nodes": report.nodes,
            "edges": report.edges,
            "components_dropped": report.components_dropped,
            "nodes_dropped": report.nodes_dropped,
            "edges_dropped": report.edges_dropped,
        },
        "unsnapped": unsnapped,
        "compounds_without_gates": inputs.without_gates,
        "skipped_stations": inputs.skipped_stations,
        "files": sorted(p.name for p in out.iterdir() if p.is_file()),
    }
    return len(gaps)


def _mark_failed(run: AnalysisRun | SitingRun, message: str) -> None:
    run.status = RunStatus.FAILED
    run.error = message
    run.finished_at = timezone.now()
    run.save(update_fields=["status", "error", "finished_at"])


def _mark_siting_failed(
    siting: SitingRun, message: str, premises_report: dict[str, Any] | None
) -> None:
    """Fail the siting, keeping which premises were too far from a street (the page lists them)."""
    if premises_report is not None:
        siting.result = {"premises": premises_report}
        siting.save(update_fields=["result"])
    _mark_failed(siting, message)


def run_analysis(run_id: int) -> AnalysisRun:
    """Run a queued analysis to the end: export, call the engine, load the results.

    Never raises for a failure of the inputs or the engine: the run is marked failed with a
    message. A run that is not queued (a retried task) is returned untouched.
    """
    with transaction.atomic():
        run = AnalysisRun.objects.select_for_update().select_related("district").get(pk=run_id)
        if run.status != RunStatus.QUEUED:
            return run
        run.status = RunStatus.RUNNING
        run.started_at = timezone.now()
        run.save(update_fields=["status", "started_at"])
    with translation.override(settings.LANGUAGE_CODE):
        started = time.perf_counter()
        timings: dict[str, float] = {}
        inputs: _Inputs | None = None
        try:
            network = network_path(run.district)
            if network is None or not network.is_file():
                raise EngineFailed(
                    _(
                        "The street network file %(file)s was not found; ask the system "
                        "administrator to put it in place."
                    )
                    % {"file": run.district.network_file or "—"}
                )
            out = run.run_dir
            if out.exists():
                shutil.rmtree(out)
            out.mkdir(parents=True)
            inputs = _export_inputs(run, out)
            timings["export"] = round(time.perf_counter() - started, 3)
            t0 = time.perf_counter()
            from linli.circle.analysis import analyse
            from linli.circle.gaps import load_rules, write_rules
            from linli.circle.outputs import write_outputs

            try:
                # The national rules and the district's own, in the file a re-run reads.
                district_rules = engine_station_rules(run.district, speed_m_s=run.speed_m_s)
                rules = [*load_rules(rules_path()), *district_rules]
                write_rules(rules, out / "rules-used.csv")
                analysis = analyse(
                    _load_district(network, inputs.compounds_csv, inputs.facilities_csv),
                    rules=rules,
                    speed_m_s=run.speed_m_s,
                )
                # The files a planner can download (the map, the isochrones) and re-run.
                write_outputs(analysis, out)
            except CircleInputError as exc:
                raise EngineFailed(_engine_error(exc, inputs)) from exc
            timings["engine"] = round(time.perf_counter() - t0, 3)
            t0 = time.perf_counter()
            with transaction.atomic():
                _store_results(run, analysis, inputs, out)
                run.summary["district_rules"] = [
                    {
                        "category": r.category,
                        "level": r.level,
                        "max_distance_m": r.max_distance_m,
                        "min_population": r.min_population,
                        "source": r.source,
                    }
                    for r in district_rules
                ]
                timings["load"] = round(time.perf_counter() - t0, 3)
                timings["total"] = round(time.perf_counter() - started, 3)
                run.summary["timings"] = timings
                run.status = RunStatus.DONE
                run.finished_at = timezone.now()
                run.error = ""
                run.save(update_fields=["summary", "status", "finished_at", "error"])
        except EngineFailed as exc:
            _mark_failed(run, str(exc))
        except Exception as exc:
            logger.exception("living-circle analysis %s failed", run_id)
            _mark_failed(
                run,
                _("The analysis stopped unexpectedly: %(error)s")
                % {"error": f"{type(exc).__name__}: {exc}"},
            )
    return run


# --- siting ------------------------------------------------------------------------------------


def start_siting(
    *,
    actor: AnyUser,
    run: AnalysisRun,
    category: str,
    k: int,
    radius: float,
    premises: list[Premise] | None = None,
    premises_file: str = "",
    coordinate_system: str = "",
) -> SitingRun:
    """Queue a siting: ``k`` new sites of ``category`` covering the most people within ``radius``.

    District administrators only; the analysis must be finished (its inputs are reused, so the
    proposal matches what the planner sees). Without ``premises`` every street junction is a
    candidate; with them (already checked by ``linli.planning.premises``) only those premises
    are, and they are stored with the siting (``SitingCandidate``) so the result page can name
    them and a later siting can reuse the list.
    """
    if not permissions.can_run_analysis(actor, run.district):
        raise Forbidden(
            gettext_lazy("Only the district's administrators may propose new sites."),
            code="forbidden",
        )
    if run.status != RunStatus.DONE:
        raise Conflict(gettext_lazy("The analysis has not finished yet."), code="run_not_done")
    if category not in run.summary.get("categories", []):
        raise PlanningError(
            gettext_lazy("Choose a facility category of this analysis."), code="invalid_category"
        )
    if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= MAX_SITES:
        raise PlanningError(
            gettext_lazy("The number of new sites must be between 1 and %(max)s.")
            % {"max": MAX_SITES},
            code="invalid_k",
        )
    if not (isinstance(radius, int | float) and MIN_RADIUS_M <= radius <= MAX_RADIUS_M):
        raise PlanningError(
            gettext_lazy("The walking radius must be between %(low)s and %(high)s metres.")
            % {"low": int(MIN_RADIUS_M), "high": int(MAX_RADIUS_M)},
            code="invalid_radius",
        )
    if premises is not None and not premises:
        raise PlanningError(gettext_lazy("The premises list is empty."), code="no_premises")
    if premises is not None and k > len(premises):
        raise PlanningError(
            gettext_lazy("The list has %(count)s premises; ask for at most that many new sites.")
            % {"count": len(premises)},
            code="invalid_k",
        )
    source = CandidateSource.JUNCTIONS if premises is None else CandidateSource.PREMISES
    with transaction.atomic():
        siting = SitingRun.objects.create(
            run=run,
            district=run.district,
            category=category,
            k=k,
            radius_m=float(radius),
            candidate_source=source,
            candidates_file=premises_file[:200] if premises is not None else "",
            coordinate_system=coordinate_system if premises is not None else "",
            created_by=actor if actor.is_authenticated else None,
        )
        changes: dict[str, list[Any]] = {
            "category": [None, category],
            "k": [None, k],
            "radius_m": [None, radius],
            "candidate_source": [None, str(source)],
        }
        if premises is not None:
            SitingCandidate.objects.bulk_create(
                SitingCandidate(
                    siting=siting,
                    position=position,
                    row=p.row,
                    code=p.code,
                    name=p.name,
                    lon=p.lon,
                    lat=p.lat,
                    entered_lon=p.entered_lon,
                    entered_lat=p.entered_lat,
                )
                for position, p in enumerate(premises, start=1)
            )
            changes["candidates_file"] = [None, siting.candidates_file]
            changes["candidates"] = [None, len(premises)]
            changes["coordinate_system"] = [None, coordinate_system]
        audit.record(actor=actor, action=AuditEntry.Action.CREATE, obj=siting, changes=changes)
        from linli.planning.tasks import site_new_facilities

        site_new_facilities.enqueue(siting.pk)
    siting.refresh_from_db()
    return siting


def _explain_sites(
    siting: SitingRun, district: engine.District, sites: list[dict[str, Any]]
) -> None:
    """Name, for each proposed site, the compounds it newly covers.

    The engine counts them per site in the order of marginal gain; a planner asks which site
    serves whom.  So we search once more, for each compound, the nearest facility among the
    existing facilities of the category plus the proposed sites (search limited to the
    radius).  A compound newly covered is one the analysis found outside the radius and which
    now has a proposed site as its nearest; each is attributed to its nearest proposed site, so
    the lists partition the newly covered.
    """
    import numpy as np

    from linli.circle.access import nearest_facilities
    from linli.circle.snap import snap_points

    run = siting.run
    facilities, compounds = district.facilities, district.compounds
    same = [i for i, category in enumerate(facilities.category) if category == siting.category]
    ids = [facilities.ids[i] for i in same] + [s["id"] for s in sites]
    points = snap_points(
        district.graph,
        np.concatenate([facilities.lon[same], [s["lon"] for s in sites]]),
        np.concatenate([facilities.lat[same], [s["lat"] for s in sites]]),
        max_snap_m=SNAP_LIMIT_M,
        ids=ids,
    )
    access = nearest_facilities(
        district.graph,
        district.gates,
        compounds.gate_compound,
        compounds.n,
        points,
        [siting.category] * len(ids),
        categories=[siting.category],
        cutoff_m=siting.radius_m,
        speed_m_s=run.speed_m_s,
    )
    before = {
        code: meters
        for code, meters in CompoundAccess.objects.filter(
            run=run, category=siting.category
        ).values_list("compound__code", "meters")
    }
    info = {
        c.code: (c.name, c.population)
        for c in Compound.objects.filter(district=run.district, code__in=before.keys())
    }
    by_site: dict[str, dict[str, Any]] = {s["id"]: s for s in sites}
    for s in sites:
        s["compounds"], s["population"] = [], 0
    nearest_ids = [*ids, ""]  # index -1: nothing within the radius
    for code, meters, nearest in zip(
        compounds.ids, access.meters[:, 0].tolist(), access.facility[:, 0].tolist(), strict=True
    ):
        site = by_site.get(nearest_ids[nearest])
        old = before.get(code)
        if site is None or not meters < math.inf or (old is not None and old <= siting.radius_m):
            continue
        name, population = info.get(code, ("", 0))
        site["compounds"].append(
            {"code": code, "name": name, "population": population, "meters": round(meters)}
        )
        site["population"] += population
    for s in sites:
        s["compounds"].sort(key=lambda c: -c["population"])


def _snap_premises(siting: SitingRun, district: engine.District) -> tuple[Points, dict[str, Any]]:
    """Check which listed premises lie near a walkable street; return those as candidates.

    The engine leaves a candidate farther than the snapping limit out of the siting, so we
    snap the list first with the engine's own function on the same network, store each
    premise's distance, and name the ones left out.
    """
    import numpy as np

    from linli.circle.io import Points
    from linli.circle.snap import snap_points

    candidates = list(siting.candidates.order_by("position"))
    snapped = snap_points(
        district.graph,
        np.asarray([c.lon for c in candidates], dtype=np.float64),
        np.asarray([c.lat for c in candidates], dtype=np.float64),
        max_snap_m=SNAP_LIMIT_M,
        ids=[c.engine_id for c in candidates],
    )
    too_far: list[dict[str, Any]] = []
    near: list[SitingCandidate] = []
    for c, ok, distance in zip(candidates, snapped.ok, snapped.connector, strict=True):
        c.on_network = bool(ok)
        c.distance_m = round(float(distance), 1) if math.isfinite(distance) else None
        if ok:
            near.append(c)
        else:
            too_far.append({"code": c.code, "name": c.name, "distance_m": c.distance_m})
    SitingCandidate.objects.bulk_update(candidates, ["on_network", "distance_m"])
    report = {
        "total": len(candidates),
        "on_network": len(candidates) - len(too_far),
        "too_far": too_far,
        "limit_m": SNAP_LIMIT_M,
    }
    # Coordinates to 1e-7 degree (about a centimetre), as we store and export them.
    points = Points(
        [c.engine_id for c in near],
        [c.name for c in near],
        np.asarray([round(c.lon, 7) for c in near], dtype=np.float64),
        np.asarray([round(c.lat, 7) for c in near], dtype=np.float64),
    )
    return points, report


def run_siting(siting_id: int) -> SitingRun:
    """Run a queued siting through the engine (:func:`linli.circle.analysis.site`) and store
    the proposal."""
    with transaction.atomic():
        siting = (
            SitingRun.objects.select_for_update().select_related("run__district").get(pk=siting_id)
        )
        if siting.status != RunStatus.QUEUED:
            return siting
        siting.status = RunStatus.RUNNING
        siting.save(update_fields=["status"])
    with translation.override(settings.LANGUAGE_CODE):
        premises_report: dict[str, Any] | None = None
        try:
            run = siting.run
            network = network_path(run.district)
            compounds_csv, facilities_csv = (
                run.run_dir / "compounds.csv",
                run.run_dir / "facilities.csv",
            )
            if network is None or not network.is_file() or not compounds_csv.is_file():
                raise EngineFailed(
                    _(
                        "The inputs of this analysis are no longer available; "
                        "run a new analysis first."
                    )
                )
            out = siting.run_dir
            out.mkdir(parents=True, exist_ok=True)
            from linli.circle.analysis import site
            from linli.circle.outputs import write_sites

            try:
                district = _load_district(network, compounds_csv, facilities_csv)
            except CircleInputError as exc:
                raise EngineFailed(_engine_error(exc, None)) from exc
            candidates: Points | None = None
            if siting.uses_premises:
                candidates, premises_report = _snap_premises(siting, district)
                if not candidates.ids:
                    far = "、".join(f["name"] for f in premises_report["too_far"][:10])
                    raise EngineFailed(
                        _(
                            "None of the listed premises lies within %(limit)s m of a walkable "
                            "street (%(names)s); check their coordinates (are they GCJ-02?)."
                        )
                        % {"limit": int(SNAP_LIMIT_M), "names": far}
                    )
            proposal = site(
                district,
                category=siting.category,
                radius_m=siting.radius_m,
                k=siting.k,
                candidates=candidates,
            )
            write_sites(out / "sites.csv", proposal)
            report = proposal.mclp
            assert report is not None  # k is given
            sites: list[dict[str, Any]] = [
                {
                    "rank": s.rank,
                    "id": s.candidate_id,
                    "lon": round(s.lon, 7),
                    "lat": round(s.lat, 7),
                    "engine_compounds": len(s.newly_covered),
                    "engine_population": s.gain,
                    "cumulative_population": s.cumulative,
                    # Where to look for it: the street(s) it stands on, the nearest compound.
                    "streets": list(s.streets),
                    "nearest": _nearest_compound(
                        district, s.nearest_compound, s.nearest_compound_m
                    ),
                }
                for s in report.sites
            ]
            chosen = _name_premises(siting, sites)
            answer = report.result
            newly = sum(s["engine_population"] for s in sites)
            result: dict[str, Any] = {
                "sites": sites,
                "covered": answer.covered_weight,
                "total": report.total_weight,
                "greedy": answer.greedy_weight,
                "bound": answer.upper_bound,
                "gap": answer.gap,
                "gap_percent": round(100 * answer.gap, 2),
                "optimal": answer.optimal,
                "seconds": round(answer.seconds, 2),
                "newly_covered": newly,
                "already_covered": answer.covered_weight - newly,
            }
            if premises_report is not None:
                result["premises"] = premises_report
            if sites:
                _explain_sites(siting, district, sites)
            with transaction.atomic():
                if chosen:
                    SitingCandidate.objects.bulk_update(chosen, ["rank"])
                siting.result = result
                siting.status = RunStatus.DONE
                siting.finished_at = timezone.now()
                siting.save(update_fields=["result", "status", "finished_at"])
        except EngineFailed as exc:
            _mark_siting_failed(siting, str(exc), premises_report)
        except Exception as exc:
            logger.exception("siting %s failed", siting_id)
            _mark_siting_failed(
                siting,
                _("The siting stopped unexpectedly: %(error)s")
                % {"error": f"{type(exc).__name__}: {exc}"},
                premises_report,
            )
    return siting


def _nearest_compound(
    district: engine.District, index: int, metres: float
) -> dict[str, Any] | None:
    """The compound nearest to a proposed site, as the result page names it."""
    if index < 0 or not math.isfinite(metres):
        return None
    code = district.compounds.ids[index]
    return {"code": code, "name": district.compounds.names[index], "meters": round(metres)}


def _name_premises(siting: SitingRun, sites: list[dict[str, Any]]) -> list[SitingCandidate]:
    """Give each proposed site that is a listed premise its ID and name; return those premises."""
    if not siting.uses_premises:
        return []
    by_engine_id = {c.engine_id: c for c in siting.candidates.all()}
    chosen = []
    for s in sites:
        premise = by_engine_id.get(s["id"])
        if premise is None:
            continue
        s["code"], s["name"] = premise.code, premise.name
        premise.rank = s["rank"]
        chosen.append(premise)
    return chosen


# --- gaps --------------------------------------------------------------------------------------


def set_gap_status(*, actor: AnyUser, gap: Gap, status: str, note: str = "") -> Gap:
    """Accept or dismiss a gap (or reopen it); planners who see the gap's compound."""
    if status not in Gap.Status.values:
        raise PlanningError(gettext_lazy("Unknown gap status."), code="invalid_status")
    note = (note or "").strip()
    if len(note) > 300:
        raise PlanningError(
            gettext_lazy("The note may be at most 300 characters."), code="note_too_long"
        )
    with transaction.atomic():
        locked = Gap.objects.select_for_update().select_related("run", "compound").get(pk=gap.pk)
        if not permissions.can_change_gap(actor, locked):
            raise Forbidden(gettext_lazy("You may not change this gap."), code="forbidden")
        before = {"status": locked.status, "status_note": locked.status_note}
        locked.status = status
        locked.status_note = note
        locked.status_changed_at = timezone.now()
        locked.save(update_fields=["status", "status_note", "status_changed_at"])
        audit.record(
            actor=actor,
            action=AuditEntry.Action.UPDATE,
            obj=locked,
            changes=audit.diff(
                before, {"status": status, "status_note": note}, fields=("status", "status_note")
            ),
        )
        if status == Gap.Status.ACCEPTED:
            _announce_accepted(actor, locked)
    return locked


def _announce_accepted(actor: AnyUser, gap: Gap) -> None:
    """Send ``gap_accepted`` (inside the caller's transaction: see linli.planning.signals)."""
    query = urlencode({"category": gap.category, "status": Gap.Status.ACCEPTED})
    url = f"{reverse('planning:run', args=[gap.run_id])}?{query}#gap-{gap.pk}"
    # As planners read them ("区级标准", "10-minute circle"), in the district's language: listeners
    # store text from them, and the codes ("district", "10min") mean nothing to residents.
    from linli.planning.queries import level_label, standard_name

    with translation.override(settings.LANGUAGE_CODE):
        names = {"standard_name": standard_name(gap.standard), "level_name": level_label(gap.level)}
    gap_accepted.send(
        sender=Gap,
        actor=actor,
        gap_id=gap.pk,
        run_id=gap.run_id,
        key=gap.key,
        district_id=gap.district_id,
        compound_id=gap.compound_id,
        category=gap.category,
        standard=gap.standard,
        level=gap.level,
        **names,
        threshold_m=gap.threshold_m,
        meters=gap.meters,
        shortfall_m=gap.shortfall_m,
        population=gap.population,
        households=gap.households,
        note=gap.status_note,
        url=url,
    )


def record_export(*, actor: AnyUser, run: AnalysisRun, rows: int, what: str) -> None:
    """Note in the audit log that a gap list (or map) left the system."""
    audit.record(
        actor=actor,
        action=AuditEntry.Action.EXPORT,
        obj=run,
        changes={"export": [None, what], "rows": [None, rows]},
    )
