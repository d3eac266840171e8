"""A Redis cache that degrades instead of failing when Redis is unreachable.

The cache holds nothing that is the only copy of anything (rate-limit
counters, cached statistics), so when Redis is down a request should go on
without it rather than fail: reads miss, writes are dropped, and
``incr`` raises ``ValueError`` (which django-ratelimit treats as "count
unknown", failing open as configured).
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)
_DOWN = (RedisConnectionError, RedisTimeoutError, OSError)


class ResilientRedisCache(RedisCache):
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
