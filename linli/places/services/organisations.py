"""Organisations (服务组织) that provide services."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from linli.accounts.models import AnyUser
from linli.core import audit
from linli.core.audited import CREATE, DELETE, UPDATE, audited_change
from linli.core.exceptions import Conflict, Forbidden, NotFound
from linli.core.models import AuditEntry
from linli.places import permissions
from linli.places.models import (
    Organisation,
    Service,
)
from linli.places.services._scope import resolve_district
from linli.places.services.validators import (
    _invalid,
    _require_text,
    clean_credit_code,
    clean_organisation_email,
    clean_organisation_phone,
    clean_organisation_website,
)

# --------------------------------------------------------------------------------------------
# Organisations (服务组织)
#
# Organisations are district-wide: who may change them is ``permissions.can_change_organisations``
# (district admins and subdistrict staff). Saving an organisation, or a service whose provider
# changes, fires the receivers in ``linli.places.queries`` that touch the stations showing it, so
# resident pages and the HSDS lists show the new name at once. ``merge_organisations`` therefore
# saves each moved service one by one rather than with ``QuerySet.update`` (which sends no signal).

ORGANISATION_FIELDS = ("name", "kind", "description", "credit_code", "phone", "email", "website")


@dataclass(frozen=True, kw_only=True)
class OrganisationInput:
    """What staff enter for an organisation; the service normalises and checks every field."""

    name: str
    kind: str = Organisation.Kind.SOCIAL
    description: str = ""
    credit_code: str = ""
    phone: str = ""
    email: str = ""
    website: str = ""


def _name_key(name: str) -> str:
    """Names that differ only in width, case or spaces are the same organisation."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", name)).casefold()


def _clean_organisation(data: OrganisationInput) -> dict[str, Any]:
    name = re.sub(r"\s+", " ", data.name).strip()
    _require_text(name, field_name="name", label=_("Name"))
    if len(name) > 150:
        raise _invalid(
            _("The name is longer than 150 characters."), code="invalid", field_name="name"
        )
    if data.kind not in Organisation.Kind.values:
        raise _invalid(_("Unknown organisation kind."), code="invalid", field_name="kind")
    return {
        "name": name,
        "kind": data.kind,
        "description": data.description.strip(),
        "credit_code": clean_credit_code(data.credit_code),
        "phone": clean_organisation_phone(data.phone),
        "email": clean_organisation_email(data.email),
        "website": clean_organisation_website(data.website),
    }


def _organisation_snapshot(organisation: Organisation) -> dict[str, Any]:
    return {field: getattr(organisation, field) for field in ORGANISATION_FIELDS}


def _refuse_duplicate(district_id: int, values: dict[str, Any], *, exclude_pk: int | None) -> None:
    others = Organisation.objects.filter(district_id=district_id)
    if exclude_pk is not None:
        others = others.exclude(pk=exclude_pk)
    key = _name_key(values["name"])
    for other_pk, other_name in others.values_list("pk", "name"):
        if _name_key(other_name) == key:
            raise Conflict(
                _(
                    "The district already has an organisation named “%(name)s”. Open it and edit "
                    "it, or merge this one into it."
                )
                % {"name": other_name},
                code="duplicate_organisation",
                field="name",
                existing=other_pk,
            )
    code = values["credit_code"]
    if code:
        same = others.filter(credit_code=code).first()
        if same is not None:
            raise Conflict(
                _("“%(name)s” already has the credit code %(code)s; is it the same organisation?")
                % {"name": same.name, "code": code},
                code="duplicate_credit_code",
                field="credit_code",
                existing=same.pk,
            )


def _require_organisation_editor(actor: AnyUser) -> None:
    if not permissions.can_change_organisations(actor):
        raise Forbidden(_("You may not change organisations."), code="forbidden")


def _locked_organisation(actor: AnyUser, organisation: Organisation) -> Organisation:
    _require_organisation_editor(actor)
    locked = (
        permissions.organisations_for_user(actor)
        .select_for_update()
        .filter(pk=organisation.pk)
        .first()
    )
    if locked is None:
        raise NotFound(_("No such organisation."), code="not_found")
    return locked


def create_organisation(
    *, actor: AnyUser, data: OrganisationInput, request: HttpRequest | None = None
) -> Organisation:
    """Create an organisation in the actor's district (district admins, subdistrict staff)."""
    _require_organisation_editor(actor)
    district = resolve_district(actor)
    values = _clean_organisation(data)
    with audited_change(
        actor=actor,
        action=CREATE,
        lock=lambda: Organisation(district=district, **values),
        snapshot=_organisation_snapshot,
        fields=ORGANISATION_FIELDS,
        request=request,
    ) as change:
        _refuse_duplicate(district.pk, values, exclude_pk=None)
        change.obj.save()
    return change.obj


def update_organisation(
    *,
    actor: AnyUser,
    organisation: Organisation,
    data: OrganisationInput,
    request: HttpRequest | None = None,
) -> Organisation:
    """Replace an organisation's details; every station showing its services is refreshed."""
    values = _clean_organisation(data)
    with audited_change(
        actor=actor,
        action=UPDATE,
        lock=lambda: _locked_organisation(actor, organisation),
        snapshot=_organisation_snapshot,
        fields=ORGANISATION_FIELDS,
        request=request,
    ) as change:
        locked = change.obj
        _refuse_duplicate(locked.district_id, values, exclude_pk=locked.pk)
        if audit.diff(change.before, values, fields=ORGANISATION_FIELDS):
            for field, value in values.items():
                setattr(locked, field, value)
            locked.save()
    return change.obj


def delete_organisation(
    *, actor: AnyUser, organisation: Organisation, request: HttpRequest | None = None
) -> None:
    """Remove an organisation that provides no service; a provider is merged, not deleted.

    Deleting a provider would silently blank the provider of its services (the foreign key is
    ``SET_NULL``), so it is refused and the console offers ``merge_organisations`` instead.
    """
    with audited_change(
        actor=actor,
        action=DELETE,
        lock=lambda: _locked_organisation(actor, organisation),
        snapshot=_organisation_snapshot,
        fields=ORGANISATION_FIELDS,
        request=request,
        delete=True,
    ) as change:
        count = Service.objects.filter(organisation=change.obj).count()
        if count:
            raise Conflict(
                _(
                    "“%(name)s” provides %(count)s service(s), so it cannot be deleted. Merge it "
                    "into the organisation that should provide them instead."
                )
                % {"name": change.obj.name, "count": count},
                code="organisation_in_use",
                services=count,
            )


def merge_organisations(
    *,
    actor: AnyUser,
    source: Organisation,
    target: Organisation,
    request: HttpRequest | None = None,
) -> int:
    """Move every service of ``source`` to ``target``, then delete ``source``; the count moved.

    The usual fix when two sheets spelled one provider two ways (红十字会 / 市红十字会). Details
    that ``target`` lacks (description, credit code, phone, e-mail, website) are taken from
    ``source``, so nothing typed in is lost; ``target``'s own values win. Each moved service gets
    its own audit entry, so its history shows the provider change, besides one entry for the
    kept organisation and one for the removed one.
    """
    if source.pk == target.pk:
        raise _invalid(
            _("Choose another organisation to merge into."),
            code="same_organisation",
            field_name="target",
        )
    with transaction.atomic():
        _require_organisation_editor(actor)
        # Lock both in primary-key order, so two opposite merges cannot deadlock.
        locked = {
            org.pk: org
            for org in permissions.organisations_for_user(actor)
            .select_for_update()
            .filter(pk__in=[source.pk, target.pk])
            .order_by("pk")
        }
        if source.pk not in locked or target.pk not in locked:
            raise NotFound(_("No such organisation."), code="not_found")
        old, new = locked[source.pk], locked[target.pk]
        if old.district_id != new.district_id:
            raise NotFound(_("No such organisation."), code="not_found")
        moved = list(Service.objects.select_for_update().filter(organisation=old).order_by("pk"))
        for service in moved:
            service.organisation = new
            # One save per service: its post_save receiver refreshes the stations offering it.
            service.save(update_fields=["organisation"])
            audit.record(
                actor=actor,
                action=AuditEntry.Action.UPDATE,
                obj=service,
                request=request,
                changes={"organisation": [old.name, new.name]},
            )
        before = _organisation_snapshot(new)
        for field in ("description", "credit_code", "phone", "email", "website"):
            if not getattr(new, field) and getattr(old, field):
                setattr(new, field, getattr(old, field))
        changes = audit.diff(before, _organisation_snapshot(new), fields=ORGANISATION_FIELDS)
        if changes:
            new.save()
        audit.record(
            actor=actor,
            action=AuditEntry.Action.UPDATE,
            obj=new,
            request=request,
            changes={
                **changes,
                "merged_from": [None, old.name],
                "services": [None, [s.name for s in moved]],
            },
        )
        audit.record(
            actor=actor,
            action=AuditEntry.Action.DELETE,
            obj=old,
            request=request,
            changes={
                **audit.diff(_organisation_snapshot(old), {}, fields=ORGANISATION_FIELDS),
                "merged_into": [None, new.name],
            },
        )
        old.delete()
    return len(moved)
