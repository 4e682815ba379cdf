"""志愿服务记录证明 — the service-hours certificate, as the national rules ask for it.

The rules (民政部《志愿服务记录与证明出具办法（试行）》 and 民发〔2015〕149号) say who certifies and
what a certificate carries. "Who records, certifies" (谁记录谁证明): a community certifies only the
hours confirmed in that community. A certificate carries:

- the volunteer's identity: name, identity document (checked and filled in by hand at the
  counter: Linli does not keep identity numbers), the volunteer number;
- the service: the period, the confirmed hours, what was done;
- the issuer: its name, the person in charge and the person handling it (signed by hand),
  contact details;
- the certificate's serial number, the date of issue, and anything else to note.

Each certificate is registered (``VolunteerCertificate``) under a serial number
``ZYZM-<community code>-<year>-<n>`` before its PDF is drawn, so the number in the file is on
record. A volunteer gets their own; the community's editors may issue one for a volunteer who
served there; anyone else asking for someone's certificate is refused and nothing is recorded.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.db.models import Count, Max, Min, QuerySet, Sum
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from linli.accounts.models import AnyUser, User
from linli.accounts.scopes import is_signed_in, is_staff, scope_q
from linli.activities import duty
from linli.activities.models import ServiceRecord, VolunteerCertificate
from linli.areas.models import Community
from linli.core import audit, pdf
from linli.core.exceptions import Forbidden
from linli.core.limits import one_or_404
from linli.core.masking import mask_phone
from linli.places.models import Station


def certificates_for_user(user: AnyUser) -> QuerySet[VolunteerCertificate]:
    """Certificates ``user`` may read: staff those of their scope, a volunteer their own."""
    if is_staff(user):
        return VolunteerCertificate.objects.filter(scope_q(user.scope, station=None))
    if is_signed_in(user):
        return VolunteerCertificate.objects.filter(volunteer=user)
    return VolunteerCertificate.objects.none()


def get_certificate_for_user(user: AnyUser, pk: object) -> VolunteerCertificate:
    """The certificate ``pk`` if ``user`` may read it, else 404."""
    return one_or_404(
        certificates_for_user(user).select_related("volunteer", "community__subdistrict"),
        pk,
        missing="No such certificate.",
    )


def confirmed_by_community(user: User) -> list[tuple[Community, Decimal]]:
    """The communities where ``user`` has confirmed hours, with those hours (for certificates)."""
    rows = (
        ServiceRecord.objects.filter(volunteer=user, status=ServiceRecord.Status.CONFIRMED)
        .values("community_id")
        .annotate(hours=Sum("hours"))
        .order_by("community_id")
    )
    hours = {r["community_id"]: Decimal(r["hours"]).quantize(Decimal("0.01")) for r in rows}
    communities = Community.objects.filter(pk__in=hours).order_by("code")
    return [(c, hours[c.pk]) for c in communities]


def volunteer_number(user: User) -> str:
    """The volunteer's number on the platform (stable: the district and the account)."""
    return f"LL{user.district_id or 0:03d}{user.pk:08d}"


def may_certify_for(actor: AnyUser, volunteer: User, community: Community) -> bool:
    """The volunteer themself, or an editor of ``community``."""
    if not (actor.is_authenticated and actor.is_active):
        return False
    return actor.pk == volunteer.pk or duty.may_decide(actor, community.pk)


def refused_for_someone_else() -> Forbidden:
    return Forbidden(
        _("A certificate is issued to the volunteer themself or by their community's staff.")
    )


def issue_certificate(
    *,
    actor: AnyUser,
    volunteer: User,
    community: Community,
    request: HttpRequest | None = None,
) -> VolunteerCertificate:
    """Register a certificate of ``volunteer``'s confirmed hours in ``community``."""
    if not may_certify_for(actor, volunteer, community):
        raise refused_for_someone_else()
    with transaction.atomic():
        # One serial number at a time per community.
        Community.objects.select_for_update().get(pk=community.pk)
        confirmed = ServiceRecord.objects.filter(
            volunteer=volunteer, community=community, status=ServiceRecord.Status.CONFIRMED
        )
        totals = confirmed.aggregate(
            hours=Sum("hours"), count=Count("pk"), first=Min("started_at"), last=Max("ended_at")
        )
        if not totals["count"]:
            raise duty.DutyRefused(
                _("%(community)s has no confirmed service hours of this volunteer to certify.")
                % {"community": community.name},
                field="community",
            )
        hours = Decimal(totals["hours"]).quantize(Decimal("0.01"))
        latest = (
            VolunteerCertificate.objects.filter(volunteer=volunteer, community=community)
            .order_by("-issued_at", "-pk")
            .first()
        )
        if latest is not None and (latest.hours, latest.duties) == (hours, totals["count"]):
            return latest  # nothing new since: the same certificate, not another number
        now = timezone.now()
        year = timezone.localtime(now).year
        prefix = f"ZYZM-{community.code}-{year}-"
        issued = VolunteerCertificate.objects.filter(serial__startswith=prefix).count()
        certificate = VolunteerCertificate.objects.create(
            serial=f"{prefix}{issued + 1:05d}",
            district_id=community.district_id,
            subdistrict_id=community.subdistrict_id,
            community=community,
            volunteer=volunteer,
            hours=hours,
            duties=totals["count"],
            period_start=timezone.localtime(totals["first"]).date(),
            period_end=timezone.localtime(totals["last"]).date(),
            issued_by=actor if actor.is_authenticated else None,
            issued_at=now,
        )
        audit.record(
            actor=actor,
            action="create",
            obj=certificate,
            changes={"serial": certificate.serial, "hours": str(certificate.hours)},
            request=request,
        )
    return certificate


def _what_was_done(certificate: VolunteerCertificate, limit: int = 6) -> str:
    """The most frequent kinds of service in the certified records, in a line."""
    rows = (
        ServiceRecord.objects.filter(
            volunteer_id=certificate.volunteer_id,
            community_id=certificate.community_id,
            status=ServiceRecord.Status.CONFIRMED,
            started_at__lt=certificate.issued_at,
        )
        .values("what")
        .annotate(n=Count("pk"))
        .order_by("-n", "what")[:limit]
    )
    return "；".join(r["what"] for r in rows)


def _contact(community: Community) -> str:
    """The public phone and address of the community's station (幸福驿站), if it lists one."""
    station = (
        Station.objects.filter(community=community)
        .exclude(phone="")
        .order_by("pk")
        .values_list("phone", "address")
        .first()
    )
    return " ".join(part for part in station if part) if station else ""


def document(certificate: VolunteerCertificate) -> bytes:
    """The certificate's PDF (A4, Chinese), drawn from its registered figures."""
    community = certificate.community
    volunteer = certificate.volunteer
    issuer = _("%(community)s residents' committee") % {"community": community.name}
    issued = timezone.localtime(certificate.issued_at)
    doc = pdf.Document(
        title=_("Certificate of volunteer service"),
        subtitle=_("No. %(serial)s") % {"serial": certificate.serial},
        author=issuer,
        made_at=certificate.issued_at,
    )
    doc.heading(_("The volunteer"), level=2)
    doc.fields(
        [
            (_("Name"), volunteer.real_name or volunteer.get_username()),
            (_("Identity document and number"), _("checked and filled in at issue: ________")),
            (_("Volunteer number"), volunteer_number(volunteer)),
            (_("Mobile"), mask_phone(volunteer.phone) or "—"),
        ],
        label_width=52,
    )
    doc.heading(_("The service"), level=2)
    doc.fields(
        [
            (
                _("Period"),
                _("%(start)s to %(end)s")
                % {
                    "start": f"{certificate.period_start:%Y-%m-%d}",
                    "end": f"{certificate.period_end:%Y-%m-%d}",
                },
            ),
            (_("Service hours"), _("%(hours)s hours") % {"hours": certificate.hours}),
            (_("Duties"), certificate.duties),
            (pgettext("service record", "What was done"), _what_was_done(certificate)),
            (_("Place"), f"{community.subdistrict.name} {community.name}"),
        ],
        label_width=52,
    )
    doc.paragraph(
        _(
            "Service hours count only the time of the service itself, not travel, and only "
            "hours confirmed by the community."
        ),
        muted=True,
    )
    doc.heading(_("The issuer"), level=2)
    doc.fields(
        [
            (_("Issued by"), issuer),
            (_("Person in charge (signature)"), "________"),
            (_("Handled by (signature)"), "________"),
            (_("Contact"), _contact(community) or "________"),
            (_("Date of issue"), f"{issued:%Y-%m-%d}"),
            (_("Certificate number"), certificate.serial),
        ],
        label_width=52,
    )
    doc.paragraph(
        _(
            "This certificate is issued under the national rules on recording and certifying "
            "volunteer service (who records, certifies). It is valid with the issuer's seal."
        ),
        muted=True,
    )
    doc.signature([_("%(issuer)s (seal)") % {"issuer": issuer}, f"{issued:%Y-%m-%d}"])
    return doc.render()
