"""The Elasticsearch client of the search app: short timeouts, one retry, plain JSON on request.

The Elasticsearch 8 client sends ``application/vnd.elasticsearch+json; compatible-with=8``.
Elasticsearch 8 wants that; OpenSearch-compatible servers (osmem-server in the tests) refuse it,
so ``SEARCH_ES_PLAIN_JSON`` swaps in a node class that sends the plain media types instead.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from django.conf import settings
from elastic_transport import HttpHeaders, Urllib3HttpNode
from elastic_transport._node._base import NodeApiResponse
from elastic_transport.client_utils import DEFAULT
from elasticsearch import Elasticsearch

#: Seconds before a request to Elasticsearch gives up: pages must not hang on a sick cluster.
REQUEST_TIMEOUT = 5.0
MAX_RETRIES = 1

_COMPAT_MEDIA_TYPE = re.compile(r"application/vnd\.elasticsearch\+([\w.-]+)\s*;\s*compatible-with=\d+")


class PlainJsonNode(Urllib3HttpNode):
    """Sends ``application/json`` (and ``x-ndjson``) rather than the compatibility media types."""

    def perform_request(
        self,
        method: str,
        target: str,
        body: bytes | None = None,
        headers: HttpHeaders | None = None,
        request_timeout: Any = DEFAULT,
    ) -> NodeApiResponse:
        if headers:
            headers = headers.copy()
            for name in ("accept", "content-type"):
                value = headers.get(name)
                if value:
                    headers[name] = _COMPAT_MEDIA_TYPE.sub(r"application/\1", value)
        return super().perform_request(
            method, target, body=body, headers=headers, request_timeout=request_timeout
        )


def get_client() -> Elasticsearch:
    """The client for ``settings.ELASTICSEARCH_URL`` (one per URL and process: it holds the connection pool)."""
    return _client(settings.ELASTICSEARCH_URL, bool(getattr(settings, "SEARCH_ES_PLAIN_JSON", False)))


@lru_cache(maxsize=8)
def _client(url: str, plain_json: bool) -> Elasticsearch:
    options: dict[str, Any] = {}
    if plain_json:
        options["node_class"] = PlainJsonNode
    return Elasticsearch(
        url,
        request_timeout=REQUEST_TIMEOUT,
        max_retries=MAX_RETRIES,
        retry_on_timeout=False,
        **options,
    )
