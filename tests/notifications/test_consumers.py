"""The live-update sockets against the real ASGI application, its origin check, sessions and auth.

Each test signs in (or earns a tracking grant) with the test client and hands its session
cookie to a WebsocketCommunicator, then changes a case through the real services and waits
for what the socket hears after the commit. The channel layer is Redis (a fresh prefix per
test) when REDIS_URL is set, the in-memory layer otherwise.

There is no pytest-asyncio here: each scenario is an async function run with ``async_to_sync``,
which keeps database calls made through ``database_sync_to_async`` on the test's own thread
(and connection).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from config.asgi import application
from notifications.consumers import CLOSE_FORBIDDEN, CLOSE_RECONNECT
from petitions.services import SubmissionResult
from routing import services
from routing.models import Case, CaseState, Membership, Role
from tests.conftest import Cast, Tree, seed_reference_data

pytestmark = pytest.mark.django_db(transaction=True)

ORIGIN = "http://localhost"
#: How long a socket is given to hear something that should come (seconds).
WAIT = 2


@pytest.fixture(autouse=True)
def _live(channel_layer: Any) -> None:
    """Every test here uses its own channel layer; ``transaction=True`` needs the seeded rows back."""
    seed_reference_data()


def run(scenario: Callable[[], Awaitable[None]]) -> None:
    async_to_sync(scenario)()


def _signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _following(token: str) -> Client:
    """A browser that opened the secret link: its session holds the grant, its URLs no token."""
    client = Client()
    assert client.get(f"/t/{token}/").status_code == 302
    return client


def _headers(client: Client | None, origin: str | None) -> list[tuple[bytes, bytes]]:
    headers = [(b"origin", origin.encode())] if origin else []
    if client is not None and settings.SESSION_COOKIE_NAME in client.cookies:
        cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
        headers.append((b"cookie", cookie.encode()))
    return headers


async def _open(
    path: str, client: Client | None = None, origin: str | None = ORIGIN
) -> WebsocketCommunicator:
    """An accepted socket, or the test fails."""
    socket = WebsocketCommunicator(application, path, headers=_headers(client, origin))
    connected, _ = await socket.connect(timeout=WAIT)
    assert connected, f"{path} was refused"
    return socket


async def _refused(path: str, client: Client | None = None, origin: str | None = ORIGIN) -> bool:
    socket = WebsocketCommunicator(application, path, headers=_headers(client, origin))
    connected, _ = await socket.connect(timeout=WAIT)
    if connected:
        await socket.disconnect()
    return not connected


def _track(result: SubmissionResult, token: str = "") -> str:
    query = f"?token={token}" if token else ""
    return f"/ws/track/{result.petition.tracking_code}/{query}"


def _changed(case: Case, version: int, state: str) -> dict[str, Any]:
    return {"type": "case.changed", "case": case.pk, "version": version, "state": state}


accept = database_sync_to_async(services.case_accept)
escalate = database_sync_to_async(services.case_escalate)


# --- the citizen's case page ------------------------------------------------------------------


def test_a_citizen_with_the_secret_token_hears_the_case_accepted_after_commit(submit, cast: Cast) -> None:
    result = submit()
    case = result.petition.case

    async def scenario() -> None:
        socket = await _open(_track(result, result.token))
        # First, where the case is now (the page may have been rendered a moment earlier).
        assert await socket.receive_json_from(WAIT) == _changed(case, 1, CaseState.SUBMITTED)
        await accept(case_id=case.pk, actor=cast.officer)
        assert await socket.receive_json_from(WAIT) == _changed(case, 2, CaseState.IN_PROGRESS)
        await socket.disconnect()

    run(scenario)


def test_a_citizen_page_with_the_session_grant_needs_no_token(submit, cast: Cast) -> None:
    result = submit()
    case = result.petition.case
    browser = _following(result.token)

    async def scenario() -> None:
        socket = await _open(_track(result), browser)
        await socket.receive_json_from(WAIT)
        await accept(case_id=case.pk, actor=cast.officer)
        assert await socket.receive_json_from(WAIT) == _changed(case, 2, CaseState.IN_PROGRESS)
        # A message from the page is ignored, and the socket keeps working.
        await socket.send_to(text_data="not even json")
        assert await socket.receive_nothing(0.1)
        await socket.disconnect()

    run(scenario)


def test_a_citizen_socket_is_refused_with_a_wrong_or_missing_token_and_no_grant(submit) -> None:
    result, other = submit(), submit(phone="0987 654 321")
    stranger = Client()
    stranger.get("/")  # a session, but no grant

    async def scenario() -> None:
        assert await _refused(_track(result, result.token + "x"))
        assert await _refused(_track(result))
        assert await _refused(_track(result), stranger)
        # Another petition's token opens that petition only.
        assert await _refused(_track(result, other.token))
        assert await _refused("/ws/track/PA-26-ZZZZZZ/?token=" + result.token)
        # The right token from another site's page.
        assert await _refused(_track(result, result.token), origin="https://evil.example")
        assert await _refused(_track(result, result.token), origin=None)

    run(scenario)


def test_a_citizen_hears_nothing_of_other_cases(submit, cast: Cast) -> None:
    result, other = submit(), submit(phone="0987 654 321")

    async def scenario() -> None:
        socket = await _open(_track(result, result.token))
        await socket.receive_json_from(WAIT)
        await accept(case_id=other.petition.case.pk, actor=cast.officer)
        assert await socket.receive_nothing(0.3)
        await socket.disconnect()

    run(scenario)


# --- the officers' inbox -------------------------------------------------------------------------


def test_an_officer_hears_of_changes_and_new_petitions_at_their_unit(submit, cast: Cast) -> None:
    case = submit().petition.case
    officer = _signed_in(cast.officer)

    async def scenario() -> None:
        socket = await _open("/ws/office/inbox/", officer)
        await accept(case_id=case.pk, actor=cast.officer)
        assert await socket.receive_json_from(WAIT) == _changed(case, 2, CaseState.IN_PROGRESS)
        new = (await database_sync_to_async(submit)(phone="0987 654 321")).petition.case
        assert await socket.receive_json_from(WAIT) == _changed(new, 1, CaseState.SUBMITTED)
        await socket.disconnect()

    run(scenario)


def test_another_units_officer_hears_nothing_of_the_case(submit, cast: Cast) -> None:
    case = submit().petition.case
    other = _signed_in(cast.other_officer)

    async def scenario() -> None:
        socket = await _open("/ws/office/inbox/", other)
        await accept(case_id=case.pk, actor=cast.officer)
        assert await socket.receive_nothing(0.3)
        await socket.disconnect()

    run(scenario)


def test_an_escalated_case_is_news_to_the_unit_it_left_and_the_unit_it_reached(submit, cast: Cast) -> None:
    case = submit().petition.case
    commune, province = _signed_in(cast.officer), _signed_in(cast.province_officer)

    async def scenario() -> None:
        left = await _open("/ws/office/inbox/", commune)
        reached = await _open("/ws/office/inbox/", province)
        await escalate(case_id=case.pk, actor=cast.officer, reason="Vượt thẩm quyền của phường.")
        for socket in (left, reached):
            assert await socket.receive_json_from(WAIT) == _changed(case, 2, CaseState.SUBMITTED)
            await socket.disconnect()

    run(scenario)


# --- the case desk ---------------------------------------------------------------------------------


def _desk(case: Case) -> str:
    return f"/ws/office/cases/{case.pk}/"


add_info = database_sync_to_async(services.case_citizen_add_info)


def test_the_open_desk_hears_that_the_citizen_added_information(submit, cast: Cast) -> None:
    from routing.actors import CitizenActor

    case = submit().petition.case
    services.case_accept(case_id=case.pk, actor=cast.officer)
    officer, leader = _signed_in(cast.officer), _signed_in(cast.province_leader)

    async def scenario() -> None:
        desk = await _open(_desk(case), officer)
        above = await _open(_desk(case), leader)  # a leader of the province reads it too
        for socket in (desk, above):
            # First, where the case is now (the desk may have been rendered a moment earlier).
            assert await socket.receive_json_from(WAIT) == _changed(case, 2, CaseState.IN_PROGRESS)
        await add_info(
            case_id=case.pk, actor=CitizenActor(petition_id=case.petition_id), text="Thêm một bao rác."
        )
        for socket in (desk, above):
            assert await socket.receive_json_from(WAIT) == _changed(case, 3, CaseState.IN_PROGRESS)
            await socket.disconnect()

    run(scenario)


def test_the_desk_socket_is_refused_to_those_who_may_not_read_the_case(submit, cast: Cast) -> None:
    case = submit().petition.case
    other, outsider = _signed_in(cast.other_officer), _signed_in(cast.outsider)
    officer = _signed_in(cast.officer)

    async def scenario() -> None:
        assert await _refused(_desk(case))
        assert await _refused(_desk(case), other)
        assert await _refused(_desk(case), outsider)
        assert await _refused("/ws/office/cases/987654/", officer)
        assert await _refused(_desk(case), officer, origin="https://evil.example")

    run(scenario)


def test_a_case_leaving_the_readers_sight_closes_its_desk_socket(submit, cast: Cast) -> None:
    case = submit().petition.case
    officer = _signed_in(cast.officer)

    async def scenario() -> None:
        desk = await _open(_desk(case), officer)
        await desk.receive_json_from(WAIT)
        await escalate(case_id=case.pk, actor=cast.officer, reason="Vượt thẩm quyền của phường.")
        assert await desk.receive_output(WAIT) == {"type": "websocket.close", "code": CLOSE_FORBIDDEN}

    run(scenario)


def test_the_inbox_socket_refuses_anonymous_visitors_and_accounts_without_a_unit(cast: Cast) -> None:
    inactive = User.objects.create_user(username="gone", password="x-Strong-pass-42")
    Membership.objects.create(user=inactive, unit=cast.officer.membership.unit)
    signed_in_then_deactivated = _signed_in(inactive)
    User.objects.filter(pk=inactive.pk).update(is_active=False)
    outsider, officer = _signed_in(cast.outsider), _signed_in(cast.officer)

    async def scenario() -> None:
        assert await _refused("/ws/office/inbox/")
        assert await _refused("/ws/office/inbox/", Client())
        assert await _refused("/ws/office/inbox/", outsider)
        assert await _refused("/ws/office/inbox/", signed_in_then_deactivated)
        assert await _refused("/ws/office/inbox/", officer, origin="https://evil.example")

    run(scenario)


def test_the_inbox_socket_needs_the_second_factor_when_the_account_has_one(cast: Cast) -> None:
    device = TOTPDevice.objects.create(user=cast.leader, name="phone", confirmed=True)
    password_only = _signed_in(cast.leader)
    verified = _signed_in(cast.leader)
    session = verified.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()

    async def scenario() -> None:
        assert await _refused("/ws/office/inbox/", password_only)
        socket = await _open("/ws/office/inbox/", verified)
        await socket.disconnect()

    run(scenario)


def test_nothing_is_sent_for_a_rolled_back_change(submit, cast: Cast) -> None:
    result = submit()
    case = result.petition.case
    officer = _signed_in(cast.officer)

    def accept_then_fail() -> None:
        with pytest.raises(RuntimeError), transaction.atomic():
            services.case_accept(case_id=case.pk, actor=cast.officer)
            raise RuntimeError("something after the change failed")

    async def scenario() -> None:
        inbox = await _open("/ws/office/inbox/", officer)
        page = await _open(_track(result, result.token))
        await page.receive_json_from(WAIT)
        await database_sync_to_async(accept_then_fail)()
        assert await inbox.receive_nothing(0.3)
        assert await page.receive_nothing(0.1)
        await inbox.disconnect()
        await page.disconnect()

    run(scenario)
    assert Case.objects.get(pk=case.pk).version == 1


# --- access that ends while the socket is open -------------------------------------------------


def test_losing_the_membership_closes_the_officers_inbox_socket(cast: Cast) -> None:
    officer = _signed_in(cast.officer)

    async def scenario() -> None:
        socket = await _open("/ws/office/inbox/", officer)
        await database_sync_to_async(Membership.objects.filter(user=cast.officer).delete)()
        assert await socket.receive_output(WAIT) == {"type": "websocket.close", "code": CLOSE_FORBIDDEN}

    run(scenario)


def test_moving_to_another_unit_makes_the_inbox_socket_reconnect(cast: Cast, tree: Tree) -> None:
    officer = _signed_in(cast.officer)

    def move() -> None:
        membership = Membership.objects.get(user=cast.officer)
        membership.unit = tree.cua_nam
        membership.save()

    async def scenario() -> None:
        socket = await _open("/ws/office/inbox/", officer)
        await database_sync_to_async(move)()
        assert await socket.receive_output(WAIT) == {"type": "websocket.close", "code": CLOSE_RECONNECT}

    run(scenario)


def test_deactivating_the_account_closes_its_sockets(cast: Cast) -> None:
    officer = _signed_in(cast.officer)

    def deactivate() -> None:
        user = User.objects.get(pk=cast.officer.pk)
        user.is_active = False
        user.save()

    async def scenario() -> None:
        socket = await _open("/ws/office/inbox/", officer)
        await database_sync_to_async(deactivate)()
        assert await socket.receive_output(WAIT) == {"type": "websocket.close", "code": CLOSE_FORBIDDEN}

    run(scenario)


def test_signing_out_in_another_tab_closes_the_inbox_socket(cast: Cast) -> None:
    officer = _signed_in(cast.officer)
    other_tab = Client()
    other_tab.cookies = officer.cookies  # the same browser, the same session

    async def scenario() -> None:
        socket = await _open("/ws/office/inbox/", officer)
        await database_sync_to_async(other_tab.post)(reverse("backoffice:backoffice-logout"))
        assert await socket.receive_output(WAIT) == {"type": "websocket.close", "code": CLOSE_FORBIDDEN}

    run(scenario)


def test_an_unrelated_membership_change_leaves_the_socket_open(cast: Cast) -> None:
    officer = _signed_in(cast.officer)

    def promote_someone_else() -> None:
        Membership.objects.filter(user=cast.officer2).update(role=Role.LEADER)
        Membership.objects.get(user=cast.officer2).save()

    async def scenario() -> None:
        socket = await _open("/ws/office/inbox/", officer)
        await database_sync_to_async(promote_someone_else)()
        assert await socket.receive_nothing(0.3)
        await socket.disconnect()

    run(scenario)


# --- the leaders' dashboard ----------------------------------------------------------------------


def test_a_province_leader_on_a_communes_dashboard_hears_of_its_cases(submit, cast: Cast) -> None:
    case = submit().petition.case
    leader = _signed_in(cast.province_leader)

    async def scenario() -> None:
        commune = await _open("/ws/office/dashboard/?unit=W00070", leader)
        own = await _open("/ws/office/dashboard/", leader)
        sibling = await _open("/ws/office/dashboard/?unit=W00073", leader)
        await accept(case_id=case.pk, actor=cast.officer)
        assert await commune.receive_json_from(WAIT) == _changed(case, 2, CaseState.IN_PROGRESS)
        assert await own.receive_json_from(WAIT) == _changed(case, 2, CaseState.IN_PROGRESS)
        assert await sibling.receive_nothing(0.2)
        for socket in (commune, own, sibling):
            await socket.disconnect()

    run(scenario)


def test_the_dashboard_socket_refuses_officers_and_units_outside_the_leaders_subtree(cast: Cast) -> None:
    refused = [
        ("", None),
        ("?unit=W00070", cast.officer),
        ("", cast.province_officer),
        ("?unit=W00070", cast.other_province_leader),
        ("?unit=P01", cast.leader),
        ("?unit=NOPE", cast.province_leader),
        ("", cast.outsider),
    ]
    browsers = [(query, _signed_in(user) if user else None) for query, user in refused]

    async def scenario() -> None:
        for query, browser in browsers:
            assert await _refused(f"/ws/office/dashboard/{query}", browser), query

    run(scenario)


def test_a_leader_demoted_to_officer_loses_the_dashboard_socket(cast: Cast) -> None:
    leader = _signed_in(cast.leader)

    def demote() -> None:
        membership = Membership.objects.get(user=cast.leader)
        membership.role = Role.OFFICER
        membership.save()

    async def scenario() -> None:
        socket = await _open("/ws/office/dashboard/", leader)
        await database_sync_to_async(demote)()
        assert await socket.receive_output(WAIT) == {"type": "websocket.close", "code": CLOSE_FORBIDDEN}

    run(scenario)


# --- metrics -----------------------------------------------------------------------------------


def test_open_sockets_are_counted_per_page_for_prometheus(submit) -> None:
    from config.metrics import OPEN_WEBSOCKETS

    result = submit()
    gauge = OPEN_WEBSOCKETS.labels(page="track")
    before = gauge._value.get()

    async def scenario() -> None:
        first = await _open(_track(result, result.token))
        second = await _open(_track(result, result.token))
        assert gauge._value.get() == before + 2
        assert await _refused(_track(result, "wrong-token"))
        assert gauge._value.get() == before + 2  # refused sockets are not open
        await first.disconnect()
        await second.disconnect()

    run(scenario)
    assert gauge._value.get() == before
