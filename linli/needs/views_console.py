"""Staff console pages for needs: the scoped list, a need's page with its actions, raising a need
on a resident's behalf, and the rates.

Thin: authorise through ``linli.needs.permissions``, validate a form, call one service, respond.
Seeing the resident's name and phone is recorded (``record_personal_view``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from linli.accounts.models import AnyUser
from linli.accounts.scopes import signed_in_user
from linli.core.exceptions import LinliError
from linli.core.personal import record_personal_view
from linli.needs import permissions, queries, services
from linli.needs.deadlines import BEIJING
from linli.needs.forms import (
    AcceptForm,
    DispatchForm,
    ExtensionForm,
    FollowUpForm,
    MergeForm,
    NeedFilterForm,
    NotesForm,
    RoutingRuleForm,
    StaffNeedForm,
)
from linli.needs.models import ApiClient, Channel, Need, NeedPhoto, NeedStep, Rating
from linli.needs.paging import CappedPaginator, page_links
from linli.needs.views_resident import form_error
from linli.needs.workflow import BUTTONS, TRANSITIONS, allowed_actions
from linli.places.models import Compound, District, Grid, Organisation

A = NeedStep.Action
PAGE_SIZE = 25


def console_required[V: Callable[..., HttpResponse]](view: V) -> V:
    """Staff and units' people who handle needs; everyone else logs in first."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not permissions.is_console_user(request.user):
            return redirect_to_login(request.get_full_path())
        try:
            return view(request, *args, **kwargs)
        except Http404:
            return render(
                request,
                "places/console/refused.html",
                {"page_title": _("Not found"), "status": 404},
                status=404,
            )
        except PermissionDenied:
            return render(
                request,
                "places/console/refused.html",
                {"page_title": _("Not allowed"), "status": 403},
                status=403,
            )

    return wrapper  # type: ignore[return-value]  # wraps keeps V's signature


@console_required
def need_list(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    form = NeedFilterForm(request.GET or None)
    f = queries.NeedFilter()
    if form.is_valid():
        d = form.cleaned_data
        f = queries.NeedFilter(
            status=d["status"],
            category=d["category"],
            community_id=d["community"],
            overdue=d["overdue"],
            escalated=d["escalated"],
            extension_pending=d["extension"],
            text=d["q"].strip(),
        )
    needs = queries.filter_needs(permissions.needs_for_user(request.user), f, now=now)
    page = CappedPaginator(
        needs.select_related("community", "compound", "assigned_organisation"), PAGE_SIZE
    ).get_page(request.GET.get("page"))
    partial = request.headers.get("HX-Request") == "true"
    template = "needs/console/_need_table.html" if partial else "needs/console/need_list.html"
    return render(
        request,
        template,
        {
            "page": page,
            "page_links": page_links(page),
            "ellipsis": Paginator.ELLIPSIS,
            "form": form,
            "now": now,
            "console_nav": "needs",
            "page_title": _("Needs and requests"),
            "can_raise": permissions.communities_for_raising(request.user).exists(),
        },
    )


ACTION_FORMS: dict[str, type[Form]] = {
    A.ACCEPT: AcceptForm,
    A.DECLINE: NotesForm,
    A.DISPATCH: DispatchForm,
    A.START: NotesForm,
    A.RETURN: NotesForm,
    A.REQUEST_EXTENSION: ExtensionForm,
    A.APPROVE_EXTENSION: NotesForm,
    A.REFUSE_EXTENSION: NotesForm,
    A.RESOLVE: NotesForm,
    A.FOLLOW_UP: FollowUpForm,
    A.REOPEN: NotesForm,
    A.MERGE: MergeForm,
    A.NEEDS_LIST: NotesForm,
}


def _action_form(action: str, need: Need, data: Any = None) -> Form:
    form_class = ACTION_FORMS[action]
    initial: dict[str, Any] = {}
    if action == A.ACCEPT:
        initial = {"urgency": need.urgency, "public_summary": need.public_summary}
    if action == A.DISPATCH:
        # The routing rules' unit for the category and community is the suggestion.
        initial = {
            "organisation": queries.routing_unit(
                district_id=need.district_id,
                category=need.category,
                community_id=need.community_id,
            )
        }
    form = form_class(data, initial=initial, prefix=action)
    if isinstance(form, DispatchForm):
        form.fields["grid"].queryset = Grid.objects.filter(community_id=need.community_id)  # type: ignore[attr-defined]  # a ModelChoiceField; the stubs say Field
        form.fields["organisation"].queryset = Organisation.objects.filter(  # type: ignore[attr-defined]  # a ModelChoiceField; the stubs say Field
            district_id=need.district_id
        )
    return form


def _actions_for(
    user: AnyUser, need: Need, bound: dict[str, Form] | None = None
) -> list[dict[str, Any]]:
    """The steps this user may take on the need now, each with its form."""
    out = []
    possible = set(allowed_actions(need.status))
    # The forward step first (its form opens by itself), the side branches after it.
    for action in [a for a in BUTTONS if a in possible]:
        if action not in ACTION_FORMS:
            continue
        if action in (A.APPROVE_EXTENSION, A.REFUSE_EXTENSION) and not need.extension_pending:
            continue
        if action == A.REQUEST_EXTENSION and need.extension_pending:
            continue
        if action == A.NEEDS_LIST and need.on_needs_list:
            continue
        if not permissions.can_take(user, need, TRANSITIONS[action].who):
            continue
        form = (bound or {}).get(action) or _action_form(action, need)
        out.append({"action": action, "label": BUTTONS[action], "form": form})
    return out


def _call(action: str, request: HttpRequest, need: Need, d: dict[str, Any]) -> Need:
    user = request.user
    notes: dict[str, Any] = {
        "public_note": d.get("public_note", ""),
        "internal_note": d.get("internal_note", ""),
    }
    common: dict[str, Any] = {"actor": user, "need_id": need.pk, "request": request}
    if action == A.ACCEPT:
        return services.accept_need(
            **common, public_summary=d["public_summary"], urgency=d["urgency"], **notes
        )
    if action == A.DECLINE:
        return services.decline_need(**common, **notes)
    if action == A.DISPATCH:
        return services.dispatch_need(
            **common,
            grid_id=d["grid"].pk if d.get("grid") else None,
            organisation_id=d["organisation"].pk if d.get("organisation") else None,
            **notes,
        )
    if action == A.START:
        return services.start_need(**common, **notes)
    if action == A.RETURN:
        return services.return_need(**common, **notes)
    if action == A.REQUEST_EXTENSION:
        until = d["until"]
        if timezone.is_naive(until):
            until = until.replace(tzinfo=BEIJING)
        return services.request_extension(**common, until=until, reason=d["reason"])
    if action in (A.APPROVE_EXTENSION, A.REFUSE_EXTENSION):
        return services.decide_extension(**common, approve=action == A.APPROVE_EXTENSION, **notes)
    if action == A.RESOLVE:
        return services.resolve_need(**common, **notes)
    if action == A.FOLLOW_UP:
        return services.log_follow_up(**common, outcome=d["outcome"], note=d["note"])
    if action == A.REOPEN:
        return services.reopen_need(**common, **notes)
    if action == A.NEEDS_LIST:
        return services.put_on_needs_list(**common, **notes)
    if action == A.MERGE:
        return services.merge_needs(
            **common, into_id=d["into"], internal_note=d.get("internal_note", "")
        )
    raise Http404("No such step.")


@console_required
def need_detail(request: HttpRequest, pk: int) -> HttpResponse:
    need = permissions.get_need_for_user(request.user, pk)
    bound: dict[str, Form] = {}
    status = 200
    if request.method == "POST":
        action = request.POST.get("action", "")
        if action not in ACTION_FORMS:
            raise Http404("No such step.")
        form = _action_form(action, need, request.POST)
        if form.is_valid():
            try:
                _call(action, request, need, form.cleaned_data)
            except LinliError as err:
                form_error(form, err)
            else:
                messages.success(request, _("Done: %(step)s.") % {"step": BUTTONS[action]})
                return redirect("needs:console_detail", pk=need.pk)
        bound[action] = form
        status = 400
    if need.contact_name or need.contact_phone or need.resident_id:
        record_personal_view(request, need, fields=["contact_name", "contact_phone"])
    now = timezone.now()
    actions = _actions_for(request.user, need, bound)
    shown = {a["action"] for a in actions}
    # A refused step whose form is not on the page (out of order, not allowed) says why on top.
    refusals = [e for a, f in bound.items() if a not in shown for e in f.non_field_errors()]
    return render(
        request,
        "needs/console/need_detail.html",
        {
            "need": need,
            "steps": need.steps.select_related("actor"),
            "actions": actions,
            "refusals": refusals,
            "bound_action": next(iter(bound), ""),
            "follow_ups": need.follow_ups.all(),
            "ratings": need.ratings.all(),
            "photos": need.photos.all(),
            "overdue": need.is_overdue(now),
            "console_nav": "needs",
            "page_title": _("Need %(ref)s") % {"ref": need.reference},
        },
        status=status,
    )


@console_required
def need_new(request: HttpRequest) -> HttpResponse:
    communities = permissions.communities_for_raising(request.user)
    if not communities.exists():
        raise PermissionDenied
    user = signed_in_user(request)
    district = District.objects.filter(pk=user.district_id).first() if user.district_id else None
    if district is None:
        raise PermissionDenied
    compounds = Compound.objects.filter(community__in=communities).order_by("name")
    form = StaffNeedForm(request.POST or None, request.FILES or None, compounds=compounds)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            d = form.cleaned_data
            try:
                need = services.raise_need(
                    actor=request.user,
                    district=district,
                    category=d["category"],
                    description=d["description"],
                    compound=d["compound"],
                    lon=d["lon"],
                    lat=d["lat"],
                    scale=d["scale"],
                    anonymous=d["anonymous"],
                    contact_preference=d["contact_preference"],
                    contact_name=d["contact_name"],
                    contact_phone=d["contact_phone"],
                    channel=d["channel"] or Channel.STAFF,
                    photo_files=[(f.name or "", f) for f in request.FILES.getlist("photos")],
                    request=request,
                )
            except LinliError as err:
                form_error(form, err)
            else:
                messages.success(request, _("The need was raised."))
                return redirect("needs:console_detail", pk=need.pk)
        status = 400
    return render(
        request,
        "needs/console/need_form.html",
        {"form": form, "console_nav": "needs", "page_title": _("Raise a need for a resident")},
        status=status,
    )


@console_required
def rates(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    by = request.GET.get("by", "community")
    if by not in queries.GROUPS:
        by = "community"
    try:
        year = int(request.GET.get("year", ""))
    except ValueError:
        year = now.astimezone(BEIJING).year
    year = min(max(year, 2000), 2100)
    start = dt.datetime(year, 1, 1, tzinfo=BEIJING)
    end = dt.datetime(year + 1, 1, 1, tzinfo=BEIJING)
    rows = queries.rates(
        permissions.needs_for_user(request.user), by=by, start=start, end=end, now=now
    )
    return render(
        request,
        "needs/console/rates.html",
        {
            "rows": rows,
            "by": by,
            "year": year,
            "years": list(
                range(now.astimezone(BEIJING).year, now.astimezone(BEIJING).year - 4, -1)
            ),
            "console_nav": "needs_rates",
            "page_title": _("Rates: on time, resolved, satisfied"),
        },
    )


@console_required
def moderation(request: HttpRequest) -> HttpResponse:
    """The moderation queue: comments and photos waiting for a person to look at them."""
    user = request.user
    if request.method == "POST":
        publish = request.POST.get("decision") == "publish"
        kind, pk = request.POST.get("kind", ""), request.POST.get("pk", "")
        if kind == "comment":
            services.moderate_comment(actor=user, rating_id=pk, publish=publish, request=request)
        elif kind == "photo":
            services.review_photo(actor=user, photo_id=pk, publish=publish, request=request)
        else:
            raise Http404("Nothing to moderate.")
        messages.success(request, _("Published.") if publish else _("Kept off the public pages."))
        return redirect("needs:console_moderation")
    in_scope = permissions.needs_for_user(user).values("pk")
    comments = (
        Rating.objects.filter(need__in=in_scope, comment_moderation=Rating.Moderation.PENDING)
        .exclude(comment="")
        .select_related("need")
        .order_by("at")[:50]
    )
    photos = (
        NeedPhoto.objects.filter(need__in=in_scope, reviewed_at__isnull=True)
        .select_related("need")
        .order_by("uploaded_at")[:50]
    )
    return render(
        request,
        "needs/console/moderation.html",
        {
            "comments": comments,
            "photos": photos,
            "console_nav": "needs",
            "page_title": _("Comments and photos to review"),
        },
    )


@console_required
def api_clients(request: HttpRequest) -> HttpResponse:
    """Open311 clients of the district: issue a key (shown once) or revoke one."""
    user = signed_in_user(request)
    if not (user.is_superuser or user.role == "district_admin"):
        raise PermissionDenied
    new_key = ""
    if request.method == "POST":
        if request.POST.get("revoke"):
            services.revoke_api_key(actor=user, client_id=request.POST["revoke"], request=request)
            messages.success(request, _("The key was revoked."))
            return redirect("needs:console_api_clients")
        try:
            _client, new_key = services.issue_api_key(
                actor=user, name=request.POST.get("name", ""), request=request
            )
        except LinliError as err:
            messages.error(request, str(err.message))
    return render(
        request,
        "needs/console/api_clients.html",
        {
            "clients": ApiClient.objects.filter(district_id=user.district_id)
            if user.district_id is not None
            else ApiClient.objects.none(),
            "new_key": new_key,
            "console_nav": "needs",
            "page_title": _("Open311 clients"),
        },
    )


@console_required
def routing_rules(request: HttpRequest) -> HttpResponse:
    """The routing rules: which unit handles which category of need where. District admins."""
    user: Any = request.user
    if not permissions.can_edit_routing(user) or user.district_id is None:
        raise PermissionDenied
    district_id: int = user.district_id
    form = RoutingRuleForm(district_id=district_id)
    if request.method == "POST":
        if request.POST.get("delete"):
            services.delete_routing_rule(
                actor=user, rule_id=request.POST["delete"], request=request
            )
            messages.success(request, _("The rule was removed."))
            return redirect("needs:console_routing")
        form = RoutingRuleForm(request.POST, district_id=district_id)
        if form.is_valid():
            d = form.cleaned_data
            try:
                services.set_routing_rule(
                    actor=user,
                    category=d["category"],
                    community_id=d["community"].pk if d["community"] else None,
                    organisation_id=d["organisation"].pk,
                    request=request,
                )
            except LinliError as err:
                form_error(form, err)
            else:
                messages.success(request, _("The rule was saved."))
                return redirect("needs:console_routing")
    rules = (
        permissions.routing_rules_for_user(user)
        .select_related("community", "organisation")
        .order_by("category", "community__name")
    )
    return render(
        request,
        "needs/console/routing_rules.html",
        {
            "rules": rules,
            "form": form,
            "console_nav": "needs",
            "page_title": _("Routing rules"),
        },
        status=400 if form.errors else 200,
    )
