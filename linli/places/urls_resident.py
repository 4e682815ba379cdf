"""Resident pages at the site root (app_name "resident"; linli/urls.py includes it at "")."""

from django.urls import path

from linli.core.views_prefs import set_elderly_mode
from linli.places.views import resident as views

app_name = "resident"
urlpatterns = [
    path("", views.home, name="home"),
    path("d/<str:code>/", views.district_home, name="district"),
    path("stations/<id:pk>/", views.station_detail, name="station"),
    path("map/network/<str:code>/<str:digest>.geojson", views.network_layer, name="network"),
    path("prefs/elderly/", set_elderly_mode, name="elderly"),
]
