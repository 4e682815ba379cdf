"""Linli's URLs plus ``/bench/bare/`` (the cheapest Django response) and the ingest peers."""

from django.http import HttpRequest, HttpResponse
from django.urls import path

from bench import ingest_peers
from linli.urls import urlpatterns as linli_urlpatterns


def bare(request: HttpRequest) -> HttpResponse:
    return HttpResponse(b"ok", content_type="text/plain")


urlpatterns = [
    path("bench/bare/", bare),
    # bench/ingest.py's peers: the device API's work with another INSERT.
    path("bench/ingest/orm", ingest_peers.orm),
    path("bench/ingest/values", ingest_peers.values),
    path("bench/ingest/unnest", ingest_peers.unnest),
    path("bench/ingest/staged", ingest_peers.staged),
    *linli_urlpatterns,
]
