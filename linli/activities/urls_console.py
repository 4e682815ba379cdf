"""Console pages of activities, mounted at /console/activities/ (app_name "activities_console")."""

from django.urls import path

from linli.activities import views_console as views
from linli.activities import views_duty

app_name = "activities_console"
urlpatterns = [
    path("", views.activity_list, name="list"),
    path("new/", views.activity_create, name="new"),
    path("<int:pk>/", views.activity_detail, name="detail"),
    path("<int:pk>/edit/", views.activity_edit, name="edit"),
    path("<int:pk>/cancel/", views.activity_cancel, name="cancel"),
    path("<int:pk>/sessions/<str:key>/door/", views.door, name="door"),
    path("<int:pk>/sessions/<str:key>/roll/", views.roll, name="roll"),
    path("signups/<int:pk>/cancel/", views.signup_cancel, name="signup_cancel"),
    path("checkins/<int:pk>/out/", views.checkout, name="checkout"),
    path("ticks/", views.ticks, name="ticks"),
    path("counts/", views.counts, name="counts"),
    path("counts/people/", views.people, name="people"),
    path("registrations/", views_duty.registrations, name="registrations"),
    path("registrations/<int:pk>/decide/", views_duty.decide, name="decide"),
    path("registrations/feedback/", views_duty.feedback_page, name="feedback"),
    path("records/", views_duty.records, name="records"),
    path("records/<int:pk>/confirm/", views_duty.confirm, name="confirm"),
]
