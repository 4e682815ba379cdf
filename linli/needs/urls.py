"""Needs' pages (namespace ``needs``): residents under /needs/, staff under /console/needs/.

linli/urls.py includes this module once at the root.
"""

from django.urls import path, re_path

from linli.needs import open311
from linli.needs import views_console as console
from linli.needs import views_public as public
from linli.needs import views_resident as resident

app_name = "needs"
urlpatterns = [
    path("needs/", resident.my_needs, name="mine"),
    path("needs/new/", resident.need_new, name="new"),
    path("needs/mine/<id:pk>/", resident.my_need_detail, name="mine_detail"),
    path("needs/<id:pk>/follow/", resident.follow, name="follow"),
    path("needs/public/", resident.public_timeline, name="public"),
    path("needs/public/<id:pk>/", resident.public_need, name="public_detail"),
    path("needs/public/services/", public.service_market, name="services_public"),
    path("needs/public/evaluations/", public.evaluations, name="evaluations_public"),
    path("needs/public/stations/<id:pk>/", public.station_page, name="station_public"),
    path("needs/public/stations/<id:pk>/qr.svg", public.station_qr, name="station_qr"),
    path("console/needs/moderation/", console.moderation, name="console_moderation"),
    re_path(r"^open311/v2/services\.(?P<fmt>[a-z]+)$", open311.services_list, name="o311_services"),
    re_path(
        r"^open311/v2/services/(?P<code>[\w-]+)\.(?P<fmt>[a-z]+)$",
        open311.service_definition,
        name="o311_service",
    ),
    re_path(r"^open311/v2/requests\.(?P<fmt>[a-z]+)$", open311.requests, name="o311_requests"),
    re_path(
        r"^open311/v2/requests/(?P<pk>\d+)\.(?P<fmt>[a-z]+)$",
        open311.request_detail,
        name="o311_request",
    ),
    re_path(
        r"^open311/v2/tokens/(?P<token>[\w-]+)\.(?P<fmt>[a-z]+)$",
        open311.token_detail,
        name="o311_token",
    ),
    path("console/needs/open311/", console.api_clients, name="console_api_clients"),
    path("console/needs/routing/", console.routing_rules, name="console_routing"),
    path("console/needs/", console.need_list, name="console_list"),
    path("console/needs/new/", console.need_new, name="console_new"),
    path("console/needs/rates/", console.rates, name="console_rates"),
    path("console/needs/<id:pk>/", console.need_detail, name="console_detail"),
]
