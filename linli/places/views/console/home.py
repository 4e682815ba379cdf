"""The console's overview page."""

from __future__ import annotations

from django.db.models import Count, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from linli.core.holidays import year_is_known
from linli.places import permissions
from linli.places.views.console._common import _is_editor, staff_required


@staff_required
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    stations = permissions.stations_for_user(user)
    by_kind = list(
        stations.filter(is_active=True)
        .values("category__name_zh", "category__name_en", "category__sort_order")
        .annotate(n=Count("pk"))
        .order_by("category__sort_order")
    )
    compounds = permissions.compounds_for_user(user).aggregate(
        n=Count("pk"), population=Sum("population"), households=Sum("households")
    )
    next_year = timezone.localdate().year + 1
    return render(
        request,
        "places/console/home.html",
        {
            "console_nav": "home",
            "page_title": _("Overview"),
            "by_kind": by_kind,
            "station_count": stations.filter(is_active=True).count(),
            "inactive_count": stations.filter(is_active=False).count(),
            "compounds": compounds,
            "community_count": permissions.communities_for_user(user).count(),
            "service_count": permissions.services_for_user(user).count(),
            "next_year": next_year,
            "next_year_known": year_is_known(next_year),
            "is_editor": _is_editor(user),
        },
    )
