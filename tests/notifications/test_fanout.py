"""One layer member per process for the live groups, fanned out in memory (notifications/fanout.py).

The first tests run the real ASGI application and channel layer (Redis under a fresh prefix when
REDIS_URL is set, else in memory); the others drive a hub over a small stand-in layer, to make it
lose the layer or reorder its own joins and leaves.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from config.asgi import application
from notifications import fanout
from notifications.live import case_group
from routing import services
from tests.conftest import Cast, seed_reference_data

WAIT = 2


def run(scenario: Callable[[], Awaitable[None]]) -> None:
    async_to_sync(scenario)()


async def _track(result: Any) -> WebsocketCommunicator:
    socket = WebsocketCommunicator(
        application,
        f"/ws/track/{result.petition.tracking_code}/?token={result.token}",
        headers=[(b"origin", b"http://localhost")],
    )
    connected, _ = await socket.connect(timeout=WAIT)
    assert connected
    await socket.receive_json_from(WAIT)  # where the case is now
    return socket


async def _members(layer: Any, group: str) -> set[str]:
    if hasattr(layer, "groups") and isinstance(layer.groups, dict):  # the in-memory layer
        return set(layer.groups.get(group, {}))
    connection = layer.connection(layer.consistent_hash(group))
    return {member.decode() for member in await connection.zrange(layer._group_key(group), 0, -1)}


note = database_sync_to_async(services.case_add_note)


@pytest.fixture
def _seeded(channel_layer: Any) -> None:
    """``transaction=True`` needs the seeded rows back, before the cast and the categories."""
    seed_reference_data()


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("_seeded")
def test_many_sockets_on_one_case_are_one_member_of_its_group_and_all_hear_each_change(
    submit: Any, cast: Cast, channel_layer: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fanout, "LEAVE_AFTER", 0.01)
    result = submit()
    case = result.petition.case

    async def scenario() -> None:
        sockets = [await _track(result) for _ in range(5)]
        assert len(await _members(channel_layer, case_group(case.pk))) == 1
        await note(case_id=case.pk, actor=cast.officer, text="Đã tiếp nhận.", is_public=True)
        for socket in sockets:
            message = await socket.receive_json_from(WAIT)
            assert message["type"] == "case.changed" and message["version"] == 2
            assert set(message) == {"type", "case", "version", "state"}  # nothing else travels to pages
        # One leaves: the others still hear; the last to leave takes the process out of the group.
        await sockets[0].disconnect()
        await note(case_id=case.pk, actor=cast.officer, text="Đang xử lý.", is_public=True)
        for socket in sockets[1:]:
            assert (await socket.receive_json_from(WAIT))["version"] == 3
        assert await sockets[0].receive_nothing(0.1)
        for socket in sockets[1:]:
            await socket.disconnect()
        for _ in range(50):  # the process leaves the group LEAVE_AFTER after its last socket
            if not await _members(channel_layer, case_group(case.pk)):
                break
            await asyncio.sleep(0.02)
        assert not await _members(channel_layer, case_group(case.pk))

    run(scenario)


# --- the hub over a stand-in layer ------------------------------------------------------------


class Layer:
    """Records group membership in order; ``receive`` serves a queue, or fails when told to."""

    def __init__(self) -> None:
        self.inbox: asyncio.Queue[dict[str, Any] | Exception] = asyncio.Queue()
        self.members: dict[str, set[str]] = {}
        self.operations: list[tuple[str, str]] = []

    async def new_channel(self) -> str:
        return "specific.hub!1"

    async def group_add(self, group: str, channel: str) -> None:
        await asyncio.sleep(0.01)  # a round trip: leaves and joins may overlap
        self.operations.append(("add", group))
        self.members.setdefault(group, set()).add(channel)

    async def group_discard(self, group: str, channel: str) -> None:
        self.operations.append(("discard", group))
        self.members.get(group, set()).discard(channel)

    async def receive(self, channel: str) -> dict[str, Any]:
        item = await self.inbox.get()
        if isinstance(item, Exception):
            raise item
        return item


class Page:
    def __init__(self) -> None:
        self.frames: list[str] = []
        self.lost = False

    async def live_push(self, message: dict[str, Any], text: str) -> None:
        self.frames.append(text)

    async def live_lost(self) -> None:
        self.lost = True


def test_a_group_left_and_joined_again_soon_stays_joined_and_one_left_alone_is_left(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(fanout, "LEAVE_AFTER", 0.05)

    async def scenario() -> None:
        layer, first, second = Layer(), Page(), Page()
        hub = fanout.Hub(layer)
        await hub.join(["case.1"], first)
        hub.leave(["case.1"], first)
        await hub.join(["case.1"], second)  # a reload, or a reconnect after a restart
        await asyncio.sleep(0.1)
        assert layer.operations == [("add", "case.1")]
        hub.leave(["case.1"], second)
        await asyncio.sleep(0.1)
        assert layer.operations == [("add", "case.1"), ("discard", "case.1")]
        assert layer.members["case.1"] == set()
        await hub.join(["case.1"], first)  # after the discard: joined again, in that order
        assert layer.operations[-1] == ("add", "case.1") and layer.members["case.1"] == {"specific.hub!1"}
        hub.stop()

    run(scenario)


def test_the_hub_sends_each_group_only_to_its_sockets_and_ignores_what_pages_do_not_hear() -> None:
    async def scenario() -> None:
        layer, mine, other = Layer(), Page(), Page()
        hub = fanout.Hub(layer)
        await hub.join(["case.1", "unit.W1"], mine)
        await hub.join(["case.2"], other)
        changed = {"type": "case.changed", "case": 1, "version": 4, "state": "submitted"}
        await hub.deliver({**changed, "group": "case.1"})
        await hub.deliver({**changed, "group": "unit.W1"})
        await hub.deliver({"type": "alerts.changed", "group": "unit.W1"})
        await hub.deliver({**changed})  # no group: nobody
        await hub.deliver({"type": "access.changed", "group": "case.1"})  # not for the hub
        assert len(mine.frames) == 3 and mine.frames[2] == '{"type": "alerts.changed"}'
        assert other.frames == []
        hub.stop()

    run(scenario)


def test_a_hub_that_loses_the_layer_closes_its_sockets_so_that_their_pages_catch_up() -> None:
    async def scenario() -> None:
        layer, page = Layer(), Page()
        hub = fanout.Hub(layer)
        await hub.join(["case.1"], page)
        await layer.inbox.put(ConnectionError("Redis went away"))
        for _ in range(50):
            if page.lost:
                break
            await asyncio.sleep(0.01)
        assert page.lost
        assert hub.listeners == {}
        # Its pages come back (CLOSE_RECONNECT): the hub joins the layer again for them.
        await hub.join(["case.1"], Page())
        assert layer.operations[-1] == ("add", "case.1")
        hub.stop()

    run(scenario)
