from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PlanningConfig(AppConfig):
    name = "linli.planning"
    label = "planning"
    verbose_name = _("Planning: living circles")

    def ready(self) -> None:
        from linli.planning import receivers

        receivers.connect()
