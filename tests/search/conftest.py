"""An in-memory Elasticsearch-compatible server (osmem-server) for the search tests.

One server per test session (it starts in milliseconds); every test gets a clone of its own on
another port, an alias of its own, and settings pointing at it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from osmem_server import OsmemClone, OsmemServer

from search.elastic import ElasticBackend


@pytest.fixture(scope="session")
def osmem_server() -> Iterator[OsmemServer]:
    """Overrides the plugin's fixture: no seed, and no Japanese analysis (faster start)."""
    server = OsmemServer.start(japanese=False)
    yield server
    server.close()


@pytest.fixture
def elastic_url(osmem_clone: OsmemClone, settings: Any) -> str:
    """This test's own clone, with the settings of the Elasticsearch backend pointing at it."""
    settings.ELASTICSEARCH_URL = osmem_clone.url
    settings.SEARCH_BACKEND = "elasticsearch"
    settings.SEARCH_INDEX_ALIAS = f"cases-{uuid.uuid4().hex[:12]}"
    # osmem-server refuses the Elasticsearch 8 client's compatibility media type.
    settings.SEARCH_ES_PLAIN_JSON = True
    return osmem_clone.url


@pytest.fixture
def elastic(elastic_url: str) -> ElasticBackend:
    """The backend with its index and alias created."""
    backend = ElasticBackend()
    backend.ensure_index()
    return backend
