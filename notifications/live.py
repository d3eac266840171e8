"""Live updates: after a case change commits, tell the open pages that care.

Messages only say *which* case changed and its version and state; a page that
hears of a newer version fetches its own snapshot (scoped like the page), so a
message never carries anything its listeners may not read, and a dropped
message costs nothing but a later refresh.

Groups (valid channel-layer names: ASCII, short):

- ``case.<case id>``: the citizen's tracking page of that case;
- ``unit.<unit code>``: the inbox of the officers of that unit;
- ``subtree.<unit code>``: leaders' dashboards of that unit, which count every
  case in its subtree; a change is sent to the subtree group of the case's unit
  and of every unit above it. The same groups hear ``alerts.changed`` when an
  alert of that unit or below is raised, grows, or is acknowledged or closed
  (the dashboard's alerts banner);
- ``user.<user id>``: every socket of one staff user, told to re-check its
  access when the user's membership or account changes.

Unit groups are named by code, not id: a unit's materialised path already holds
the codes of all its ancestors, so publishing needs one query, not two.

Publishing never fails the request that made the change: if the channel layer
(Redis) is down or slow, the failure is logged and the request carries on. Pages
catch up when their socket reconnects.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import queue
import re
import threading
from collections.abc import Iterable
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import transaction
from django.db.models.signals import post_delete, post_save

from routing.models import CaseEvent, EventKind, Membership
from routing.signals import case_event_committed, case_events_committed

logger = logging.getLogger(__name__)

#: The longest a request waits for the channel layer before giving up on a push (seconds).
SEND_TIMEOUT = 1.0

_SAFE_KEY = re.compile(r"^[A-Za-z0-9_.-]{1,60}$")


def _key(code: str) -> str:
    """A unit code as a group-name fragment (codes are short ASCII; anything else is hashed)."""
    if _SAFE_KEY.match(code):
        return code
    return "h" + hashlib.sha256(code.encode()).hexdigest()[:32]


def case_group(case_id: int) -> str:
    return f"case.{int(case_id)}"


def unit_group(code: str) -> str:
    return f"unit.{_key(code)}"


def subtree_group(code: str) -> str:
    return f"subtree.{_key(code)}"


def user_group(user_id: int) -> str:
    return f"user.{int(user_id)}"


def _codes(path: str) -> list[str]:
    """``/TW/P01/W00070/`` → ``["TW", "P01", "W00070"]``."""
    return [code for code in path.split("/") if code]


def groups_for_case(*, case_id: int, unit_paths: Iterable[str | None]) -> list[str]:
    """Every group that hears of a change to a case that is (or was, a moment ago) at these units."""
    groups = [case_group(case_id)]
    for path in unit_paths:
        if not path:
            continue
        codes = _codes(path)
        groups.append(unit_group(codes[-1]))
        groups.extend(subtree_group(code) for code in codes)
    return list(dict.fromkeys(groups))


def _send(groups: list[str], message: dict[str, Any], *, what: str) -> bool:
    """Send ``message`` to ``groups``; log and return False if the channel layer is unavailable."""
    return _send_many([(groups, message)], what=what)


def _send_many(sends: list[tuple[list[str], dict[str, Any]]], *, what: str) -> bool:
    """Send each message to its groups in one go (one event loop, one connection to the layer)."""
    if not sends:
        return True
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        pass  # the normal case: synchronous code (a request, a job, a command)
    else:
        # Only when synchronous database code runs inside an event loop's thread
        # (DJANGO_ALLOW_ASYNC_UNSAFE, e.g. a browser test driving Playwright): nothing can block here.
        logger.debug("live update %s skipped: called from inside an event loop", what)
        return False
    layer = get_channel_layer()
    if layer is None:
        return False

    async def send_all() -> None:
        async with asyncio.timeout(SEND_TIMEOUT * len(sends)):
            for groups, message in sends:
                for group in groups:
                    # The group's name travels with the message: each process's hub hears all its
                    # groups on one channel (notifications.fanout).
                    await layer.group_send(group, {**message, "group": group})

    try:
        async_to_sync(send_all)()
    except Exception as exc:  # a push must never fail the change that caused it
        logger.warning("live update %s not sent: channel layer unavailable (%s)", what, type(exc).__name__)
        return False
    return True


# --- case changes ---------------------------------------------------------------------------

#: Events that change no version (a mark, a reminder): no page of the case itself acts on them.
QUIET_KINDS = frozenset({EventKind.OVERDUE, EventKind.REMINDER, EventKind.CITIZEN_REMINDER})


def publish_case_changed(
    sender: Any,
    *,
    case_id: int,
    event_id: int,
    version: int,
    kind: str,
    state: str | None = None,
    unit_paths: Iterable[str | None] | None = None,
    **kwargs: Any,
) -> None:
    """Receiver of ``case_event_committed``: tell the case's page, its units' inboxes and dashboards.

    With the case's ``state`` and its units' paths (the case's unit, where the event moved it
    from and to), as the case services send them, nothing is read from the database.
    """
    if state is None or unit_paths is None:
        publish_cases_changed(sender, events=[(case_id, event_id, version, kind)])
        return
    groups = groups_for_case(case_id=case_id, unit_paths=unit_paths)
    message = {"type": "case.changed", "case": case_id, "version": version, "state": state}
    _dispatch([(groups, message)], what=f"for case {case_id} v{version}")


def publish_cases_changed(sender: Any, *, events: list[tuple[int, int, int, str]], **kwargs: Any) -> None:
    """Receiver of ``case_events_committed`` (a sweep batch), and of one event: one query, one send.

    A case with several events in the batch is announced once, at its latest version.
    """
    latest: dict[int, tuple[int, int]] = {}  # case → (event, version)
    for case_id, event_id, version, _kind in events:
        if case_id not in latest or version >= latest[case_id][1]:
            latest[case_id] = (event_id, version)
    wanted = {event_id: (case_id, version) for case_id, (event_id, version) in latest.items()}
    rows = CaseEvent.objects.filter(pk__in=list(wanted)).values_list(
        "pk",
        "case_id",
        "case__state",
        "case__version",
        "case__unit__path",
        "from_unit__path",
        "to_unit__path",
    )
    kinds = {event_id: kind for _case, event_id, _version, kind in events}
    sends = []
    told: set[str] = set()  # groups already given a quiet change of this batch
    for event_id, case_id, state, current_version, unit_path, from_path, to_path in rows:
        if wanted[event_id][0] != case_id:
            continue
        # A case moved from unit A to unit B is news to both (it leaves A's inbox, enters B's).
        groups = groups_for_case(case_id=case_id, unit_paths=(unit_path, from_path, to_path))
        version = max(wanted[event_id][1], current_version)
        message = {"type": "case.changed", "case": case_id, "version": version, "state": state}
        if kinds.get(event_id) in QUIET_KINDS:
            # Same version: the case's own pages (tracking, desk) ignore it; an inbox or dashboard
            # refreshes its whole snapshot on the first such message, so one per group and batch
            # says it all (a sweep batch of 2,000 overdue marks: a few thousand sends, not 10,000).
            groups = [group for group in groups if not group.startswith("case.") and group not in told]
            told.update(groups)
            if not groups:
                continue
        sends.append((groups, message))
    what = (
        f"for case {sends[0][1]['case']} v{sends[0][1]['version']}"
        if len(sends) == 1
        else f"for {len(sends)} cases"
    )
    _dispatch(sends, what=what)


# --- sending from a thread of the server's -----------------------------------------------------


class _Pusher:
    """One daemon thread of a server process sending its live updates, in batches.

    A request (or job) that changes a case does not wait for Redis: its push is queued here after
    commit and the thread sends every push queued meanwhile in one go (one event loop, the same
    connection), the latest version once per case. Processes that are not servers (commands, the
    Celery worker, the tests) send inline, as before.
    """

    def __init__(self) -> None:
        self._queue: queue.SimpleQueue[tuple[list[str], dict[str, Any]]] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def submit(self, sends: list[tuple[list[str], dict[str, Any]]]) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._loop, name="live-push", daemon=True)
                self._thread.start()
        for send in sends:
            self._queue.put(send)

    def _loop(self) -> None:
        while True:
            batch = [self._queue.get()]
            while len(batch) < PUSH_BATCH:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            latest: dict[Any, tuple[list[str], dict[str, Any]]] = {}
            for groups, message in batch:
                key = (message.get("type"), message.get("case"), tuple(groups))
                kept = latest.get(key)
                if kept is None or message.get("version", 0) >= kept[1].get("version", 0):
                    latest[key] = (groups, message)
            try:
                _send_many(list(latest.values()), what=f"for {len(latest)} changes")
            except Exception:  # never let the thread die: the next push starts a new one anyway
                logger.exception("live updates not sent")


#: The most pushes sent in one go by the server's thread.
PUSH_BATCH = 500
_pusher = _Pusher()


def _dispatch(sends: list[tuple[list[str], dict[str, Any]]], *, what: str) -> None:
    """Send now (commands, workers, tests), or hand to the server's push thread."""
    from config.jobs import serving_on_thread

    if sends and serving_on_thread():
        _pusher.submit(sends)
        return
    _send_many(sends, what=what)


# --- emerging-issue alerts ------------------------------------------------------------------


def groups_for_units(unit_paths: Iterable[str | None]) -> list[str]:
    """The dashboards that show what concerns these units: theirs and those of every unit above."""
    groups = [subtree_group(code) for path in unit_paths if path for code in _codes(path)]
    return list(dict.fromkeys(groups))


def publish_alerts_changed(*, unit_paths: Iterable[str | None]) -> bool:
    """Alerts of these units were raised, grew, or were acknowledged or closed: dashboards refresh.

    The message names nothing; the dashboard fetches its snapshot, whose alerts banner is scoped
    like the page. Call it after commit.
    """
    groups = groups_for_units(unit_paths)
    if not groups:
        return True
    return _send(groups, {"type": "alerts.changed"}, what=f"of alerts for {len(groups)} dashboards")


# --- access changes -------------------------------------------------------------------------


def announce_access_change(user_id: int) -> None:
    """Tell a user's open staff sockets to check their access again (after commit)."""

    def send() -> None:
        _send([user_group(user_id)], {"type": "access.changed"}, what=f"access of user {user_id}")

    transaction.on_commit(send)


def membership_saved_or_deleted(sender: Any, instance: Membership, **kwargs: Any) -> None:
    """A user's unit or role changed: their open sockets re-check that they may still listen."""
    announce_access_change(instance.user_id)


def user_saved(sender: Any, instance: Any, update_fields: Iterable[str] | None = None, **kwargs: Any) -> None:
    """Deactivation or a new password also ends a user's live updates (not the sign-in stamp)."""
    if kwargs.get("created") or (update_fields is not None and set(update_fields) <= {"last_login"}):
        return
    announce_access_change(instance.pk)


def connect() -> None:
    """Connect the receivers (from ``NotificationsConfig.ready``)."""
    case_event_committed.connect(publish_case_changed, dispatch_uid="notifications.live.case")
    case_events_committed.connect(publish_cases_changed, dispatch_uid="notifications.live.cases")
    post_save.connect(membership_saved_or_deleted, sender=Membership, dispatch_uid="notifications.live.ms")
    post_delete.connect(membership_saved_or_deleted, sender=Membership, dispatch_uid="notifications.live.md")
    post_save.connect(user_saved, sender=settings.AUTH_USER_MODEL, dispatch_uid="notifications.live.user")
