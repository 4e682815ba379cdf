"""Linli's URLs plus ``/bench/bare/``: the cheapest Django response, the yardstick."""

from django.http import HttpRequest, HttpResponse
from django.urls import path

from linli.urls import urlpatterns as linli_urlpatterns


def bare(request: HttpRequest) -> HttpResponse:
    return HttpResponse(b"ok", content_type="text/plain")


urlpatterns = [path("bench/bare/", bare), *linli_urlpatterns]
