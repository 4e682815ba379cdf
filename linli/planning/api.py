"""The planning JSON API, mounted at ``/api/planning/`` (``router`` below).

Session authentication as the console (django-ninja's ``SessionAuth`` checks the CSRF token on
POST); anonymous requests get 401, users who are not planners 403, runs outside the user's
district 404. Rows are limited to the user's scope by ``linli.planning.permissions``; errors are
JSON ``{code, message}`` through the handlers of ``linli.api``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status
from ninja.security import SessionAuth

from linli.accounts.api_auth import TokenAuth
from linli.accounts.models import AnyUser
from linli.core.limits import BodySchema, Id, NoteStr, PageNumber
from linli.planning import permissions, premises, queries, services
from linli.planning.models import AnalysisRun, Gap, SitingRun

router = Router(tags=["planning"], auth=[TokenAuth(), SessionAuth()])


class ErrorOut(Schema):
    code: str
    message: str


ERRORS: dict[int, type[Schema]] = {
    400: ErrorOut,
    401: ErrorOut,
    403: ErrorOut,
    404: ErrorOut,
    409: ErrorOut,
    422: ErrorOut,
}


class RunOut(Schema):
    """A living-circle analysis and its summary."""

    id: int
    district_id: int
    status: str
    speed_m_s: float
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    summary: dict[str, Any]
    error: str


class RunIn(BodySchema):
    district_id: Id | None = Field(None, description="Defaults to the user's district.")
    speed_m_s: float = Field(1.0, description="Walking speed, 0.3–3 m/s.")


class AccessOut(Schema):
    category: str
    category_name: str
    meters: float | None
    minutes: float | None
    station: str | None
    station_name: str | None


class GapOut(Schema):
    id: int
    key: str
    compound: str
    compound_name: str
    community: str
    category: str
    standard: str
    level: str
    threshold_m: float
    meters: float | None = Field(description="Empty when no facility is reachable.")
    shortfall_m: float | None
    population: int
    households: int
    status: str
    source: str


class GapPage(Schema):
    total: int
    page: int
    page_size: int
    items: list[GapOut]


class GapFiltersIn(Schema):
    category: str = ""
    standard: str = Field("", description="standard or standard:level, e.g. GB50180-2018:5min")
    community: str = Field("", description="Community code.")
    status: str = ""
    sort: str = queries.DEFAULT_GAP_SORT
    page: PageNumber = Field(1, ge=1)


class GapStatusIn(BodySchema):
    status: str = Field(max_length=20, description="open, accepted or dismissed")
    note: NoteStr = ""


class CoverageOut(Schema):
    area: str
    area_name: str
    category: str
    threshold: str
    limit_m: float
    population: float
    households: float
    total_population: float
    population_share: float


class PremiseIn(BodySchema):
    """One available premise; numbers may come as text, as they do from a spreadsheet."""

    id: str | int = Field(description="The planner's own ID, unique within the list.")
    name: str
    lon: float | str = Field(description="Longitude in decimal degrees.")
    lat: float | str = Field(description="Latitude in decimal degrees.")


class SitingIn(BodySchema):
    category: str
    k: int = Field(3, description="Number of new sites, 1–20.")
    radius_m: float = Field(300, description="Walking distance served, 100–2000 m.")
    candidates: list[PremiseIn] | None = Field(
        None,
        description="Available premises to choose from (the same columns as the premises "
        "sheet); without them every street junction is a candidate.",
    )
    coordinate_system: str = Field(
        "WGS-84", description="WGS-84 or GCJ-02 (Gaode/Tencent maps) for the candidates."
    )


class CandidateOut(Schema):
    code: str
    name: str
    lon: float = Field(description="WGS-84.")
    lat: float = Field(description="WGS-84.")
    distance_m: float | None = Field(description="To the nearest walkable street, once run.")
    on_network: bool | None = Field(description="False: too far from any street, left out.")
    rank: int | None = Field(description="The proposed site's number when it was chosen.")


class SitingOut(Schema):
    id: int
    run_id: int
    category: str
    k: int
    radius_m: float
    candidate_source: str = Field(description="junctions or premises")
    candidates_file: str
    candidates: list[CandidateOut]
    status: str
    result: dict[str, Any]
    error: str


def _planner(request: HttpRequest) -> Any:
    permissions.require_planner(request.user)
    return request.user


def _run_out(run: AnalysisRun) -> dict[str, Any]:
    return {
        "id": run.pk,
        "district_id": run.district_id,
        "status": run.status,
        "speed_m_s": run.speed_m_s,
        "created_at": run.created_at,
        "started_at": run.started_at,
        "finished_at": run.finished_at,
        "summary": run.summary,
        "error": run.error,
    }


def _siting_out(user: AnyUser, siting: SitingRun) -> dict[str, Any]:
    result = dict(siting.result)
    if result.get("sites"):
        result["sites"] = queries.siting_explanation(user, siting)
    return {
        "id": siting.pk,
        "run_id": siting.run_id,
        "category": siting.category,
        "k": siting.k,
        "radius_m": siting.radius_m,
        "candidate_source": siting.candidate_source,
        "candidates_file": siting.candidates_file,
        "candidates": [
            {
                "code": c.code,
                "name": c.name,
                "lon": c.lon,
                "lat": c.lat,
                "distance_m": c.distance_m,
                "on_network": c.on_network,
                "rank": c.rank,
            }
            for c in queries.siting_premises(siting)
        ],
        "status": siting.status,
        "result": result,
        "error": siting.error,
    }


@router.get("/runs", response={200: list[RunOut], **ERRORS}, summary="List analyses")
def list_runs(request: HttpRequest) -> list[dict[str, Any]]:
    """The latest 50 analyses of the districts the user may see, newest first."""
    user = _planner(request)
    return [_run_out(r) for r in permissions.runs_for_user(user)[:50]]


@router.post("/runs", response={202: RunOut, **ERRORS}, summary="Start an analysis")
def start_run(request: HttpRequest, payload: RunIn) -> Status[dict[str, Any]]:
    """Queue an analysis of the district (district administrators); poll the run for its status."""
    user = _planner(request)
    district = permissions.get_district_for_user(user, payload.district_id)
    run = services.start_analysis(actor=user, district=district, speed=payload.speed_m_s)
    return Status(202, _run_out(run))


@router.get("/runs/{run_id}", response={200: RunOut, **ERRORS}, summary="One analysis")
def get_run(request: HttpRequest, run_id: Id) -> dict[str, Any]:
    return _run_out(permissions.get_run_for_user(_planner(request), run_id))


@router.get(
    "/runs/{run_id}/access/{compound_code}",
    response={200: list[AccessOut], **ERRORS},
    summary="Walking access of one compound",
)
def compound_access(request: HttpRequest, run_id: Id, compound_code: str) -> list[dict[str, Any]]:
    """Distance and minutes from the compound to the nearest facility of every category."""
    user = _planner(request)
    run = permissions.get_run_for_user(user, run_id)
    rows = queries.compound_access(user, run, compound_code)
    if not rows:
        from django.http import Http404

        raise Http404("No such compound in this analysis.")
    return rows


@router.get("/runs/{run_id}/gaps", response={200: GapPage, **ERRORS}, summary="Gap list")
def list_gaps(request: HttpRequest, run_id: Id, filters: Query[GapFiltersIn]) -> dict[str, Any]:
    """The gap list within the user's scope, 25 per page, filtered and sorted as on the page."""
    user = _planner(request)
    run = permissions.get_run_for_user(user, run_id)
    gap_filters = queries.GapFilters.from_params(filters.dict())
    page = queries.gap_page(user, run, gap_filters, filters.page)
    return {
        "total": page.paginator.count,
        "page": page.number,
        "page_size": page.paginator.per_page,
        "items": [_gap_out(g) for g in page],
    }


def _gap_out(g: Gap) -> dict[str, Any]:
    return {
        "id": g.pk,
        "key": g.key,
        "compound": g.compound.code,
        "compound_name": g.compound.name,
        "community": g.compound.community.name,
        "category": g.category,
        "standard": g.standard,
        "level": g.level,
        "threshold_m": g.threshold_m,
        "meters": g.meters,
        "shortfall_m": g.shortfall_m,
        "population": g.population,
        "households": g.households,
        "status": g.status,
        "source": g.source,
    }


@router.post("/gaps/{gap_id}/status", response={200: GapOut, **ERRORS}, summary="Mark a gap")
def mark_gap(request: HttpRequest, gap_id: Id, payload: GapStatusIn) -> dict[str, Any]:
    """Accept, dismiss or reopen a gap of a compound in the user's scope."""
    user = _planner(request)
    gap = permissions.get_gap_for_user(user, gap_id, for_change=True)
    gap = services.set_gap_status(actor=user, gap=gap, status=payload.status, note=payload.note)
    return _gap_out(gap)


@router.get(
    "/runs/{run_id}/coverage", response={200: list[CoverageOut], **ERRORS}, summary="Coverage"
)
def coverage(request: HttpRequest, run_id: Id) -> list[dict[str, Any]]:
    """People within 5/10/15 minutes and 300/500/1000 m, per category, for the areas in scope."""
    user = _planner(request)
    run = permissions.get_run_for_user(user, run_id)
    rows = permissions.coverage_for_user(user, run).select_related("subdistrict", "community")
    out = []
    for r in rows:
        area_name = (
            r.community.name
            if r.community
            else r.subdistrict.name
            if r.subdistrict
            else run.district.name
        )
        out.append(
            {
                "area": r.area,
                "area_name": area_name,
                "category": r.category,
                "threshold": r.threshold,
                "limit_m": r.limit_m,
                "population": r.population,
                "households": r.households,
                "total_population": r.total_population,
                "population_share": round(r.population_share, 4),
            }
        )
    return out


@router.post(
    "/runs/{run_id}/siting", response={202: SitingOut, **ERRORS}, summary="Propose new sites"
)
def start_siting(request: HttpRequest, run_id: Id, payload: SitingIn) -> Status[dict[str, Any]]:
    """Queue a siting (district administrators); poll ``/sitings/{id}`` for the proposal.

    With ``candidates`` only those premises are considered; a bad list is refused (400,
    ``invalid_premises``) with every problem by row, column and value, and nothing is stored.
    """
    user = _planner(request)
    run = permissions.get_run_for_user(user, run_id)
    permissions.require_siting(user, run.district)
    candidates: dict[str, Any] = {}
    if payload.candidates is not None:
        candidates = {
            "premises": premises.read_premises_rows(
                [c.model_dump() for c in payload.candidates],
                district=run.district,
                coordinates=payload.coordinate_system,
            ),
            "premises_file": "API",
            "coordinate_system": payload.coordinate_system,
        }
    siting = services.start_siting(
        actor=user,
        run=run,
        category=payload.category,
        k=payload.k,
        radius=payload.radius_m,
        **candidates,
    )
    return Status(202, _siting_out(user, siting))


@router.get("/sitings/{siting_id}", response={200: SitingOut, **ERRORS}, summary="One siting")
def get_siting(request: HttpRequest, siting_id: Id) -> dict[str, Any]:
    user = _planner(request)
    return _siting_out(user, permissions.get_siting_for_user(user, siting_id))
