"""Planning console URLs, mounted at /console/planning/."""

from django.urls import path

from linli.planning import views

app_name = "planning"
urlpatterns = [
    path("", views.index, name="index"),
    path("analyse/", views.start_analysis, name="start_analysis"),
    path("rules/", views.station_rules, name="station_rules"),
    path("runs/<id:pk>/", views.run_detail, name="run"),
    path("runs/<id:pk>/status/", views.run_status, name="run_status"),
    path("runs/<id:pk>/gaps/", views.gap_table, name="gap_table"),
    path("runs/<id:pk>/gaps.xlsx", views.gaps_xlsx, name="gaps_xlsx"),
    path("runs/<id:pk>/map-data.json", views.map_data, name="map_data"),
    path("runs/<id:pk>/isochrones.geojson", views.isochrones, name="isochrones"),
    path("runs/<id:pk>/map.html", views.map_html, name="map_html"),
    path("runs/<id:pk>/siting/", views.start_siting, name="start_siting"),
    path("gaps/<id:pk>/status/", views.gap_status, name="gap_status"),
    path("sitings/<id:pk>/status/", views.siting_status, name="siting_status"),
    path("sitings/premises-template.xlsx", views.premises_template, name="premises_template"),
]
