"""Django admin for users: the role and the place in the hierarchy, lock status, and an unlock
action. Staff accounts are managed here by superusers (and with ``linli create_staff``)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from linli.accounts import services
from linli.accounts.models import ApiToken, PhoneCode, User
from linli.core.masking import mask_phone
from linli.core.personal import record_personal_view


@admin.register(User)
class UserAdmin(DjangoUserAdmin[User]):
    list_display = (
        "username",
        "real_name",
        "role",
        "district",
        "subdistrict",
        "community",
        "station",
        "is_active",
        "locked_display",
    )
    list_filter = ("role", "district", "is_active", "is_superuser")
    search_fields = ("username", "real_name", "phone")
    list_select_related = ("district", "subdistrict", "community", "station")
    raw_id_fields = ("station", "organisation")
    readonly_fields = (
        "last_login",
        "date_joined",
        "failed_logins",
        "last_failed_login",
        "locked_until",
    )
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Person"), {"fields": ("real_name", "phone", "email")}),
        (
            _("Role and scope"),
            {"fields": ("role", "district", "subdistrict", "community", "station", "organisation")},
        ),
        (
            _("Access"),
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        (
            _("Login"),
            {
                "fields": (
                    "last_login",
                    "date_joined",
                    "failed_logins",
                    "last_failed_login",
                    "locked_until",
                )
            },
        ),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("username", "password1", "password2")}),
        (
            _("Role and scope"),
            {"fields": ("role", "district", "subdistrict", "community", "station")},
        ),
    )
    actions = ("unlock",)

    @admin.display(description=_("locked"), boolean=True)
    def locked_display(self, user: User) -> bool:
        return user.is_locked(timezone.now())

    @admin.action(description=_("Unlock the selected accounts"))
    def unlock(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        assert isinstance(request.user, User)
        count = 0
        for user in queryset:
            services.unlock_user(user, actor=request.user, request=request)
            count += 1
        self.message_user(
            request,
            ngettext("%(count)d account unlocked.", "%(count)d accounts unlocked.", count)
            % {"count": count},
            messages.SUCCESS,
        )

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        # The change page shows the phone number and name in full: that is a view of personal
        # data and goes into the audit log (GET only; a save is audited as a change).
        user = self.get_object(request, object_id)
        if request.method == "GET" and user is not None:
            record_personal_view(
                request,
                user,
                fields=["real_name", "phone", "email"],
                object_repr=mask_phone(user.username) if user.is_resident else user.username,
            )
        return super().change_view(request, object_id, form_url, extra_context)


@admin.register(PhoneCode)
class PhoneCodeAdmin(admin.ModelAdmin[PhoneCode]):
    """Read-only: support staff can see whether codes were sent and tried, never the code."""

    list_display = ("masked_phone", "district", "created_at", "expires_at", "attempts", "used")
    list_filter = ("district", "used")
    fields = ("district", "created_at", "expires_at", "attempts", "used")
    readonly_fields = fields

    @admin.display(description=_("mobile"))
    def masked_phone(self, code: PhoneCode) -> str:
        return mask_phone(code.phone)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin[ApiToken]):
    """Everyone's API tokens, read-only, with one action: revoke (e.g. a leaked token)."""

    list_display = (
        "prefix",
        "name",
        "owner",
        "read_only",
        "created_at",
        "expires_at",
        "last_used_at",
        "revoked_at",
    )
    list_filter = ("read_only",)
    search_fields = ("prefix", "name", "owner__username")
    readonly_fields = (
        "owner",
        "name",
        "prefix",
        "read_only",
        "created_at",
        "expires_at",
        "last_used_at",
        "revoked_at",
    )
    exclude = ("token_hash",)
    actions = ("revoke",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # tokens are created by their owners, who see the secret once

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # revoked tokens stay, so the audit log can name them

    @admin.action(description=_("Revoke the selected tokens"))
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        count = services.revoke_api_tokens_as_superuser(
            actor=request.user,  # type: ignore[arg-type]  # the admin lets only superusers in
            tokens=queryset,
            request=request,
        )
        self.message_user(request, _("%(count)s token(s) revoked.") % {"count": count})
