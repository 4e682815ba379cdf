from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest


def linli(request: HttpRequest) -> dict[str, Any]:
    """Values every template may use: elderly mode and the map's tile settings."""
    return {
        "elderly": getattr(request, "elderly", False),
        "tile_url": settings.LINLI_TILE_URL,
        "tile_attribution": settings.LINLI_TILE_ATTRIBUTION,
    }
