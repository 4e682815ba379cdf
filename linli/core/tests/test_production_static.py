"""docs/deploy.md step one: collectstatic with the production (manifest) storage, then pages."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client


@pytest.mark.django_db
def test_collectstatic_with_the_manifest_storage_and_a_page_after_it(
    tmp_path: Path, settings: Any, hierarchy: Any
) -> None:
    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        # whitenoise's CompressedManifestStaticFilesStorage (production) is this plus compression.
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
    }
    call_command("collectstatic", interactive=False, verbosity=0)

    paths = json.loads((tmp_path / "staticfiles.json").read_text())["paths"]
    for name in (
        "vendor/leaflet/leaflet.js",
        "vendor/leaflet/leaflet.css",
        "vendor/leaflet/images/marker-icon.png",
        "vendor/alpine-csp/alpine-csp.min.js",
    ):
        assert name in paths
    response = Client().get(f"/stations/{hierarchy.station_xingfu.pk}/")
    assert response.status_code == 200
    assert paths["vendor/leaflet/leaflet.js"] in response.content.decode()
