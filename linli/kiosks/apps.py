from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KiosksConfig(AppConfig):
    """智慧小屋 — smart huts, their devices, the device API and health readings."""

    name = "linli.kiosks"
    verbose_name = _("Smart huts")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from linli.kiosks import checks  # noqa: F401 — registers the start-up checks
