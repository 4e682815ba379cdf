from django.urls import path

from linli.places import views_console as views

app_name = "console"
urlpatterns = [
    path("", views.home, name="home"),
]
