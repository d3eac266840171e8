"""The dashboard's alerts banner, live: detection and leaders' actions push ``alerts.changed``, the snapshot re-renders it."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from alerts.models import Alert
from alerts.services import alert_acknowledge, alert_close, alerts_detect
from config.asgi import application
from notifications import live
from tests.alerts.conftest import NOW, Traffic
from tests.conftest import Cast, Tree

DASHBOARD = reverse("backoffice:backoffice-dashboard")
DASHBOARD_LIVE = reverse("backoffice:backoffice-dashboard-live")
WAIT = 2


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> list[tuple[list[str], dict[str, Any]]]:
    """What the live module hands the channel layer (the layer itself is tested in tests/notifications)."""
    messages: list[tuple[list[str], dict[str, Any]]] = []

    def send_many(sends: list[tuple[list[str], dict[str, Any]]], *, what: str) -> bool:
        messages.extend(sends)
        return True

    monkeypatch.setattr(live, "_send_many", send_many)
    return messages


def alert_pushes(sent: list[tuple[list[str], dict[str, Any]]]) -> list[list[str]]:
    return [groups for groups, message in sent if message == {"type": "alerts.changed"}]


def test_dashboards_of_the_alerts_unit_and_above_hear_of_it_after_commit_and_no_other(
    traffic: Traffic, tree: Tree, sent: Any, django_capture_on_commit_callbacks: Any
):
    traffic.burst(tree.hanoi, end=NOW - dt.timedelta(minutes=5))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        alerts_detect(now=NOW)
    assert alert_pushes(sent) == []
    for callback in callbacks:
        callback()
    assert alert_pushes(sent) == [["subtree.TW", "subtree.P01"]]


def test_a_run_without_change_pushes_nothing_and_a_growing_alert_pushes_again(
    traffic: Traffic, tree: Tree, sent: Any, django_capture_on_commit_callbacks: Any
):
    traffic.burst(tree.hanoi, end=NOW - dt.timedelta(minutes=5))
    with django_capture_on_commit_callbacks(execute=True):
        alerts_detect(now=NOW)
    sent.clear()
    with django_capture_on_commit_callbacks(execute=True):
        alerts_detect(now=NOW + dt.timedelta(hours=1))
    assert alert_pushes(sent) == []
    traffic.burst(tree.hanoi, end=NOW + dt.timedelta(hours=1, minutes=50), count=20, seed=3)
    with django_capture_on_commit_callbacks(execute=True):
        assert alerts_detect(now=NOW + dt.timedelta(hours=2)).updated
    assert alert_pushes(sent) == [["subtree.TW", "subtree.P01"]]


def test_acknowledging_and_closing_refresh_the_banners(
    tree: Tree, cast: Cast, sent: Any, django_capture_on_commit_callbacks: Any
):
    alert = make_alert(tree)
    with django_capture_on_commit_callbacks(execute=True):
        alert_acknowledge(alert_id=alert.pk, user=cast.province_leader)
    with django_capture_on_commit_callbacks(execute=True):
        alert_close(alert_id=alert.pk, user=cast.province_leader)
    assert alert_pushes(sent) == [["subtree.TW", "subtree.P01"]] * 2


def make_alert(tree: Tree, **fields: Any) -> Alert:
    now = timezone.now()
    values: dict[str, Any] = {
        "place": tree.hanoi,
        "unit": tree.hanoi,
        "subject": "t:ngập lụt",
        "term": "ngập lụt",
        "window_hours": 72,
        "window_start": now - dt.timedelta(hours=72),
        "window_end": now,
        "observed": 42,
        "expected": 3.4,
        "p_value": 1e-12,
        **fields,
    }
    return Alert.objects.create(**values)


# --- the snapshot ---------------------------------------------------------------------------


def test_the_dashboard_snapshot_renders_the_banner_scoped_like_the_page(
    client: Client, tree: Tree, cast: Cast
):
    client.force_login(cast.province_leader)
    empty = client.get(DASHBOARD_LIVE).json()["html"]["alerts"]
    assert 'data-live-fragment="alerts"' in empty and "ngập lụt" not in empty
    # Raised after the page was loaded: the next snapshot has it, and the page it would load has the same.
    alert = make_alert(tree)
    banner = client.get(DASHBOARD_LIVE).json()["html"]["alerts"]
    assert "ngập lụt" in banner and reverse("backoffice:backoffice-alert", args=[alert.pk]) in banner
    assert banner.strip() in client.get(DASHBOARD).content.decode()
    # Central sees it too; a commune's dashboard below and another province's leader do not.
    client.force_login(cast.central_leader)
    assert "ngập lụt" in client.get(DASHBOARD_LIVE).json()["html"]["alerts"]
    assert "ngập lụt" not in client.get(DASHBOARD_LIVE, {"unit": "W00070"}).json()["html"]["alerts"]
    client.force_login(cast.other_province_leader)
    assert "ngập lụt" not in client.get(DASHBOARD_LIVE).json()["html"]["alerts"]


# --- the socket, end to end -----------------------------------------------------------------


def _signed_in(user: Any) -> list[tuple[bytes, bytes]]:
    client = Client()
    client.force_login(user)
    cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
    return [(b"origin", b"http://localhost"), (b"cookie", cookie.encode())]


@pytest.mark.django_db(transaction=True)
def test_a_leaders_open_dashboard_hears_of_an_alert_of_its_area_and_others_do_not(
    tree: Tree, cast: Cast, channel_layer: Any
):
    alert = make_alert(tree)
    acknowledge = database_sync_to_async(alert_acknowledge)

    headers = [_signed_in(user) for user in (cast.province_leader, cast.other_province_leader)]

    async def scenario() -> None:
        sockets = []
        for signed_in in headers:
            socket = WebsocketCommunicator(application, "/ws/office/dashboard/", headers=signed_in)
            connected, _ = await socket.connect(timeout=WAIT)
            assert connected
            sockets.append(socket)
        own, other = sockets
        await acknowledge(alert_id=alert.pk, user=cast.province_leader)
        assert await own.receive_json_from(WAIT) == {"type": "alerts.changed"}
        assert await other.receive_nothing(0.2)
        for socket in sockets:
            await socket.disconnect()

    async_to_sync(scenario)()
