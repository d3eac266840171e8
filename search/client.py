"""The search engine's client: Elasticsearch 8 or OpenSearch 2 behind one small interface.

Requests are built once, with ``elasticsearch.dsl`` (``search.elastic``), and sent as plain
request bodies through the engine's own client: the Elasticsearch 8 client refuses a server that
does not say it is Elasticsearch, so OpenSearch gets opensearch-py. Both clients' errors become
the three errors below, so the backend handles an outage the same way on either engine.

Short timeouts and one retry: a page must not hang on a sick cluster. Bulk writes get a longer
timeout of their own.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

import elastic_transport
import elasticsearch
import opensearchpy
from django.conf import settings
from elasticsearch import helpers as es_helpers
from opensearchpy import helpers as os_helpers

#: Seconds before a request to the engine gives up.
REQUEST_TIMEOUT = 5.0
MAX_RETRIES = 1


class EngineError(Exception):
    """The engine refused a request (a 4xx other than 404 and 429): a bug or a mapping error."""

    def __init__(self, message: str, *, status: int = 0) -> None:
        super().__init__(message)
        self.status = status


class EngineUnavailable(EngineError):
    """Not answering, timed out, overloaded (429) or unwell (5xx): trying later may work."""


class EngineNotFound(EngineError):
    """The index or alias asked for does not exist (404)."""


@contextmanager
def _translated() -> Iterator[None]:
    try:
        yield
    except (elastic_transport.SerializationError, opensearchpy.SerializationError) as exc:
        raise EngineError(f"the engine's answer or our request could not be (de)serialised: {exc}") from exc
    except (elastic_transport.TransportError, opensearchpy.ConnectionError) as exc:
        # Refused, timed out, TLS (opensearch-py's ConnectionTimeout is a ConnectionError).
        raise EngineUnavailable(str(exc)) from exc
    except elasticsearch.ApiError as exc:
        # An OpenSearch server refuses the Elasticsearch 8 client's media type (406) or is not
        # the product the client checks for: a setting to fix, said plainly.
        if isinstance(exc, elasticsearch.UnsupportedProductError) or (
            _status(exc) == 406 and "compatible-with" in str(exc)
        ):
            raise EngineError(
                "ELASTICSEARCH_URL points at a server that is not Elasticsearch; for OpenSearch set "
                f"OPENSEARCH_URL instead: {exc}",
                status=_status(exc),
            ) from exc
        raise _from_status(exc) from exc
    except opensearchpy.TransportError as exc:
        raise _from_status(exc) from exc


def _from_status(exc: Exception) -> EngineError:
    status = _status(exc)
    if status == 404:
        return EngineNotFound(str(exc), status=status)
    if status >= 500 or status == 429:
        return EngineUnavailable(str(exc), status=status)
    return EngineError(str(exc), status=status)


def _status(exc: Exception) -> int:
    if isinstance(exc, elasticsearch.ApiError):
        return int(exc.meta.status)
    code = getattr(exc, "status_code", 0)
    return int(code) if isinstance(code, int) else 0


class EngineClient:
    """The calls the search backend makes, on whichever engine ``settings.SEARCH_ENGINE`` names."""

    def __init__(self, raw: Any, *, engine: str) -> None:
        self.raw = raw
        self.engine = engine

    # --- indices and aliases ---------------------------------------------------

    def create_index(self, name: str, body: dict[str, Any]) -> None:
        with _translated():
            self.raw.indices.create(index=name, body=body)

    def delete_index(self, name: str) -> None:
        with _translated():
            self.raw.indices.delete(index=name, ignore_unavailable=True)

    def index_exists(self, name: str) -> bool:
        with _translated():
            return bool(self.raw.indices.exists(index=name))

    def alias_exists(self, alias: str, *, timeout: float | None = None) -> bool:
        raw, options = self._with_timeout(timeout)
        with _translated():
            return bool(raw.indices.exists_alias(name=alias, **options))

    def indices_of(self, alias: str) -> list[str]:
        """The indices behind an alias (none if it does not exist)."""
        # Asked first: the clients log a 404 as a warning, and a new alias is no reason for one.
        if not self.alias_exists(alias):
            return []
        try:
            with _translated():
                return sorted(self.raw.indices.get_alias(name=alias))
        except EngineNotFound:  # removed in between
            return []

    def update_aliases(self, actions: list[dict[str, Any]]) -> None:
        with _translated():
            self.raw.indices.update_aliases(body={"actions": actions})

    def put_settings(self, index: str, body: dict[str, Any], *, timeout: float | None = None) -> None:
        raw, options = self._with_timeout(timeout)
        with _translated():
            raw.indices.put_settings(index=index, body=body, **options)

    def refresh(self, index: str, *, timeout: float | None = None) -> None:
        """``timeout``: a refresh after a bulk build can take longer than a search may."""
        raw, options = self._with_timeout(timeout)
        with _translated():
            raw.indices.refresh(index=index, **options)

    def put_mapping(self, index: str, body: dict[str, Any]) -> None:
        with _translated():
            self.raw.indices.put_mapping(index=index, body=body)

    def mapping(self, index: str) -> dict[str, Any]:
        with _translated():
            return dict(self.raw.indices.get_mapping(index=index))

    def analyze(self, index: str, *, field: str, text: str) -> list[str]:
        with _translated():
            response = self.raw.indices.analyze(index=index, body={"field": field, "text": text})
        return [token["token"] for token in response["tokens"]]

    def health(self, *, timeout: float) -> str:
        raw, options = self._with_timeout(timeout)
        with _translated():
            response = raw.cluster.health(**options)
        return str(response.get("status", "unknown"))

    def _with_timeout(self, timeout: float | None) -> tuple[Any, dict[str, Any]]:
        """The raw client and the call's options for a request timeout other than REQUEST_TIMEOUT."""
        if timeout is None:
            return self.raw, {}
        if self.engine == "opensearch":
            return self.raw, {"request_timeout": timeout}
        return self.raw.options(request_timeout=timeout), {}

    def info(self) -> dict[str, Any]:
        with _translated():
            return dict(self.raw.info())

    def stats(self, index: str) -> dict[str, Any]:
        with _translated():
            return dict(self.raw.indices.stats(index=index))

    # --- documents -------------------------------------------------------------

    def search(self, index: str, body: dict[str, Any]) -> dict[str, Any]:
        with _translated():
            response = self.raw.search(index=index, body=body)
        return dict(response)

    def bulk(
        self, actions: Iterable[dict[str, Any]], *, timeout: float, chunk_size: int, **options: Any
    ) -> Iterator[tuple[bool, dict[str, Any]]]:
        """(ok, item) for each action, as the client's ``streaming_bulk`` gives them (errors not raised)."""
        raw, timed = self._with_timeout(timeout)
        helpers = os_helpers if self.engine == "opensearch" else es_helpers
        stream = helpers.streaming_bulk(
            raw, actions, chunk_size=chunk_size, raise_on_error=False, **timed, **options
        )
        with _translated():
            yield from stream


def get_client() -> EngineClient:
    """The client for ``settings.SEARCH_URL`` (one per URL and process: it holds the connection pool)."""
    return _client(settings.SEARCH_URL, settings.SEARCH_ENGINE)


@lru_cache(maxsize=8)
def _client(url: str, engine: str) -> EngineClient:
    if engine == "opensearch":
        raw: Any = opensearchpy.OpenSearch(
            url, timeout=REQUEST_TIMEOUT, max_retries=MAX_RETRIES, retry_on_timeout=False
        )
    else:
        raw = elasticsearch.Elasticsearch(
            url, request_timeout=REQUEST_TIMEOUT, max_retries=MAX_RETRIES, retry_on_timeout=False
        )
    return EngineClient(raw, engine=engine)
