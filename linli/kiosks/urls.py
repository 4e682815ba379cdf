"""Smart-hut console URLs, mounted at /console/kiosks/."""

from django.urls import path

from linli.kiosks import views

app_name = "kiosks"
urlpatterns = [
    path("", views.index, name="index"),
    path("huts/<id:pk>/", views.hut, name="hut"),
    path("faults/<id:pk>/", views.fault, name="fault"),
]
urlpatterns += [
    path("health/", views.health_index, name="health"),
    path("health/<id:pk>/", views.health_subject, name="health_subject"),
]
urlpatterns += [
    path("followups/", views.followups, name="followups"),
    path("followups/<id:pk>/", views.followup, name="followup"),
]
