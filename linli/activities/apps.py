from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ActivitiesConfig(AppConfig):
    name = "linli.activities"
    label = "activities"
    verbose_name = _("Activities and volunteer service")

    def ready(self) -> None:
        # The station and home pages of linli.places show what is on through the page parts
        # registered here (places may not import activities: it is the lower layer).
        from linli.activities import receivers

        receivers.connect()
