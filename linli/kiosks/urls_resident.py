"""The resident's own health readings, mounted at /health/ (app_name "kiosks_resident")."""

from django.urls import path

from linli.kiosks import views_resident as views

app_name = "kiosks_resident"
urlpatterns = [
    path("", views.my_health, name="mine"),
    path("export.csv", views.export_mine, name="export"),
    path("consent/", views.consent, name="consent"),
]
