"""URL map: resident pages at the root, the staff console under /console/, the API under /api/."""

from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path

from linli.api import api
from linli.core.views import favicon

urlpatterns: list[URLPattern | URLResolver] = [
    path("favicon.ico", favicon),
    path("", include("linli.places.urls_resident")),
    path("console/", include("linli.places.urls_console")),
    path("console/planning/", include("linli.planning.urls")),
    path("console/activities/", include("linli.activities.urls_console")),
    path("activities/", include("linli.activities.urls_resident")),
    path("console/cobuild/", include("linli.cobuild.urls")),
    path("console/audit/", include("linli.core.urls")),
    path("", include("linli.needs.urls")),
    path("console/kiosks/", include("linli.kiosks.urls")),
    path("health/", include("linli.kiosks.urls_resident")),
    path("accounts/", include("linli.accounts.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/", api.urls),
    path("admin/", admin.site.urls),
]
if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
