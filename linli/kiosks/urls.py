"""Smart-hut console URLs, mounted at /console/kiosks/."""

from django.urls import path

from linli.kiosks import views

app_name = "kiosks"
urlpatterns = [
    path("", views.index, name="index"),
    path("huts/<int:pk>/", views.hut, name="hut"),
    path("faults/<int:pk>/", views.fault, name="fault"),
]
