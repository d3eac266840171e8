"""One real search engine (OpenSearch in a JVM, ``search.engine.launch``) for the whole test run.

The first test that needs it starts it, under a file lock, in a session of its own; every xdist
worker then reads its address from the shared folder that the run's controller made (handed to
the workers by ``pytest_configure_node``), and the controller stops it when the run ends; the JVM
also stops by itself when the controller's process ends. Each test gets an alias (and so indices) of its own,
named after its worker, and its indices are deleted after it.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from search.engine import launch


def pytest_configure(config: pytest.Config) -> None:
    if not hasattr(config, "workerinput"):  # the run's controller (or the only process)
        config._portal_search = {  # type: ignore[attr-defined]
            "dir": tempfile.mkdtemp(prefix="portal-test-search-"),
            "owner": os.getpid(),
        }


@pytest.hookimpl(optionalhook=True)  # an xdist hook: unknown without it (-p no:xdist)
def pytest_configure_node(node: Any) -> None:
    """xdist: each worker is told the controller's folder and pid (not through the environment)."""
    node.workerinput["portal_search"] = node.config._portal_search


def pytest_unconfigure(config: pytest.Config) -> None:
    shared = getattr(config, "_portal_search", None)
    if shared is None:
        return
    state = Path(shared["dir"]) / "engine.json"
    if state.exists():
        launch.stop_pid(json.loads(state.read_text())["pid"])
    shutil.rmtree(shared["dir"], ignore_errors=True)


@pytest.fixture(scope="session")
def search_engine_url(pytestconfig: pytest.Config) -> str:
    """The address of the run's engine, started by whichever worker asks first.

    It stops when the run's controller ends, also if the run is killed (the JVM watches its pid).
    """
    workerinput = getattr(pytestconfig, "workerinput", None)
    shared = workerinput["portal_search"] if workerinput else pytestconfig._portal_search  # type: ignore[attr-defined]
    folder = Path(shared["dir"])
    state = folder / "engine.json"
    with (folder / "lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not state.exists():
            engine = launch.start(home=folder / "engine", detached=True, owner=shared["owner"])
            state.write_text(
                json.dumps({"url": engine.url, "pid": engine.pid, "seconds": engine.seconds_to_start})
            )
        url: str = json.loads(state.read_text())["url"]
    return url


@pytest.fixture
def search_engine(search_engine_url: str, settings: Any) -> Iterator[str]:
    """Settings pointing at the engine with an alias of this test's own; its indices go afterwards."""
    settings.ELASTICSEARCH_URL = None
    settings.OPENSEARCH_URL = settings.SEARCH_URL = search_engine_url
    settings.SEARCH_ENGINE = "opensearch"
    settings.SEARCH_BACKEND = "engine"
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    alias = settings.SEARCH_INDEX_ALIAS = f"test-{worker}-{uuid.uuid4().hex[:10]}"
    yield search_engine_url
    from search.client import _client

    # Not get_client(): the test may have pointed the settings elsewhere (an engine that is down).
    _client(search_engine_url, "opensearch").raw.indices.delete(
        index=f"{alias}*", ignore_unavailable=True, allow_no_indices=True
    )


@pytest.fixture(params=["opensearch", "elasticsearch"])
def search_engine_down(request: pytest.FixtureRequest, settings: Any) -> str:
    """Settings pointing either engine's client at a port where nothing listens."""
    url = f"http://127.0.0.1:{launch.free_port()}"
    settings.SEARCH_ENGINE = request.param
    settings.ELASTICSEARCH_URL = url if request.param == "elasticsearch" else None
    settings.OPENSEARCH_URL = url if request.param == "opensearch" else None
    settings.SEARCH_URL = url
    settings.SEARCH_BACKEND = "engine"
    return url


@pytest.fixture
def elastic_url(search_engine: str) -> str:
    """Settings pointing at the real engine, with this test's own alias (no index yet)."""
    return search_engine


@pytest.fixture
def elastic(elastic_url: str) -> Any:
    """The engine backend (``search.elastic.ElasticBackend``) with its index and alias created."""
    from search.elastic import ElasticBackend

    backend = ElasticBackend()
    backend.ensure_index()
    return backend
