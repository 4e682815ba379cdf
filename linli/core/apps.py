from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "linli.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        from django.urls import register_converter

        from linli.core import checks  # noqa: F401  (registers the system checks)
        from linli.core.limits import IdConverter

        # <id:pk> in every app's urls.py: ids that fit the database, else 404 (not a 500).
        register_converter(IdConverter, "id")
