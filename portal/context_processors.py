from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.urls import translate_url


def portal(request: HttpRequest) -> dict[str, Any]:
    """Values every page's layout needs.

    ``language_links`` gives, for each other language, the current page's
    address in that language: ``set_language`` runs outside the language
    prefix and could not translate an ``/en/...`` address itself.
    """
    path = request.get_full_path()
    active = getattr(request, "LANGUAGE_CODE", settings.LANGUAGE_CODE)
    links = [(code, translate_url(path, code)) for code, _name in settings.LANGUAGES if code != active]
    return {
        "current_path": path,
        "language_links": links,
        # The maps' background tiles (empty: points without tiles, nothing fetched).
        "map_tile_url": settings.MAP_TILE_URL,
        "map_tile_attribution": settings.MAP_TILE_ATTRIBUTION,
    }
