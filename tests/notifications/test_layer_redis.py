"""The Redis channel layer's connections survive the layer's own blocking reads (real Redis).

The layer waits for messages with ``BZPOPMIN`` and a 5-second server-side timeout. redis-py 8
also times every read out after 5 seconds by default, so the two raced and the loser closed a
live socket (channels_redis issue #422). The project's layer settings take the client-side
read timeout away; a blocking read longer than 5 seconds must come back empty, not fail.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from django.conf import settings

pytestmark = pytest.mark.skipif(not settings.REDIS_URL, reason="the Redis channel layer needs REDIS_URL")


def test_a_blocking_read_longer_than_five_seconds_comes_back_empty(channel_layer: Any) -> None:
    async def blocking_read() -> Any:
        redis = channel_layer.connection(0)
        try:
            return await redis.bzpopmin(f"{channel_layer.prefix}:idle-{uuid.uuid4().hex}", timeout=6)
        finally:
            await channel_layer.close_pools()

    assert async_to_sync(blocking_read)() is None


def test_a_message_sent_after_a_long_wait_is_received(channel_layer: Any) -> None:
    async def wait_then_receive() -> dict[str, Any]:
        import asyncio

        name = await channel_layer.new_channel()

        async def send_later() -> None:
            await asyncio.sleep(6)
            await channel_layer.send(name, {"type": "case.changed", "case": 1})

        sender = asyncio.create_task(send_later())
        try:
            return await asyncio.wait_for(channel_layer.receive(name), timeout=20)
        finally:
            await sender
            await channel_layer.close_pools()

    assert async_to_sync(wait_then_receive)() == {"type": "case.changed", "case": 1}
