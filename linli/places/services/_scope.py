"""Who may write places, and where: the editor check, the actor's district, a record's placement."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from linli.accounts.models import AnyUser, User
from linli.core.exceptions import Forbidden
from linli.places import permissions
from linli.places.models import (
    Community,
    District,
    Subdistrict,
)
from linli.places.services.validators import _invalid


def _require_editor(actor: AnyUser) -> User:
    """The actor, if they may change places; refused (Forbidden) otherwise."""
    if not (
        actor is not None
        and actor.is_authenticated
        and actor.is_staff_role
        and (actor.is_superuser or actor.role in permissions.EDITOR_ROLES)
    ):
        raise Forbidden(_("You may not change places."), code="forbidden")
    return actor


def resolve_district(actor: AnyUser, code: str = "") -> District:
    """The district an actor works in; superusers name it by code when there are several."""
    scope = actor.scope if actor is not None and actor.is_authenticated else None
    if scope is None or (scope.district_id is None and not scope.everything):
        raise Forbidden(_("You are not assigned to a district."), code="no_district")
    if scope.district_id is not None and not code:
        return District.objects.get(pk=scope.district_id)
    qs = District.objects.all()
    if not scope.everything and scope.district_id is not None:
        qs = qs.filter(pk=scope.district_id)
    if code:
        qs = qs.filter(code=code)
    districts = list(qs[:2])
    if len(districts) != 1:
        raise _invalid(
            _("Name the district by its code."), code="unknown_district", field_name="district"
        )
    return districts[0]


def _placement(
    actor: AnyUser, district: District, *, community_code: str, subdistrict_code: str
) -> tuple[Community | None, Subdistrict]:
    """Resolve where a record sits and check the actor may create records there."""
    community: Community | None = None
    if community_code:
        community = (
            Community.objects.select_related("subdistrict")
            .filter(district=district, code=community_code)
            .first()
        )
        if community is None:
            raise _invalid(
                _("Unknown community code “%(code)s”.") % {"code": community_code},
                code="unknown_community",
                field_name="community",
            )
        subdistrict = community.subdistrict
        if subdistrict_code and subdistrict.code != subdistrict_code:
            raise _invalid(
                _("Community “%(community)s” is not in subdistrict “%(code)s”.")
                % {"community": community.name, "code": subdistrict_code},
                code="subdistrict_mismatch",
                field_name="subdistrict",
            )
    else:
        found = Subdistrict.objects.filter(district=district, code=subdistrict_code).first()
        if not subdistrict_code or found is None:
            raise _invalid(
                _("Give a community code, or a subdistrict code for a subdistrict-level place."),
                code="unknown_community",
                field_name="community",
            )
        subdistrict = found
    if not permissions.can_create_in(actor, community, subdistrict):
        raise Forbidden(
            _("You may not place records in “%(place)s”.")
            % {"place": community.name if community else subdistrict.name},
            code="outside_scope",
            field="community",
        )
    return community, subdistrict
