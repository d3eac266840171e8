"""Search and public-opinion monitoring: one interface (``search.base``), two backends."""

from __future__ import annotations

from typing import Any


def get_backend() -> Any:
    """The configured backend: the search engine when its URL is set, else the database."""
    from django.conf import settings

    if settings.SEARCH_BACKEND == "engine":
        from search.elastic import ElasticBackend

        return ElasticBackend()
    from search.database import DatabaseBackend

    return DatabaseBackend()
