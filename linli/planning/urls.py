from django.urls import path

from linli.planning import views

app_name = "planning"
urlpatterns = [
    path("", views.index, name="index"),
]
