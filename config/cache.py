"""A Redis cache that degrades instead of failing when Redis is unreachable.

The cache holds nothing that is the only copy of anything (rate-limit
counters, cached statistics), so when Redis is down a request should go on
without it rather than fail: reads miss, writes are dropped, and
``incr`` raises ``ValueError`` (which django-ratelimit treats as "count
unknown", failing open as configured).
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)
_DOWN = (RedisConnectionError, RedisTimeoutError, OSError)


class SharedRedisCacheClient(RedisCacheClient):
    """Django's Redis cache client with one connection pool and one client per process.

    Django keeps a cache object per request context (``caches`` is context-local), and each
    object built its own connection pool: under daphne, whose requests each run in a context of
    their own, every request opened a new TCP connection to Redis and built a ``redis.Redis``
    (with its table of response callbacks) for every call; measured, one connection per request.
    A pool and a client are safe to share between threads (redis-py hands each command a
    connection of the pool), and redis-py resets a pool in a forked child.
    """

    _shared: dict[tuple[Any, ...], Any] = {}
    _lock = threading.Lock()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}  # this object's pool index → the process's client

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        this: Any = self  # django-stubs leaves the client's private members out
        index = this._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            ident = (this._servers[index], tuple(sorted((k, repr(v)) for k, v in this._pool_options.items())))
            with self._lock:
                client = self._shared.get(ident)
                if client is None:
                    client = this._client(connection_pool=this._get_connection_pool(write))
                    self._shared[ident] = client
            self._clients[index] = client
        return client

    def incr(self, key: Any, delta: int) -> Any:
        """Django's ``incr`` in one round trip (it asks ``EXISTS`` first, then ``INCRBY``).

        Every rate limit counts this way (django-ratelimit: ``add``, then ``incr`` once the key
        exists), so each limit checked cost three round trips to Redis; now two, one when new.
        """
        client = self.get_client(key, write=True)
        value = client.eval(_INCR_EXISTING, 1, key, delta)
        if value is None:
            raise ValueError(f"Key '{key}' not found.")
        return value


#: INCRBY only if the key exists (a missing key stays missing: Django's ``incr`` raises then).
_INCR_EXISTING = (
    "if redis.call('EXISTS', KEYS[1]) == 1 then return redis.call('INCRBY', KEYS[1], ARGV[1]) end"
)


class ResilientRedisCache(RedisCache):
    def __init__(self, server: Any, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = SharedRedisCacheClient

    def _warn(self, operation: str) -> None:
        logger.warning("cache unavailable during %s; continuing without it", operation)

    def get(self, key: Any, default: Any = None, version: Any = None) -> Any:
        try:
            return super().get(key, default, version)
        except _DOWN:
            self._warn("get")
            return default

    def get_many(self, keys: Any, version: Any = None) -> dict[Any, Any]:
        try:
            return super().get_many(keys, version)
        except _DOWN:
            self._warn("get_many")
            return {}

    def set(self, key: Any, value: Any, timeout: Any = None, version: Any = None) -> None:
        try:
            super().set(key, value, timeout, version)
        except _DOWN:
            self._warn("set")

    def add(self, key: Any, value: Any, timeout: Any = None, version: Any = None) -> bool:
        try:
            return bool(super().add(key, value, timeout, version))
        except _DOWN:
            self._warn("add")
            return False

    def incr(self, key: Any, delta: int = 1, version: Any = None) -> int:
        try:
            return int(super().incr(key, delta, version))
        except _DOWN:
            self._warn("incr")
            raise ValueError("cache unavailable") from None

    def delete(self, key: Any, version: Any = None) -> bool:
        try:
            return bool(super().delete(key, version))
        except _DOWN:
            self._warn("delete")
            return False
