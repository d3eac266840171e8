"""The search tests' engine: the run's real OpenSearch (tests/search_engine.py), an alias per test."""

from __future__ import annotations

import pytest

from search.elastic import ElasticBackend


@pytest.fixture
def elastic_url(search_engine: str) -> str:
    """Settings pointing at the real engine, with this test's own alias (no index yet)."""
    return search_engine


@pytest.fixture
def elastic(elastic_url: str) -> ElasticBackend:
    """The backend with its index and alias created."""
    backend = ElasticBackend()
    backend.ensure_index()
    return backend
