"""Asking the citizen for more (issue 18): the question, the paused clock, the answer, the reminder
and the return without an answer.

The officer (or a leader) asks from ``in_progress``; the case waits in ``awaiting_citizen`` with the
resolution clock paused, the citizen hears the question by SMS and e-mail and answers on their page
with text and photos; the clock resumes, longer by the working days it waited. Unanswered, the sweep
reminds the citizen once, a working day before the deadline, then returns the case to its officer.
"""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from notifications.models import Channel, Notification
from routing import services
from routing.actors import CitizenActor
from routing.deadlines import add_working_days, working_days_between
from routing.errors import CaseActionForbidden
from routing.models import CaseEvent, CaseState, EventKind, SLAPolicy
from routing.sweep import remind_citizens, return_unanswered, sweep_deadlines
from tests.conftest import Cast, advance, fresh

QUESTION = "Xin ông gửi ảnh chụp chỗ nước ngập và cho biết ngập từ lúc nào?"
ANSWER = "Ngập từ 6 giờ sáng, sâu khoảng 40 cm. Ảnh đính kèm."


def _png() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (60, 40), (30, 90, 160)).save(buffer, "PNG")
    return SimpleUploadedFile("ngap.png", buffer.getvalue(), content_type="image/png")


@pytest.fixture
def asked(case: Any, cast: Cast) -> Any:
    from django.contrib.auth.models import User

    User.objects.filter(pk=cast.officer.pk).update(email="can.bo@hoankiem.example.vn")  # to hear by e-mail
    advance(case, "in_progress", cast)
    services.case_ask_citizen(case_id=case.pk, actor=cast.officer, question=QUESTION)
    return fresh(case)


def _follow(client: Client, case: Any) -> None:
    assert (
        client.post("/track/", {"code": case.petition.tracking_code, "phone": "0912345678"}).status_code
        == 302
    )


def test_asking_pauses_the_clock_and_tells_the_citizen_the_question(case: Any, cast: Cast) -> None:
    advance(case, "in_progress", cast)
    before = fresh(case)
    asked = services.case_ask_citizen(case_id=case.pk, actor=cast.officer, question=QUESTION)
    assert asked.state == CaseState.AWAITING_CITIZEN
    assert asked.paused_at is not None and asked.resolution_due_at == before.resolution_due_at
    assert (
        asked.due_at == asked.citizen_due_at == add_working_days(asked.paused_at, 10)
    )  # the policy's default
    event = CaseEvent.objects.filter(case=case).latest("id")
    assert (event.kind, event.is_public, event.note) == (EventKind.ASK_CITIZEN, True, QUESTION)
    sms = Notification.objects.get(event=event, channel=Channel.SMS)
    email = Notification.objects.get(event=event, channel=Channel.EMAIL) if case.petition.email else None
    assert "Xin ong gui anh chup cho nuoc ngap" in sms.body  # the question itself, folded for an SMS
    assert "/t/s/" in sms.body and len(sms.body) <= 306  # the signed link opens the petition
    if email is not None:
        assert QUESTION in email.body


def test_the_policy_sets_the_citizens_window(case: Any, cast: Cast) -> None:
    SLAPolicy.objects.update_or_create(level="commune", category=None, defaults={"citizen_reply_days": 3})
    advance(case, "in_progress", cast)
    asked = services.case_ask_citizen(case_id=case.pk, actor=cast.officer, question=QUESTION)
    assert asked.citizen_due_at == add_working_days(asked.paused_at, 3)


def test_only_the_assignee_or_a_leader_may_ask_and_never_an_empty_question(case: Any, cast: Cast) -> None:
    advance(case, "in_progress", cast)
    for who in (cast.officer2, cast.other_officer, cast.province_leader):
        with pytest.raises(CaseActionForbidden):
            services.case_ask_citizen(case_id=case.pk, actor=who, question=QUESTION)
    with pytest.raises(ValidationError):
        services.case_ask_citizen(case_id=case.pk, actor=cast.officer, question="  ")
    assert fresh(case).state == CaseState.IN_PROGRESS
    assert services.case_ask_citizen(case_id=case.pk, actor=cast.leader, question=QUESTION).state == (
        CaseState.AWAITING_CITIZEN
    )


def test_the_answer_resumes_the_clock_longer_by_the_days_it_waited(asked: Any, cast: Cast) -> None:
    later = timezone.now() + dt.timedelta(days=4)
    case = services._run(
        case_id=asked.pk,
        actor=CitizenActor(petition_id=asked.petition_id),
        action="citizen_answered",
        expected_version=None,
        note=ANSWER,
        is_public=True,
        now=later,
    )
    waited = working_days_between(asked.paused_at, later)
    assert waited >= 2
    assert case.state == CaseState.IN_PROGRESS and case.paused_at is None and case.citizen_due_at is None
    assert case.resolution_due_at == case.due_at == add_working_days(asked.resolution_due_at, waited)


def test_the_citizen_answers_on_their_page_with_a_photo_and_the_officer_hears(
    client: Client, asked: Any, cast: Cast
) -> None:
    _follow(client, asked)
    page = client.get(reverse("portal:portal-case", args=[asked.petition.tracking_code])).content.decode()
    assert "Câu hỏi dành cho bạn" in page and QUESTION in page
    assert '<span class="badge">Đang chờ bạn trả lời</span>' in page  # their page speaks to them
    assert reverse("portal:portal-add-info", args=[asked.petition.tracking_code]) not in page  # they answer
    url = reverse("portal:portal-answer", args=[asked.petition.tracking_code])
    assert client.post(url, {"text": ""}).status_code == 400  # nothing written, nothing changed
    assert fresh(asked).state == CaseState.AWAITING_CITIZEN
    response = client.post(url, {"text": ANSWER, "photos": [_png()]})
    assert response.status_code == 302
    case = fresh(asked)
    assert case.state == CaseState.IN_PROGRESS
    answer = CaseEvent.objects.filter(case=case).latest("id")
    assert (answer.kind, answer.note, answer.actor_kind) == (EventKind.CITIZEN_ANSWER, ANSWER, "citizen")
    assert answer.attachments.count() == 1 and case.petition.attachments.count() == 1
    assert Notification.objects.filter(event=answer, user=cast.officer, template="citizen_answered").exists()
    page = client.get(reverse("portal:portal-case", args=[asked.petition.tracking_code])).content.decode()
    assert "Câu hỏi dành cho bạn" not in page and "Bạn đã trả lời, kèm 1 ảnh." in page


def test_a_browser_without_the_grant_cannot_answer(client: Client, asked: Any) -> None:
    url = reverse("portal:portal-answer", args=[asked.petition.tracking_code])
    assert client.post(url, {"text": ANSWER}).status_code == 404
    assert fresh(asked).state == CaseState.AWAITING_CITIZEN


def test_the_sweep_reminds_once_then_returns_the_case_to_its_officer(asked: Any, cast: Cast) -> None:
    due = asked.citizen_due_at
    assert remind_citizens(now=due - dt.timedelta(days=12)) == 0  # not yet
    eve = due - dt.timedelta(hours=12)
    assert remind_citizens(now=eve) == 1
    assert remind_citizens(now=eve + dt.timedelta(hours=1)) == 0  # once
    reminder = CaseEvent.objects.get(case=asked, kind=EventKind.CITIZEN_REMINDER)
    assert reminder.is_public and Notification.objects.filter(event=reminder, channel=Channel.SMS).exists()
    assert fresh(asked).state == CaseState.AWAITING_CITIZEN

    after = due + dt.timedelta(hours=1)
    report = sweep_deadlines(now=after)
    assert report.unanswered == 1 and report.overdue == 0  # the citizen's deadline is not the unit's
    case = fresh(asked)
    assert case.state == CaseState.IN_PROGRESS and case.assignee == cast.officer
    waited = working_days_between(asked.paused_at, after)
    assert case.resolution_due_at == case.due_at == add_working_days(asked.resolution_due_at, waited)
    returned = CaseEvent.objects.get(case=case, kind=EventKind.CITIZEN_NO_ANSWER)
    assert returned.case_version == case.version and returned.to_state == CaseState.IN_PROGRESS
    assert Notification.objects.filter(
        event=returned, user=cast.officer, template="citizen_unanswered"
    ).exists()
    assert return_unanswered(now=after) == 0
    # The officer then decides, e.g. to escalate or answer with what they have: the case is theirs again.
    assert "submit_response" in {t.name for t in case.get_available_state_transitions()}  # type: ignore[attr-defined]


def test_the_citizen_may_withdraw_while_asked(asked: Any) -> None:
    services.case_withdraw(case_id=asked.pk, actor=CitizenActor(petition_id=asked.petition_id))
    assert fresh(asked).state == CaseState.WITHDRAWN
    assert return_unanswered(now=timezone.now() + dt.timedelta(days=60)) == 0


def test_open311_calls_a_case_waiting_for_its_citizen_open(asked: Any) -> None:
    from portal.open311.presenters import OPEN_STATES

    assert CaseState.AWAITING_CITIZEN in OPEN_STATES
