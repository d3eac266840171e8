"""One channel-layer member per process for the live groups, fanned out to its sockets in memory.

With every socket's own channel in a group, ``group_send`` costs one Redis write per socket and
channels_redis then pops them one by one into one process (and drops all but its ``capacity``,
100, at once): 1,000 sockets on a hot case lost 60 % of the messages and the rest took 7 s. Here
each process has one *hub* per event loop. The hub has one channel of the layer and puts it in a
group when the first of its sockets joins that group, and takes it out when the last one leaves.
A change is then one copy per process, whatever the number of sockets; the hub encodes the
frame once and hands it to each of its sockets in one pass, without a queue or a task per
socket.

It works over any channel layer: channels_redis (between processes), the in-memory layer (the
embedded default and the tests). Publishers are unchanged (``group_send``), except that the
message names its group (``"group"``), since every group reaches the hub on the same channel.

What is lost stays recoverable as before: every message carries the case version and pages
fetch their snapshot when they see a gap or reconnect. When the hub loses the layer (Redis gone),
it closes its sockets so that their pages reconnect (with backoff) and catch up.

Only the shared groups (``case.``, ``unit.``, ``subtree.``) come here; a staff user's own group
(``user.``) stays on each socket's channel, since it asks that one socket to re-check its access.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import weakref
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, Protocol

from channels.layers import get_channel_layer

logger = logging.getLogger(__name__)

#: Groups delivered by the hub (``notifications.live`` names them).
SHARED_PREFIXES = ("case.", "unit.", "subtree.")
#: Layers forget a group member after ``group_expiry`` (a day by default): the hub joins its
#: groups again this often (seconds).
REFRESH_EVERY = 3600.0
#: A group whose last socket left stays joined this long (seconds): a page that reloads, or
#: thousands reconnecting after a restart, find it joined and wait for nothing. Without it a
#: storm of handshakes that time out turned into a queue of leave/join round trips per group.
LEAVE_AFTER = 30.0


def is_shared(group: str) -> bool:
    return group.startswith(SHARED_PREFIXES)


def frame(message: dict[str, Any]) -> str | None:
    """The text a page gets for a layer message, or None if pages do not hear of it."""
    kind = message.get("type")
    if kind == "case.changed":
        return json.dumps(
            {
                "type": "case.changed",
                "case": message["case"],
                "version": message["version"],
                "state": message["state"],
            }
        )
    if kind == "alerts.changed":
        return '{"type": "alerts.changed"}'
    return None


class Listener(Protocol):
    async def live_push(self, message: dict[str, Any], text: str) -> None:
        """Send ``text`` (or act on ``message``) without waiting for anything slow."""

    async def live_lost(self) -> None:
        """The hub lost the layer: end the socket, so that the page reconnects and catches up."""


class Hub:
    """The sockets of one event loop in the live groups, and the layer channel that stands for them."""

    def __init__(self, layer: Any) -> None:
        self.layer = layer
        self.channel: str | None = None
        self.listeners: dict[str, set[Listener]] = {}
        #: Group → its latest ``group_add`` (done, or in flight); a group absent is not joined.
        self._joined: dict[str, asyncio.Task[None]] = {}
        #: Group → its latest add or discard: each waits for the one before, so that the layer
        #: sees them in the order they were decided.
        self._ops: dict[str, asyncio.Task[None]] = {}
        self._started: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self.delivered = 0

    # --- sockets ------------------------------------------------------------------------------

    async def join(self, groups: Iterable[str], listener: Listener) -> None:
        """Deliver these groups' messages to ``listener`` from now on; raises if the layer is down."""
        groups = list(groups)
        if self._started is None or not self._started.done() or self._started.exception() is not None:
            await self._start()
        for group in groups:
            self.listeners.setdefault(group, set()).add(listener)
        adds = [self._subscribe(group) for group in groups]
        try:
            for add in adds:
                if not _succeeded(add):  # a hot group: already joined, nothing to wait for
                    await asyncio.shield(add)
        except BaseException:
            self.leave(groups, listener)
            raise

    def leave(self, groups: Iterable[str], listener: Listener) -> None:
        for group in groups:
            members = self.listeners.get(group)
            if members is None:
                continue
            members.discard(listener)
            if not members:
                del self.listeners[group]
                asyncio.get_running_loop().call_later(LEAVE_AFTER, self._leave_if_unused, group)

    def _leave_if_unused(self, group: str) -> None:
        if group in self.listeners or self.channel is None:
            return
        if self._joined.pop(group, None) is not None:
            self._chain(group, self._discard(group, self.channel))

    # --- the layer ----------------------------------------------------------------------------

    async def _start(self) -> None:
        if self._started is None or (self._started.done() and self._started.exception() is not None):
            self._started = asyncio.ensure_future(self._open())
        await asyncio.shield(self._started)

    async def _open(self) -> None:
        self.channel = await self.layer.new_channel()
        self._spawn(self._read())
        self._spawn(self._refresh())

    def _subscribe(self, group: str) -> asyncio.Task[None]:
        add = self._joined.get(group)
        if add is None or (add.done() and not _succeeded(add)):
            assert self.channel is not None
            add = self._chain(group, self.layer.group_add(group, self.channel))
            self._joined[group] = add
        return add

    def _chain(self, group: str, operation: Awaitable[Any]) -> asyncio.Task[None]:
        previous = self._ops.get(group)

        async def run() -> None:
            if previous is not None:
                with contextlib.suppress(BaseException):
                    await previous
            await operation

        task = asyncio.ensure_future(run())
        self._ops[group] = task

        def forget(done: asyncio.Task[None]) -> None:
            if self._ops.get(group) is done:
                del self._ops[group]
            if not done.cancelled() and done.exception() is not None and self._joined.get(group) is not done:
                logger.debug("live hub: leaving %s failed (it expires on its own)", group)

        task.add_done_callback(forget)
        return task

    async def _discard(self, group: str, channel: str) -> None:
        await self.layer.group_discard(group, channel)

    async def _read(self) -> None:
        assert self.channel is not None
        while True:
            try:
                message = await self.layer.receive(self.channel)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                logger.warning(
                    "live hub lost the channel layer (%s): its sockets reconnect", type(exc).__name__
                )
                await self._lost()
                return
            await self.deliver(message)

    async def deliver(self, message: dict[str, Any]) -> None:
        """Hand one layer message to every socket of its group, in one pass."""
        members = self.listeners.get(message.get("group", ""))
        if not members:
            return
        text = frame(message)
        if text is None:
            return
        for listener in tuple(members):
            try:
                await listener.live_push(message, text)
            except Exception:  # noqa: S112 (a socket closing as we send: its disconnect leaves the group)
                continue
            self.delivered += 1

    async def _refresh(self) -> None:
        while True:
            await asyncio.sleep(REFRESH_EVERY)
            for group in list(self._joined):
                if self.channel is not None:
                    self._joined[group] = self._chain(group, self.layer.group_add(group, self.channel))

    async def _lost(self) -> None:
        """Forget every group and channel, and end the sockets: their pages come back and catch up."""
        listeners = {listener for members in self.listeners.values() for listener in members}
        self.listeners, self._joined, self._ops = {}, {}, {}
        self.channel, self._started = None, None
        for task in list(self._tasks):
            if task is not asyncio.current_task():
                task.cancel()
        for listener in listeners:
            with contextlib.suppress(Exception):
                await listener.live_lost()

    def _spawn(self, coroutine: Awaitable[Any]) -> None:
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def stop(self) -> None:
        for task in list(self._tasks) + list(self._ops.values()):
            task.cancel()


def _succeeded(task: asyncio.Task[Any]) -> bool:
    return task.done() and not task.cancelled() and task.exception() is None


_hubs: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Hub] = weakref.WeakKeyDictionary()


def hub() -> Hub:
    """The hub of the running event loop for the current channel layer (a new one if it changed)."""
    loop = asyncio.get_running_loop()
    layer = get_channel_layer()
    current = _hubs.get(loop)
    if current is None or current.layer is not layer:
        if current is not None:
            current.stop()
        current = _hubs[loop] = Hub(layer)
    return current


def spawn(coroutine: Callable[[], Awaitable[Any]]) -> None:
    """Run ``coroutine()`` beside the hub's pass (a socket that needs the database first)."""
    task = asyncio.ensure_future(coroutine())
    _background.add(task)
    task.add_done_callback(_background.discard)


_background: set[asyncio.Task[Any]] = set()
