"""Template tags of the staff console layout (``console/base.html``), usable by every app.

Other apps' console pages extend ``console/base.html``; these tags let the shared layout show the
user's scope and the hierarchy tree without each app's views passing them in.
"""

from __future__ import annotations

from typing import Any, TypeGuard

from django import template
from django.http import HttpRequest, QueryDict
from django.utils.translation import gettext as _

from linli.accounts.models import AnyUser, User
from linli.core.permissions import can_read_audit_log
from linli.places import permissions
from linli.places.models import District

register = template.Library()


def _signed_in(user: object) -> TypeGuard[User]:
    """Whether a template's ``request.user`` is a signed-in user.

    A template may pass anything (``""`` for a missing ``request``), so the tags take ``object``.
    """
    return isinstance(user, User) and user.is_authenticated


@register.simple_tag
def scope_label(user: object) -> str:
    """'幸福里社区 · Community staff': where the user works and in what role."""
    if not _signed_in(user):
        return ""
    scope = user.scope
    if scope.everything:
        place = _("All districts")
    elif scope.station_id and user.station is not None:
        place = user.station.name
    elif scope.community_id and user.community is not None:
        place = user.community.name
    elif scope.subdistrict_id and user.subdistrict is not None:
        place = user.subdistrict.name
    elif user.district is not None:
        place = user.district.name
    else:
        place = _("No area assigned")
    role = _("Superuser") if user.is_superuser else user.get_role_display()
    return f"{place} · {role}"


@register.simple_tag
def console_district(user: object) -> District | None:
    """The district whose data the console shows (for the sample-data badge)."""
    if not _signed_in(user):
        return None
    if user.district_id:
        district: District | None = user.district
        return district
    return District.objects.first() if user.is_superuser else None


@register.inclusion_tag("places/console/_tree.html", takes_context=True)
def console_tree(context: dict[str, Any], target: str = "") -> dict[str, Any]:
    """The district → subdistrict → community tree of the user's scope.

    Links keep the current list's other filters; with ``target`` (a CSS selector) htmx swaps only
    the results there, and the browser's address follows.
    """
    request: HttpRequest = context["request"]
    user = request.user
    communities = list(
        permissions.communities_for_user(user).select_related("subdistrict", "district")
    )
    subdistricts: dict[int, dict[str, Any]] = {}
    for sub in permissions.subdistricts_for_user(user).select_related("district"):
        subdistricts[sub.pk] = {"node": sub, "communities": []}
    for community in communities:
        entry = subdistricts.setdefault(
            community.subdistrict_id, {"node": community.subdistrict, "communities": []}
        )
        entry["communities"].append(community)
    districts: dict[int, dict[str, Any]] = {}
    for entry in subdistricts.values():
        district = entry["node"].district
        districts.setdefault(district.pk, {"node": district, "subdistricts": []})[
            "subdistricts"
        ].append(entry)

    def link(**params: Any) -> str:
        query: QueryDict = request.GET.copy()
        for key in ("community", "subdistrict", "page"):
            query.pop(key, None)
        for key, value in params.items():
            query[key] = str(value)
        encoded = query.urlencode()
        return f"{request.path}?{encoded}" if encoded else request.path

    for d in districts.values():
        d["url"] = link()
        for s in d["subdistricts"]:
            s["url"] = link(subdistrict=s["node"].pk)
            s["links"] = [(c, link(community=c.pk)) for c in s["communities"]]
    return {
        "districts": list(districts.values()),
        "selected_community": request.GET.get("community", ""),
        "selected_subdistrict": request.GET.get("subdistrict", ""),
        "target": target,
    }


@register.simple_tag(takes_context=True)
def query_with(context: dict[str, Any], **params: Any) -> str:
    """The current query string with some parameters replaced (pagination, sorting)."""
    query: QueryDict = context["request"].GET.copy()
    for key, value in params.items():
        if value in (None, ""):
            query.pop(key, None)
        else:
            query[key] = str(value)
    return "?" + query.urlencode()


@register.simple_tag
def is_console_editor(user: object) -> bool:
    """Whether the menu offers creating, importing and the compound list (not to keepers)."""
    return _signed_in(user) and (user.is_superuser or user.role in permissions.EDITOR_ROLES)


@register.simple_tag
def may_read_audit_log(user: AnyUser) -> bool:
    """Whether the menu offers the audit log: a link that ends on 403 is a dead end."""
    return can_read_audit_log(user)


@register.filter
def schedule_words(link: Any) -> str:
    """A service-at-station schedule in words ("每月第一个星期五 9:00–11:30"), else ''."""
    from django.utils.translation import get_language

    from linli.places.rrule_words import schedule_in_words

    return (
        schedule_in_words(
            link.rrule or "",
            opens=link.opens,
            closes=link.closes,
            language=get_language() or "zh-hans",
        )
        or ""
    )
