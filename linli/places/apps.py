from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PlacesConfig(AppConfig):
    name = "linli.places"
    label = "places"
    verbose_name = _("Places and stations")

    def ready(self) -> None:
        # The receivers that bump Station.updated_at (the resident pages' cache version) must be
        # connected in every process — web, task worker and management commands alike.
        from linli.places.receivers import connect_receivers

        connect_receivers()
