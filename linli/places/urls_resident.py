from django.urls import path

from linli.places import views_resident as views

app_name = "resident"
urlpatterns = [
    path("", views.home, name="home"),
]
