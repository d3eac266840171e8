"""Search and public-opinion monitoring: one interface (``search.base``), two backends."""

from __future__ import annotations

from typing import Any


def get_backend() -> Any:
    """The configured backend: Elasticsearch when ``ELASTICSEARCH_URL`` is set, else the database."""
    from django.conf import settings

    if settings.SEARCH_BACKEND == "elasticsearch":
        from search.elastic import ElasticBackend

        return ElasticBackend()
    from search.database import DatabaseBackend

    return DatabaseBackend()
