"""The audit log page (/console/audit/) for district administrators and superusers, and
/favicon.ico, which browsers ask for whatever the page's <link rel="icon"> says."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.template.loader import select_template
from django.templatetags.static import static
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

from linli.core.forms import AuditFilterForm
from linli.core.permissions import audit_entries_for_user
from linli.core.queries import audit_rows, filter_audit_entries

PAGE_SIZE = 50


@login_required
def audit_log(request: HttpRequest) -> HttpResponse:
    """Who did what and when, newest first; filter by action, dates and user."""
    entries = audit_entries_for_user(request.user)
    form = AuditFilterForm(request.GET or None)
    if form.is_valid():
        entries = filter_audit_entries(entries, **form.cleaned_data)
    elif form.is_bound:
        entries = entries.none()
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    # The console layout is another app's template; fall back to the plain base until it exists.
    layout = select_template(["console/base.html", "base.html"]).template.name
    return render(
        request,
        "core/audit_log.html",
        {
            "form": form,
            "page": page,
            "rows": audit_rows(list(page.object_list)),
            "query": query.urlencode(),
            "layout": layout,
            "console_nav": "audit",
            "show_district": bool(getattr(request.user, "is_superuser", False)),
        },
    )


@require_GET
@cache_control(max_age=86400, public=True)
def favicon(request: HttpRequest) -> HttpResponse:
    """The icon under its static (in production hashed) URL, so it is cached like the rest."""
    return HttpResponseRedirect(static("linli/favicon.ico"))
