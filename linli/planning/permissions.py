"""The one place that answers "may this user see / start this analysis, these rows?".

Planning is for district, subdistrict and community staff. District administrators (and
superusers) see every row of their district's analyses and may start analyses and sitings;
subdistrict and community staff see the rows of the compounds in their scope only (their
compounds' access and gaps, their areas' coverage). Station keepers, residents, unit liaisons
and anonymous users are refused. A run or gap outside the user's district is 404, as if it did
not exist. ``linli.planning.views``, ``.api``, ``.queries`` and ``.exports`` call these and never
filter by scope themselves.
"""

from __future__ import annotations

from typing import Any, TypeGuard

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404

from linli.accounts.models import AnyUser, Role, User
from linli.accounts.scopes import NOTHING, is_signed_in, scope_q
from linli.core import limits
from linli.places.models import Compound, District
from linli.places.permissions import compounds_for_user
from linli.planning.models import AnalysisRun, CompoundAccess, CoverageRow, Gap, SitingRun

PLANNER_ROLES = frozenset({Role.DISTRICT_ADMIN, Role.SUBDISTRICT_STAFF, Role.COMMUNITY_STAFF})


def is_planner(user: AnyUser) -> TypeGuard[User]:
    """Whether ``user`` may open the planning pages at all."""
    return is_signed_in(user) and (user.is_superuser or user.role in PLANNER_ROLES)


def require_planner(user: AnyUser) -> None:
    """Refuse (403) anyone who may not use planning; views send anonymous users to log in first."""
    if not is_planner(user):
        raise PermissionDenied


def sees_whole_district(user: AnyUser) -> bool:
    """Whether ``user`` sees every compound of the district (district admins, superusers)."""
    return is_planner(user) and user.scope.level in {"district", "all"}


def can_run_analysis(user: AnyUser, district: District) -> bool:
    """Whether ``user`` may start an analysis or a siting for ``district``."""
    if not is_planner(user):
        return False
    if user.is_superuser:
        return True
    return bool(user.role == Role.DISTRICT_ADMIN and user.district_id == district.pk)


def can_edit_station_rules(user: AnyUser, district: District) -> bool:
    """Whether ``user`` may change ``district``'s own station rules: its district staff only.

    The rules decide what every analysis of the district calls a gap, so subdistrict and
    community staff read them on the analysis page but may not change them.
    """
    return can_run_analysis(user, district)


def require_station_rules(user: AnyUser, district: District) -> None:
    """Refuse (403, the styled page) anyone who may not change ``district``'s station rules."""
    if not can_edit_station_rules(user, district):
        raise PermissionDenied


def can_change_gap(user: AnyUser, gap: Gap) -> bool:
    """Whether ``user`` may accept or dismiss ``gap``: planners who see its compound."""
    return is_planner(user) and gaps_for_user(user, gap.run).filter(pk=gap.pk).exists()


def districts_for_user(user: AnyUser) -> QuerySet[District]:
    """Districts whose analyses ``user`` may see (one, except for superusers)."""
    if not is_planner(user):
        return District.objects.none()
    if user.scope.everything:
        return District.objects.all()
    if user.district_id is None:
        return District.objects.none()
    return District.objects.filter(pk=user.district_id)


def get_district_for_user(user: AnyUser, pk: Any = None) -> District:
    """The district the planning pages show: ``pk`` if given and visible, else the user's own."""
    districts = districts_for_user(user)
    if pk not in (None, ""):
        district = districts.filter(pk=limits.pk_or_404(pk)).first()
    elif (own := getattr(user, "district_id", None)) is not None:
        district = districts.filter(pk=own).first()
    else:
        district = districts.first()
    if district is None:
        raise Http404("No such district.")
    return district


def runs_for_user(user: AnyUser) -> QuerySet[AnalysisRun]:
    """Analysis runs of the districts ``user`` may see."""
    return AnalysisRun.objects.filter(district__in=districts_for_user(user).values("pk"))


def get_run_for_user(user: AnyUser, pk: Any) -> AnalysisRun:
    """The analysis run ``pk`` if ``user`` may see it."""
    return limits.one_or_404(
        runs_for_user(user).select_related("district", "created_by"),
        pk,
        missing="No such analysis.",
    )


def compounds_in_scope(user: AnyUser) -> QuerySet[Compound]:
    """Compounds whose rows ``user`` may see."""
    if not is_planner(user):
        return Compound.objects.none()
    return compounds_for_user(user)


def _compound_rows(user: AnyUser) -> Q:
    if not is_planner(user):
        return NOTHING
    if sees_whole_district(user):
        return Q()
    return Q(compound__in=compounds_in_scope(user).values("pk"))


def access_for_user(user: AnyUser, run: AnalysisRun) -> QuerySet[CompoundAccess]:
    """Walking-access rows of ``run`` for the compounds in ``user``'s scope."""
    return CompoundAccess.objects.filter(run=run).filter(_compound_rows(user))


def gaps_for_user(user: AnyUser, run: AnalysisRun) -> QuerySet[Gap]:
    """Gaps of ``run`` at the compounds in ``user``'s scope."""
    return Gap.objects.filter(run=run).filter(_compound_rows(user))


def get_gap_for_user(user: AnyUser, pk: Any, *, for_change: bool = False) -> Gap:
    """The gap ``pk`` if ``user`` may see it (and change its status, with ``for_change``)."""
    runs = runs_for_user(user)
    try:
        gap = Gap.objects.select_related("run", "compound").get(
            pk=limits.pk_or_404(pk), run__in=runs.values("pk")
        )
    except Gap.DoesNotExist:
        raise Http404("No such gap.") from None
    if not gaps_for_user(user, gap.run).filter(pk=gap.pk).exists():
        raise Http404("No such gap.")
    if for_change and not can_change_gap(user, gap):
        raise PermissionDenied
    return gap


def coverage_for_user(user: AnyUser, run: AnalysisRun) -> QuerySet[CoverageRow]:
    """Coverage rows of ``run`` for the areas in ``user``'s scope.

    A community's staff see their community's rows, a subdistrict's staff their subdistrict's
    and its communities'; whole-district rows only district-wide users.
    """
    if not is_planner(user):
        return CoverageRow.objects.none()
    return CoverageRow.objects.filter(run=run).filter(scope_q(user.scope))


def sitings_for_user(user: AnyUser, run: AnalysisRun) -> QuerySet[SitingRun]:
    """Siting runs of ``run``; everyone who sees the run sees its proposals.

    Narrower scopes see the proposed sites but, through ``queries.siting_explanation``, only the
    newly covered compounds inside their scope.
    """
    if not is_planner(user):
        return SitingRun.objects.none()
    return SitingRun.objects.filter(run=run)


def district_sitings_for_user(user: AnyUser, district: District) -> QuerySet[SitingRun]:
    """Siting runs of every analysis of ``district`` the user may see."""
    if not is_planner(user):
        return SitingRun.objects.none()
    return SitingRun.objects.filter(district=district, run__in=runs_for_user(user).values("pk"))


def require_siting(user: AnyUser, district: District) -> None:
    """Refuse (403) anyone who may not propose sites for ``district``.

    Views call it before reading an uploaded premises list, so a refused user learns nothing
    about the file and nothing is parsed; ``services.start_siting`` checks again.
    """
    if not can_run_analysis(user, district):
        raise PermissionDenied


def get_siting_for_user(user: AnyUser, pk: Any) -> SitingRun:
    """The siting run ``pk`` if ``user`` may see its analysis."""
    return limits.one_or_404(
        SitingRun.objects.select_related("run").filter(run__in=runs_for_user(user).values("pk")),
        pk,
        missing="No such siting.",
    )
