from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CobuildConfig(AppConfig):
    name = "linli.cobuild"
    label = "cobuild"
    verbose_name = _("Co-construction day")

    def ready(self) -> None:
        from linli.cobuild import receivers

        receivers.connect()
