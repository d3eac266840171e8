"""Websocket consumers: a citizen's case page, an officer's inbox and case desk, a leader's dashboard.

Each one authorises at connect exactly like its page, and refuses before
accepting (the browser sees a failed handshake, learns nothing). Then it joins
the groups ``notifications.live`` publishes to and forwards ``case.changed``
messages: which case, its version and state. Pages fetch their own snapshot to
show anything, so a socket never carries what its page could not show.

Staff sockets also join their user's group: when the user's membership or
account changes, they re-check their access and close if it no longer holds.

The case, unit and subtree groups are joined through the process's hub
(``notifications.fanout``): one layer member per process, which hands each
change to its sockets itself. The user's group stays on the socket's own channel.
"""

from __future__ import annotations

import logging
from importlib import import_module
from types import SimpleNamespace
from typing import Any
from urllib.parse import parse_qs

from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings
from django.contrib import auth
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.models import Device

from config.metrics import OPEN_WEBSOCKETS
from notifications import fanout
from notifications.live import case_group, subtree_group, unit_group, user_group
from petitions.grants import granted_ids
from routing.models import Case, Membership
from routing.second_factor import second_factor_missing
from routing.selectors import case_for_user, unit_visible_to

logger = logging.getLogger(__name__)

#: Close codes after the handshake (4000-4999 are the application's). The pages' script
#: stops on FORBIDDEN and reconnects on anything else.
CLOSE_FORBIDDEN = 4003
CLOSE_RECONNECT = 4009


async def _send_where_the_case_is(consumer: Any) -> None:
    """The page was rendered a moment before its socket opened: say where the case is now, so a
    change in between is not missed (the page ignores it if it already shows it)."""
    await consumer.send_json(
        {
            "type": "case.changed",
            "case": consumer.case_id,
            "version": consumer.case_version,
            "state": consumer.case_state,
        }
    )


class LiveConsumer(AsyncJsonWebsocketConsumer):
    """Authorise, join groups, forward case changes; subclasses say who may listen to what."""

    live_groups: list[str]
    #: The label of this page's sockets in the ``portal_websockets_open`` metric.
    metric_page = "other"

    def groups_for(self, *, fresh: bool) -> list[str] | None:
        """The groups this socket may join, or None to refuse (runs in a worker thread)."""
        raise NotImplementedError

    async def _authorise(self, *, fresh: bool) -> list[str] | None:
        return await database_sync_to_async(self.groups_for)(fresh=fresh)

    async def dispatch(self, message: dict[str, Any]) -> None:
        # Channels closes old database connections in a worker thread before every message: a
        # thread hop for each connect and disconnect (of 5,000 pages after a restart). These
        # consumers touch the database only through ``database_sync_to_async``, which closes
        # them itself, before and after, in the thread that uses them.
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def connect(self) -> None:
        self.live_groups = []
        groups = await self._authorise(fresh=False)
        if groups is None:
            await self.close()  # before accept: the handshake fails
            return
        try:
            await self._join(groups)
        except Exception as exc:  # Redis down: no live updates now; the page retries later
            logger.warning("live socket refused: channel layer unavailable (%s)", type(exc).__name__)
            await self._leave()
            await self.close()
            return
        await self.accept()
        OPEN_WEBSOCKETS.labels(page=self.metric_page).inc()
        self.counted = True
        await self.on_accepted()

    async def on_accepted(self) -> None:
        """Hook for a first message after the handshake."""

    async def disconnect(self, code: int) -> None:
        if getattr(self, "counted", False):
            OPEN_WEBSOCKETS.labels(page=self.metric_page).dec()
            self.counted = False
        await self._leave()

    async def _join(self, groups: list[str]) -> None:
        self.live_groups = groups
        for group in groups:
            if not fanout.is_shared(group):
                await self.channel_layer.group_add(group, self.channel_name)
        shared = [group for group in groups if fanout.is_shared(group)]
        if shared:
            self.hub = fanout.hub()
            await self.hub.join(shared, self)

    async def _leave(self) -> None:
        groups, self.live_groups = self.live_groups, []
        hub = getattr(self, "hub", None)
        if hub is not None:
            hub.leave([group for group in groups if fanout.is_shared(group)], self)
        for group in groups:
            if fanout.is_shared(group):
                continue
            try:
                await self.channel_layer.group_discard(group, self.channel_name)
            except Exception:  # the group expires on its own
                break

    # --- messages from the process's hub (notifications.fanout) -------------------------------

    async def live_push(self, message: dict[str, Any], text: str) -> None:
        """A change in one of this socket's shared groups: the frame is encoded once per process."""
        await self.send(text_data=text)

    async def live_lost(self) -> None:
        await self.close(code=CLOSE_RECONNECT)

    async def receive(
        self, text_data: str | None = None, bytes_data: bytes | None = None, **kwargs: Any
    ) -> None:
        """Pages only listen; whatever they send is ignored."""

    # --- messages on the socket's own channel ------------------------------------------------

    async def access_changed(self, event: dict[str, Any]) -> None:
        groups = await self._authorise(fresh=True)
        if groups is None:
            await self.close(code=CLOSE_FORBIDDEN)
        elif set(groups) != set(self.live_groups):
            # Still allowed, but to listen elsewhere (another unit): the page reconnects.
            await self.close(code=CLOSE_RECONNECT)


# --- the citizen's case page ----------------------------------------------------------------


class TrackConsumer(LiveConsumer):
    """``ws/track/<code>/``: the secret token (``?token=``) or the session's grant, like the page."""

    metric_page = "track"
    #: No channel of its own: it hears only its case group, through the process's hub. (Channels
    #: gives a consumer no layer when its alias names none.)
    channel_layer_alias = "notifications.track-sockets-have-no-layer-channel"

    def groups_for(self, *, fresh: bool) -> list[str] | None:
        code = str(self.scope["url_route"]["kwargs"]["code"]).strip().upper()
        case = (
            Case.objects.filter(petition__tracking_code=code)
            .select_related("petition")
            .only("pk", "version", "state", "petition__id", "petition__token_hash")
            .first()
        )
        if case is None:
            return None
        token = _query_param(self.scope, "token")
        granted = case.petition_id in granted_ids(_session(self.scope, fresh=fresh))
        if not granted and not case.petition.check_token(token):
            return None
        self.case_id, self.case_version, self.case_state = case.pk, case.version, case.state
        return [case_group(case.pk)]

    async def on_accepted(self) -> None:
        await _send_where_the_case_is(self)


# --- staff pages ------------------------------------------------------------------------------


class StaffConsumer(LiveConsumer):
    def groups_for(self, *, fresh: bool) -> list[str] | None:
        # The user is loaded here, in the thread that authorises, rather than by channels'
        # AuthMiddleware (a thread hop of its own per handshake); ``fresh``: the session again,
        # since the one of the handshake is what it was then.
        session = _session(self.scope, fresh=fresh)
        user: Any = auth.get_user(SimpleNamespace(session=session))  # type: ignore[arg-type]
        membership = staff_membership(user, session)
        if membership is None:
            return None
        groups = self.staff_groups(user, membership)
        return None if groups is None else [*groups, user_group(user.pk)]

    def staff_groups(self, user: Any, membership: Membership) -> list[str] | None:
        raise NotImplementedError


class InboxConsumer(StaffConsumer):
    """``ws/office/inbox/``: staff with a unit hear of the cases of their unit."""

    metric_page = "inbox"

    def staff_groups(self, user: Any, membership: Membership) -> list[str] | None:
        return [unit_group(membership.unit.code)]


class DashboardConsumer(StaffConsumer):
    """``ws/office/dashboard/?unit=CODE``: leaders hear of every case in the subtree they look at."""

    metric_page = "dashboard"

    def staff_groups(self, user: Any, membership: Membership) -> list[str] | None:
        if not membership.is_leader:
            return None
        code = _query_param(self.scope, "unit")
        # The dashboard's rule (backoffice.leaders._scope): their own unit, or one they may see below it.
        unit = membership.unit if not code or code == membership.unit.code else unit_visible_to(user, code)
        return None if unit is None else [subtree_group(unit.code)]


class DeskConsumer(StaffConsumer):
    """``ws/office/cases/<id>/``: a case's desk hears of that case while its reader may read it.

    The desk's script (``static/backoffice/desk.js``) then fetches the desk again and shows what
    changed: the citizen's added information or answer, a colleague's action.
    """

    metric_page = "desk"

    def staff_groups(self, user: Any, membership: Membership) -> list[str] | None:
        case = case_for_user(user=user, case_id=int(self.scope["url_route"]["kwargs"]["pk"]))
        if case is None:
            return None
        self.case_id, self.case_version, self.case_state = case.pk, case.version, case.state
        return [case_group(case.pk)]

    async def on_accepted(self) -> None:
        await _send_where_the_case_is(self)

    async def live_push(self, message: dict[str, Any], text: str) -> None:
        # The case group does not follow the case's unit: a case escalated or transferred out of
        # the reader's sight ends the socket instead of telling them more about it. The check
        # reads the database, so it runs beside the hub's pass rather than holding it up.
        async def check_then_send() -> None:
            if await self._authorise(fresh=False) is None:
                await self.close(code=CLOSE_FORBIDDEN)
                return
            await self.send(text_data=text)

        fanout.spawn(check_then_send)


# --- helpers ---------------------------------------------------------------------------------


def staff_membership(user: Any, session: Any) -> Membership | None:
    """The membership of an active staff user whose session passed sign-in, two-factor included.

    The same rule as ``backoffice.access.staff_required``; django_otp's middleware, which
    marks HTTP requests verified, does not run for websockets, so this does its part.
    """
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    _mark_verified(user, session)
    if second_factor_missing(user):
        return None
    return Membership.objects.select_related("unit").filter(user_id=user.pk).first()


def _mark_verified(user: Any, session: Any) -> None:
    """Set ``user.otp_device`` and ``user.is_verified()`` from the session, as OTPMiddleware does."""
    persistent_id = session.get(DEVICE_ID_SESSION_KEY)
    device = Device.from_persistent_id(persistent_id) if persistent_id else None
    if device is not None and (device.user_id != user.pk or not device.confirmed):
        device = None
    user.otp_device = device
    user.is_verified = lambda: device is not None


def _session(scope: dict[str, Any], *, fresh: bool) -> Any:
    session = scope.get("session")
    if not fresh or session is None:
        return session if session is not None else {}
    store = import_module(settings.SESSION_ENGINE).SessionStore
    return store(session_key=session.session_key)


def _query_param(scope: dict[str, Any], name: str) -> str:
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    values = query.get(name) or [""]
    return values[0][:200]
