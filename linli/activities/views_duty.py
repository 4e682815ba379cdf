"""Pages of 双报到 and the service record.

For units and party members (logged in, not staff): report to a community and read the receipt;
log a duty, see one's hours and star, ask for a correction. For staff (the console): the
registrations and service records of their scope, approve / return with a reason, confirm.
Thin: authorise through ``linli.activities.duty`` → validate → one service call → respond.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from linli.accounts.models import User
from linli.accounts.scopes import signed_in_user
from linli.activities import certificate, duty, feedback, permissions
from linli.activities.duty_forms import (
    CorrectionForm,
    FeedbackForm,
    RegistrationForm,
    ReturnForm,
    ServiceForm,
)
from linli.activities.models import Registration, ServiceRecord
from linli.core import pdf
from linli.core.exceptions import LinliError
from linli.core.limits import parse_id
from linli.core.masking import mask_phone
from linli.places.models import Community, District
from linli.places.views.console import staff_required


def _form_error(form: Any, err: LinliError) -> None:
    name = str(err.details.get("field", ""))
    form.add_error(name if name in form.fields else None, str(err.message))


def _district(request: HttpRequest) -> District | None:
    district_id = getattr(request.user, "district_id", None)
    return District.objects.filter(pk=district_id).first() if district_id else None


# ------------------------------------------------------------------------------ own pages


@require_http_methods(["GET", "POST"])
def report(request: HttpRequest) -> HttpResponse:
    """双报到: a unit liaison or party member reports to a community; their past reports."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not duty.may_report(request.user):
        raise PermissionDenied
    form = RegistrationForm(request.POST or None, district_id=request.user.district_id)
    if request.method == "POST" and form.is_valid():
        try:
            registration = duty.submit_registration(
                actor=request.user,
                data=duty.RegistrationInput(**form.cleaned_data),
                request=request,
            )
        except LinliError as err:
            _form_error(form, err)
        else:
            messages.success(
                request, _("Sent to %(community)s.") % {"community": registration.community.name}
            )
            return redirect("activities:report")
    return render(
        request,
        "activities/resident/report.html",
        {
            "district": _district(request),
            "form": form,
            "is_member": request.user.role == "party_member",
            "registrations": duty.registrations_for_user(request.user).select_related(
                "community", "organisation"
            ),
        },
    )


def receipt(request: HttpRequest, pk: int) -> HttpResponse:
    """回执 — the receipt of an approved registration, to print or show."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    registration = duty.get_registration_for_user(request.user, pk)
    if registration.status != Registration.Status.APPROVED:
        raise PermissionDenied
    return render(
        request,
        "activities/resident/receipt.html",
        {"district": registration.community.district, "registration": registration},
    )


@require_http_methods(["GET", "POST"])
def my_service(request: HttpRequest) -> HttpResponse:
    """服务记录卡: log a duty; one's records, confirmed hours and star level."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    form = ServiceForm(request.POST or None, district_id=request.user.district_id)
    if request.method == "POST" and form.is_valid():
        try:
            duty.log_service(actor=request.user, request=request, **form.cleaned_data)
        except LinliError as err:
            _form_error(form, err)
        else:
            messages.success(request, _("Your duty is logged; the community will confirm it."))
            return redirect("activities:my_service")
    standing = duty.standing(request.user)
    return render(
        request,
        "activities/resident/service.html",
        {
            "district": _district(request),
            "form": form,
            "standing": standing,
            "star_range": range(5),
            "records": duty.records_for_user(request.user)
            .filter(volunteer=request.user)
            .select_related("community")[:100],
            "correction_form": CorrectionForm(),
            "certifiable": certificate.confirmed_by_community(signed_in_user(request)),
        },
    )


@require_POST
def certificate_pdf(request: HttpRequest) -> HttpResponse:
    """志愿服务记录证明: the volunteer's certificate of confirmed hours in one community."""
    if not request.user.is_authenticated:
        return redirect_to_login(reverse("activities:my_service"))
    user = signed_in_user(request)
    community = Community.objects.filter(
        pk=parse_id(request.POST.get("community")) or 0, district_id=user.district_id or 0
    ).first()
    asked_for = request.POST.get("volunteer")
    volunteer = User.objects.filter(pk=parse_id(asked_for) or 0).first() if asked_for else user
    try:
        if community is None:
            raise duty.DutyRefused(_("Choose a community of your district."), field="community")
        if volunteer is None:
            raise certificate.refused_for_someone_else()
        issued = certificate.issue_certificate(
            actor=user, volunteer=volunteer, community=community, request=request
        )
        data = certificate.document(issued)
    except (LinliError, pdf.FontMissing) as err:
        messages.error(request, str(getattr(err, "message", err)))
        return redirect("activities:my_service")
    return pdf.response(
        data, _("Certificate of volunteer service %(serial)s.pdf") % {"serial": issued.serial}
    )


@require_POST
def ask_correction(request: HttpRequest, pk: int) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    form = CorrectionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Please say what should be corrected."))
        return redirect("activities:my_service")
    try:
        duty.request_correction(
            actor=request.user, record_id=pk, text=form.cleaned_data["text"], request=request
        )
    except LinliError as err:
        messages.error(request, str(err.message))
    else:
        messages.success(request, _("Your request has been sent to the community."))
    return redirect("activities:my_service")


# ------------------------------------------------------------------------------ console


@staff_required
def registrations(request: HttpRequest) -> HttpResponse:
    rows = (
        duty.registrations_for_user(request.user)
        .select_related("community", "organisation", "member__user")
        .order_by("status", "-submitted_at")
    )
    status = request.GET.get("status", "pending")
    if status in Registration.Status.values:
        rows = rows.filter(status=status)
    page = Paginator(rows, 30).get_page(request.GET.get("page"))
    return render(
        request,
        "activities/console/registrations.html",
        {
            "console_nav": "registrations",
            "page_title": _("Reporting units and party members"),
            "page": page,
            "status": status,
            "statuses": Registration.Status.choices,
            "return_form": ReturnForm(),
        },
    )


@staff_required
@require_POST
def decide(request: HttpRequest, pk: int) -> HttpResponse:
    """Approve (``decision=approve``) or return with a reason (``decision=return``)."""
    try:
        if request.POST.get("decision") == "approve":
            registration = duty.approve_registration(
                actor=signed_in_user(request), registration_id=pk, request=request
            )
            messages.success(
                request,
                _("Approved; receipt %(number)s.") % {"number": registration.receipt_number},
            )
        else:
            duty.return_registration(
                actor=signed_in_user(request),
                registration_id=pk,
                reason=request.POST.get("reason", ""),
                request=request,
            )
            messages.success(request, _("Returned with the reason given."))
    except LinliError as err:
        if err.code == "forbidden":
            raise PermissionDenied from err
        messages.error(request, str(err.message))
    return redirect("activities_console:registrations")


@staff_required
def records(request: HttpRequest) -> HttpResponse:
    rows = duty.records_for_user(request.user).select_related("volunteer", "community")
    if request.GET.get("status") in ServiceRecord.Status.values:
        rows = rows.filter(status=request.GET["status"])
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "activities/console/records.html",
        {
            "console_nav": "records",
            "page_title": _("Service records"),
            "page": page,
            "rows": [(r, mask_phone(r.volunteer.phone)) for r in page.object_list],
        },
    )


@staff_required
@require_POST
def confirm(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        duty.confirm_service(actor=request.user, record_id=pk, request=request)
    except LinliError as err:
        if err.code == "forbidden":
            raise PermissionDenied from err
        messages.error(request, str(err.message))
    else:
        messages.success(request, _("Confirmed."))
    return redirect("activities_console:records")


@staff_required
def feedback_page(request: HttpRequest) -> HttpResponse:
    """季度反馈: the quarter's feedback for every unit and member of the scope, as xlsx or PDF."""
    if not permissions.is_editor(request.user):
        raise PermissionDenied
    last = feedback.Quarter.of(timezone.localdate())
    form = FeedbackForm(request.GET or None, initial={"year": last.year, "quarter": last.number})
    wanted = request.GET.get("format")
    if form.is_bound and form.is_valid() and wanted in {"xlsx", "pdf"}:
        quarter = feedback.Quarter(form.cleaned_data["year"], form.cleaned_data["quarter"])
        letters = feedback.feedback_for(request.user, quarter)
        name = _("Quarterly feedback %(scope)s %(quarter)s") % {
            "scope": _scope_name(request.user),
            "quarter": quarter.slug,
        }
        if wanted == "xlsx":
            reply = HttpResponse(feedback.workbook(letters, quarter), content_type=feedback.XLSX)
            reply["Content-Disposition"] = content_disposition_header(True, f"{name}.xlsx")
            return reply
        try:
            data = feedback.document(letters, quarter, issuer=_scope_name(request.user))
        except pdf.FontMissing as err:
            messages.error(request, str(err))
        else:
            return pdf.response(data, f"{name}.pdf")
    return render(
        request,
        "activities/console/feedback.html",
        {"console_nav": "registrations", "page_title": _("Quarterly feedback"), "form": form},
    )


def _scope_name(user: Any) -> str:
    """The user's area in words: the community, subdistrict or district they work for."""
    for attr in ("community", "subdistrict", "district"):
        area = getattr(user, attr, None)
        if area is not None:
            return str(area.name)
    return ""
