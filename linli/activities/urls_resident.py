"""Resident pages of activities, mounted at /activities/ (app_name "activities")."""

from django.urls import path

from linli.activities import views_duty
from linli.activities import views_resident as views

app_name = "activities"
urlpatterns = [
    path("", views.index, name="index"),
    path("<int:pk>/", views.detail, name="detail"),
    path("mine/", views.mine, name="mine"),
    path("signups/<int:pk>/cancel/", views.cancel, name="cancel"),
    path("checkin/<str:code>/", views.checkin, name="checkin"),
    path("communities/<int:pk>/", views.community, name="community"),
    path("feeds/stations/<int:pk>.ics", views.station_feed, name="station_feed"),
    path("feeds/communities/<int:pk>.ics", views.community_feed, name="community_feed"),
    path("feeds/people/<str:token>.ics", views.person_feed, name="person_feed"),
    path("report/", views_duty.report, name="report"),
    path("report/<int:pk>/receipt/", views_duty.receipt, name="receipt"),
    path("service/", views_duty.my_service, name="my_service"),
    path("service/certificate/", views_duty.certificate_pdf, name="certificate"),
    path("service/<int:pk>/correction/", views_duty.ask_correction, name="ask_correction"),
]
