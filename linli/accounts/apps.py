from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "linli.accounts"
    label = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        from linli.accounts import checks, receivers  # noqa: F401  (system checks, login audit)
        from linli.accounts.models import Role
        from linli.core.queries import register_value_labels

        register_value_labels("role", Role.choices)
