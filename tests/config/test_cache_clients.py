"""The Redis cache keeps one connection pool per process, whatever the request context."""

from __future__ import annotations

import os
import threading
from typing import Any

import pytest
import redis

from config.cache import ResilientRedisCache

REDIS_URL = os.environ.get("REDIS_URL", "")


def _cache(location: str) -> ResilientRedisCache:
    return ResilientRedisCache(location, {"OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}})


def _client(cache: ResilientRedisCache, *, write: bool = False) -> Any:
    return getattr(cache, "_cache").get_client(write=write)  # noqa: B009 (private in the stubs)


def test_cache_objects_of_different_requests_share_one_client():
    # Django builds a cache object per request context; each used to build its own pool.
    first, second = _cache("redis://127.0.0.1:9/0"), _cache("redis://127.0.0.1:9/0")
    assert first is not second
    assert _client(first) is _client(second)
    assert _client(first, write=True).connection_pool is _client(second).connection_pool


def test_another_server_gets_its_own_client():
    assert _client(_cache("redis://127.0.0.1:9/0")) is not _client(_cache("redis://127.0.0.1:9/1"))


@pytest.mark.skipif(not REDIS_URL, reason="needs the Redis service (CI's second run)")
def test_requests_on_many_threads_reuse_the_connections_of_one_pool():
    location = REDIS_URL.rsplit("/", 1)[0] + "/15"
    server = redis.Redis.from_url(location)
    before = server.info("stats")["total_connections_received"]

    def request(n: int) -> None:
        cache = _cache(location)  # what a new request context gets
        for i in range(10):
            cache.set(f"cache-clients-{n}-{i}", i, 5)
            assert cache.get(f"cache-clients-{n}-{i}") == i

    for _ in range(3):  # one after another: the pool's idle connections serve the next ones
        threads = [threading.Thread(target=request, args=(n,)) for n in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    opened = server.info("stats")["total_connections_received"] - before - 1  # our own `server`
    # At most one per thread running at once (4), not one per cache object (12) or call (240);
    # other tests on the same Redis may open a few meanwhile.
    assert opened <= 8


@pytest.mark.skipif(not REDIS_URL, reason="needs the Redis service (CI's second run)")
def test_incr_counts_in_one_round_trip_and_refuses_a_missing_key():
    cache = _cache(REDIS_URL.rsplit("/", 1)[0] + "/15")
    cache.delete("cache-clients-counter")
    with pytest.raises(ValueError):
        cache.incr("cache-clients-counter")
    assert cache.get("cache-clients-counter") is None  # not created by the failed increment
    assert cache.add("cache-clients-counter", 1, 5)
    client = _client(cache, write=True)
    sent: list[Any] = []
    execute = client.execute_command

    def counted(*args: Any, **kwargs: Any) -> Any:
        sent.append(args[0])
        return execute(*args, **kwargs)

    client.execute_command = counted
    try:
        assert cache.incr("cache-clients-counter") == 2
        assert cache.incr("cache-clients-counter", 5) == 7
    finally:
        del client.execute_command
    assert sent == ["EVAL", "EVAL"]  # one round trip each (Django's: EXISTS, then INCRBY)
    assert cache.get("cache-clients-counter") == 7
