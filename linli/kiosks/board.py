"""The e-newspaper board's feed (电子阅报栏): what staff publish, what each board shows.

Staff publish posts (policies, notices, warnings) to one hut — its keeper or an editor in
scope — or, editors only, to every hut of their own scope (community, subdistrict or district).
A board fetches its feed with a signed ``GET /api/kiosks/device/feed``: the posts in force for
its hut, newest first (warnings first), and the time of the fetch is recorded on the device so
the hut page can say when the board last fetched it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.db.models import Case, IntegerField, Q, QuerySet, Value, When
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from linli.accounts.models import EDITOR_ROLES, AnyUser, User
from linli.core import audit
from linli.core.exceptions import Forbidden, LinliError, NotFound
from linli.core.models import AuditEntry
from linli.kiosks import permissions
from linli.kiosks.models import BoardPost, Device, DeviceKind
from linli.kiosks.services import SignedRequest, authenticate_device
from linli.places.models import Station
from linli.places.permissions import can_change_station

TITLE_MAX = 100
BODY_MAX = 2000


def posts_in_force(hut: Station, *, now: dt.datetime | None = None) -> QuerySet[BoardPost]:
    """The posts a hut's boards show now: warnings first, then newest first."""
    now = now or timezone.now()
    aimed = Q(station=hut) | Q(
        Q(station__isnull=True, district_id=hut.district_id)
        & (Q(subdistrict__isnull=True) | Q(subdistrict_id=hut.subdistrict_id))
        & (Q(community__isnull=True) | Q(community_id=hut.community_id))
    )
    return (
        BoardPost.objects.filter(aimed, withdrawn_at__isnull=True, published_at__lte=now)
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
        .annotate(
            urgent=Case(
                When(kind=BoardPost.Kind.WARNING, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            )
        )
        .order_by("urgent", "-published_at", "-pk")
    )


def posts_for_user(user: AnyUser) -> QuerySet[BoardPost]:
    """Posts the user may see in the console: those aimed at a hut he sees, or at his scope
    or a scope containing it (a keeper sees what the district published to all huts)."""
    huts = permissions.huts_for_user(user)
    if not isinstance(user, User) or not user.is_authenticated:
        return BoardPost.objects.none()
    own = Q(station__isnull=True, district_id=user.district_id)
    if user.subdistrict_id:
        own &= Q(subdistrict__isnull=True) | Q(subdistrict_id=user.subdistrict_id)
    if user.community_id:
        own &= Q(community__isnull=True) | Q(community_id=user.community_id)
    scope = Q(station__isnull=True, district_id=user.district_id)
    if user.community_id:
        scope &= Q(community_id=user.community_id)
    elif user.subdistrict_id:
        scope &= Q(subdistrict_id=user.subdistrict_id)
    return BoardPost.objects.filter(Q(station__in=huts) | own | scope).distinct()


def _clean(
    kind: str, title: str, body: str, expires_at: dt.datetime | None, now: dt.datetime
) -> tuple[str, str]:
    title, body = title.strip(), body.strip()
    if kind not in BoardPost.Kind.values:
        raise LinliError(_("Choose policy, notice or warning."), code="invalid", field="kind")
    if not title:
        raise LinliError(_("Give the post a title."), code="required", field="title")
    if len(title) > TITLE_MAX:
        raise LinliError(
            _("The title is longer than %(n)s characters.") % {"n": TITLE_MAX},
            code="too_long",
            field="title",
        )
    if not body:
        raise LinliError(_("Write the text of the post."), code="required", field="body")
    if len(body) > BODY_MAX:
        raise LinliError(
            _("The text is longer than %(n)s characters.") % {"n": BODY_MAX},
            code="too_long",
            field="body",
        )
    if expires_at is not None and expires_at <= now:
        raise LinliError(
            _("The post would never be shown: 'shown until' is in the past."),
            code="invalid",
            field="expires_at",
        )
    return title, body


def publish_post(
    *,
    actor: User,
    hut: Station | None,
    kind: str,
    title: str,
    body: str,
    expires_at: dt.datetime | None = None,
    now: dt.datetime | None = None,
    request: HttpRequest | None = None,
) -> BoardPost:
    """Publish a post to one hut's boards, or (``hut`` None, editors) to every hut in scope."""
    now = now or timezone.now()
    title, body = _clean(kind, title, body, expires_at, now)
    with transaction.atomic():
        if hut is not None:
            target = permissions.huts_for_user(actor).filter(pk=hut.pk).first()
            if target is None:
                raise NotFound(_("No such smart hut."))
            if not can_change_station(actor, target):
                raise Forbidden(_("Only the hut's keeper and administrators may publish here."))
            scope: dict[str, Any] = {
                "district_id": target.district_id,
                "subdistrict_id": target.subdistrict_id,
                "community_id": target.community_id,
                "station": target,
            }
        else:
            if not (actor.is_superuser or actor.role in EDITOR_ROLES):
                raise Forbidden(_("Only administrators may publish to every hut of their area."))
            scope = {
                "district_id": actor.district_id,
                "subdistrict_id": actor.subdistrict_id,
                "community_id": actor.community_id,
                "station": None,
            }
        post = BoardPost.objects.create(
            **scope,
            kind=kind,
            title=title,
            body=body,
            published_at=now,
            expires_at=expires_at,
            author=actor,
        )
        audit.record(
            actor=actor,
            action=AuditEntry.Action.CREATE,
            obj=post,
            district_id=post.district_id,
            request=request,
            changes={"kind": kind, "title": title},
        )
    return post


def withdraw_post(
    *,
    actor: User,
    post: BoardPost,
    now: dt.datetime | None = None,
    request: HttpRequest | None = None,
) -> BoardPost:
    """Take a post off the boards (its author's scope: the hut's keeper or an editor)."""
    now = now or timezone.now()
    with transaction.atomic():
        # Locked by primary key: PostgreSQL refuses FOR UPDATE on the scope query's DISTINCT.
        locked = (
            BoardPost.objects.select_for_update()
            .filter(pk=post.pk, pk__in=posts_for_user(actor).values("pk"))
            .first()
        )
        if locked is None:
            raise NotFound(_("No such post."))
        if not can_withdraw(actor, locked):
            raise Forbidden(_("You may not withdraw this post."))
        if locked.withdrawn_at is None:
            locked.withdrawn_at = now
            locked.save(update_fields=["withdrawn_at"])
            audit.record(
                actor=actor,
                action=AuditEntry.Action.UPDATE,
                obj=locked,
                district_id=locked.district_id,
                request=request,
                changes={"withdrawn": True},
            )
    return locked


def can_withdraw(user: AnyUser, post: BoardPost) -> bool:
    """A hut's post: who may publish there; a scope-wide one: editors of that very scope."""
    if not isinstance(user, User) or not user.is_authenticated:
        return False
    if post.station_id is not None:
        hut = permissions.huts_for_user(user).filter(pk=post.station_id).first()
        return hut is not None and can_change_station(user, hut)
    return bool(
        (user.is_superuser or user.role in EDITOR_ROLES)
        and user.district_id == post.district_id
        and (user.subdistrict_id is None or user.subdistrict_id == post.subdistrict_id)
        and (user.community_id is None or user.community_id == post.community_id)
    )


def fetch_feed(
    *, signed: SignedRequest, now: dt.datetime | None = None
) -> tuple[Device, list[BoardPost]]:
    """A board fetches its feed: the posts in force for its hut; the fetch time is recorded."""
    now = now or timezone.now()
    with transaction.atomic():
        device = authenticate_device(signed, now=now)
        if device.kind != DeviceKind.E_NEWSPAPER:
            raise LinliError(_("Only e-newspaper boards fetch the feed."), code="not_a_board")
        Device.objects.filter(pk=device.pk).update(feed_fetched_at=now)
        device.feed_fetched_at = now
        hut = Station.objects.get(pk=device.station_id)
        posts = list(posts_in_force(hut, now=now)[:50])
    return device, posts


def hut_boards(hut: Station) -> list[Device]:
    """The hut's e-newspaper boards (for "last fetched …" on the hut page)."""
    return list(Device.objects.filter(station=hut, kind=DeviceKind.E_NEWSPAPER))
