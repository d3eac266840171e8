"""Publishing case changes to the live-update groups (notifications/live.py)."""

from __future__ import annotations

import logging
import re
import time
from typing import Any

import pytest
from django.urls import reverse

from notifications import live
from routing import services
from routing.models import CaseEvent, CaseState
from tests.conftest import Cast, fresh

GROUP_NAME = re.compile(r"^[a-zA-Z\d\-_.]{1,99}$")  # what channel layers accept


def test_a_change_is_sent_to_the_case_its_unit_and_every_subtree_above_it() -> None:
    groups = live.groups_for_case(case_id=7, unit_paths=["/TW/P01/W00070/"])
    assert groups == ["case.7", "unit.W00070", "subtree.TW", "subtree.P01", "subtree.W00070"]


def test_a_case_that_moved_is_news_to_both_units() -> None:
    groups = live.groups_for_case(case_id=7, unit_paths=["/TW/P01/", "/TW/P01/W00070/", "/TW/P01/", None])
    assert groups == ["case.7", "unit.P01", "subtree.TW", "subtree.P01", "unit.W00070", "subtree.W00070"]


def test_group_names_are_valid_channel_layer_names_whatever_the_unit_code() -> None:
    for code in ("W00070", "Phường Hoàn Kiếm", "x" * 200, "a/b c"):
        for name in (live.unit_group(code), live.subtree_group(code)):
            assert GROUP_NAME.match(name), name
    assert live.unit_group("Phường A") != live.unit_group("Phường B")
    assert GROUP_NAME.match(live.user_group(10**12)) and GROUP_NAME.match(live.case_group(10**12))


def test_publishing_loads_the_case_and_its_units_in_one_query(
    case: Any, cast: Cast, channel_layer: Any, django_assert_num_queries: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    services.case_escalate(case_id=case.pk, actor=cast.officer, reason="Vượt thẩm quyền của phường.")
    event = CaseEvent.objects.filter(case=case).latest("pk")
    sent: list[tuple[list[str], dict[str, Any]]] = []
    monkeypatch.setattr(live, "_send_many", lambda sends, what: sent.extend(sends))
    with django_assert_num_queries(1):
        live.publish_case_changed(None, case_id=case.pk, event_id=event.pk, version=2, kind="escalate")
    [(groups, message)] = sent
    assert message == {"type": "case.changed", "case": case.pk, "version": 2, "state": CaseState.SUBMITTED}
    assert {"unit.W00070", "unit.P01", "subtree.TW", "subtree.P01", "subtree.W00070"} <= set(groups)


def test_a_case_service_publishes_its_change_without_reading_the_database(
    case: Any,
    cast: Cast,
    channel_layer: Any,
    django_capture_on_commit_callbacks: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sent: list[tuple[list[str], dict[str, Any]]] = []
    monkeypatch.setattr(live, "_send_many", lambda sends, what: sent.extend(sends))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.case_escalate(case_id=case.pk, actor=cast.officer, reason="Vượt thẩm quyền của phường.")
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        for callback in callbacks:  # the push, and the drain of the citizen's SMS
            callback()
    assert not [q["sql"] for q in queries if "routing_" in q["sql"]]
    [(groups, message)] = sent
    assert message == {"type": "case.changed", "case": case.pk, "version": 2, "state": CaseState.SUBMITTED}
    # It left the ward for the province: news to both inboxes and every dashboard above.
    assert {f"case.{case.pk}", "unit.W00070", "unit.P01", "subtree.TW", "subtree.P01"} <= set(groups)


def test_a_server_sends_its_pushes_from_a_thread_in_batches(
    submit: Any, channel_layer: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading

    from config import jobs

    monkeypatch.setattr(jobs, "serving_on_thread", lambda: True)
    gate, batches = threading.Event(), []

    def slow_layer(sends: list[Any], what: str) -> None:
        gate.wait(5)  # Redis is slow: the request must not wait for it
        batches.append([message for _groups, message in sends])

    monkeypatch.setattr(live, "_send_many", slow_layer)
    first, second = submit().petition.case, submit(phone="0987 654 321").petition.case
    started = time.monotonic()
    for version in (1, 2, 3):
        live.publish_case_changed(
            None,
            case_id=first.pk,
            event_id=1,
            version=version,
            kind="note",
            state="submitted",
            unit_paths=["/TW/P01/W00070/"],
        )
    live.publish_case_changed(
        None,
        case_id=second.pk,
        event_id=2,
        version=1,
        kind="submitted",
        state="submitted",
        unit_paths=["/TW/P01/W00070/"],
    )
    assert time.monotonic() - started < 0.5 and batches == []
    gate.set()
    deadline = time.monotonic() + 5
    while sum(len(batch) for batch in batches) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    delivered = [message for batch in batches for message in batch]
    # The first push may have left alone; after it, the rest went together, the latest version once.
    assert {(m["case"], m["version"]) for m in delivered} >= {(first.pk, 3), (second.pk, 1)}
    assert len(batches) <= 2 and len(delivered) <= 3


def test_changes_are_published_only_after_commit(
    case: Any,
    cast: Cast,
    channel_layer: Any,
    django_capture_on_commit_callbacks: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sent: list[dict[str, Any]] = []
    monkeypatch.setattr(
        live, "_send_many", lambda sends, what: sent.extend(message for _groups, message in sends)
    )
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.case_accept(case_id=case.pk, actor=cast.officer)
    assert sent == []
    for callback in callbacks:
        callback()
    assert [m["version"] for m in sent] == [2]


def test_information_the_citizen_adds_reaches_the_desk_and_the_inbox_after_commit(
    case: Any,
    cast: Cast,
    channel_layer: Any,
    django_capture_on_commit_callbacks: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from routing.actors import CitizenActor

    services.case_accept(case_id=case.pk, actor=cast.officer)
    sent: list[tuple[list[str], dict[str, Any]]] = []
    monkeypatch.setattr(live, "_send_many", lambda sends, what: sent.extend(sends))
    with django_capture_on_commit_callbacks(execute=True):
        services.case_citizen_add_info(
            case_id=case.pk, actor=CitizenActor(petition_id=case.petition_id), text="Thêm một bao rác."
        )
    [(groups, message)] = sent
    assert message == {"type": "case.changed", "case": case.pk, "version": 3, "state": CaseState.IN_PROGRESS}
    # The desk listens to the case's group, the inbox to its unit's.
    assert {live.case_group(case.pk), "unit.W00070"} <= set(groups)


@pytest.fixture
def layer_down(settings: Any) -> None:
    # A real Redis channel layer against a port where nothing listens.
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": ["redis://127.0.0.1:9/0"], "prefix": "down"},
        }
    }


def test_an_officer_acts_while_the_channel_layer_is_down(
    client: Any,
    case: Any,
    cast: Cast,
    layer_down: None,
    django_capture_on_commit_callbacks: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    client.force_login(cast.officer)
    started = time.monotonic()
    with (
        caplog.at_level(logging.WARNING, logger="notifications.live"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = client.post(
            reverse("backoffice:backoffice-case-act", args=[case.pk, "accept"]),
            {"accept-version": "1", "accept-assignee": str(cast.officer.pk)},
        )
    assert response.status_code == 302
    assert fresh(case).state == CaseState.IN_PROGRESS
    assert time.monotonic() - started < 1 + live.SEND_TIMEOUT
    assert f"live update for case {case.pk} v2 not sent: channel layer unavailable" in caplog.text


def test_a_citizen_files_a_petition_while_the_channel_layer_is_down(
    client: Any, tree: Any, category: Any, layer_down: None, django_capture_on_commit_callbacks: Any
) -> None:
    from portal.forms import sign_started

    data = {
        "category": str(category.pk),
        "province": tree.hanoi.code,
        "commune": tree.hoan_kiem.code,
        "title": "Cây đổ chắn đường",
        "text": "Một cây lớn đổ chắn ngang đường sau cơn bão, xe không qua được.",
        "submitter_name": "Phạm Thị Mai",
        "phone": "0912 345 678",
        "started": sign_started(),
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/submit/", data)
    assert response.status_code == 302


def test_a_sweep_batch_is_published_with_one_query_and_once_per_case(
    submit: Any,
    cast: Cast,
    channel_layer: Any,
    django_assert_num_queries: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cases = [submit().petition.case for _n in range(5)]
    for case in cases:
        services.case_escalate(case_id=case.pk, actor=cast.officer, reason="Vượt thẩm quyền của phường.")
    batch = [(c.pk, CaseEvent.objects.filter(case=c).latest("pk").pk, 2, "escalate") for c in cases]
    # The first case twice: an older event of it in the same batch is not announced again.
    first_event = CaseEvent.objects.filter(case=cases[0]).earliest("pk").pk
    batch.append((cases[0].pk, first_event, 1, "submitted"))
    sent: list[tuple[list[str], dict[str, Any]]] = []
    monkeypatch.setattr(live, "_send_many", lambda sends, what: sent.extend(sends))
    with django_assert_num_queries(1):
        live.publish_cases_changed(None, events=batch)
    assert sorted(message["case"] for _groups, message in sent) == sorted(c.pk for c in cases)
    assert {message["version"] for _groups, message in sent} == {2}
    assert all("unit.P01" in groups for groups, _message in sent)


def test_a_sweep_batch_of_overdue_marks_tells_each_inbox_and_dashboard_once(
    submit: Any, cast: Cast, channel_layer: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from routing.models import EventKind

    cases = [submit(phone=f"0912 000 {n:03d}").petition.case for n in range(4)]
    batch = [(c.pk, CaseEvent.objects.filter(case=c).latest("pk").pk, 1, EventKind.OVERDUE) for c in cases]
    escalated = cases[0]
    services.case_escalate(case_id=escalated.pk, actor=cast.officer, reason="Vượt thẩm quyền của phường.")
    batch.append(
        (escalated.pk, CaseEvent.objects.filter(case=escalated).latest("pk").pk, 2, EventKind.ESCALATE)
    )
    sent: list[tuple[list[str], dict[str, Any]]] = []
    monkeypatch.setattr(live, "_send_many", lambda sends, what: sent.extend(sends))
    live.publish_cases_changed(None, events=batch)
    # The three marks: each inbox and dashboard group told once, no case page (same version).
    quiet = [group for sends, message in sent if message["case"] != escalated.pk for group in sends]
    assert sorted(quiet) == sorted({"unit.W00070", "subtree.TW", "subtree.P01", "subtree.W00070"})
    # The escalation still reaches its own case's page, at its new version.
    [(loud_groups, loud)] = [(sends, message) for sends, message in sent if message["case"] == escalated.pk]
    assert loud["version"] == 2 and f"case.{escalated.pk}" in loud_groups
