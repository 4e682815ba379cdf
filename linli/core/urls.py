from django.urls import path

from linli.core import views

app_name = "audit"
urlpatterns = [
    path("", views.audit_log, name="log"),
]
