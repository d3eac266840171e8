"""The sweep's messages: one digest per staff member and run, citizens' messages per case."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from notifications import digests, outbox, texts
from notifications.models import Channel, DigestEntry, Notification
from routing import services
from routing.models import Case, CaseEvent, EventKind, Membership
from routing.sweep import mark_overdue, sweep_deadlines
from tests.conftest import Cast, Tree, advance, fresh


def digests_of(user: Any) -> list[Notification]:
    return list(Notification.objects.filter(template="sweep_digest", user=user).order_by("pk"))


def code(case: Case) -> str:
    return case.petition.tracking_code


@pytest.fixture
def emails(cast: Cast) -> Cast:
    """Every member of the cast with an e-mail (staff without one are never written to)."""
    for user in vars(cast).values():
        user.email = f"{user.username}@example.vn"
        user.save()
    return cast


@pytest.fixture
def now() -> dt.datetime:
    return timezone.now()


def overdue(case: Case, now: dt.datetime) -> Case:
    past = now - dt.timedelta(hours=1)
    Case.objects.filter(pk=case.pk).update(due_at=past, resolution_due_at=past)
    return fresh(case)


def test_each_staff_member_gets_one_digest_per_sweep_listing_only_their_units_cases(
    submit: Any, emails: Cast, tree: Tree, now: dt.datetime
) -> None:
    mine = [overdue(advance(submit().petition.case, "in_progress", emails), now) for _n in range(3)]
    elsewhere = submit(commune=tree.cua_nam).petition.case
    services.case_accept(case_id=elsewhere.pk, actor=emails.other_officer)
    elsewhere = overdue(elsewhere, now)

    sweep_deadlines(now=now)

    for person in (emails.officer, emails.leader):
        (digest,) = digests_of(person)
        assert digest.channel == Channel.EMAIL and digest.recipient == person.email
        assert all(code(c) in digest.body for c in mine)
        assert code(elsewhere) not in digest.body
        assert f"/office/cases/{mine[0].pk}/" in digest.body
    for person in (emails.other_officer, emails.other_commune_leader):
        (digest,) = digests_of(person)
        assert code(elsewhere) in digest.body
        assert not any(code(c) in digest.body for c in mine)
    # Not assigned, not leading the unit, or above it: nothing (escalations aside, below).
    for person in (emails.officer2, emails.province_leader, emails.central_leader, emails.province_officer):
        assert digests_of(person) == []
    # Instead of an e-mail per case and person.
    assert not Notification.objects.filter(template__in=["overdue_alert", "deadline_reminder"]).exists()
    assert not DigestEntry.objects.exists()


def test_escalated_cases_are_in_the_digest_of_the_parent_units_leaders_only(
    submit: Any, emails: Cast, tree: Tree, now: dt.datetime
) -> None:
    case = submit().petition.case
    past = now - dt.timedelta(hours=1)
    Case.objects.filter(pk=case.pk).update(due_at=past, triage_due_at=past)

    assert sweep_deadlines(now=now).escalated == 1

    (digest,) = digests_of(emails.province_leader)
    assert code(case) in digest.body
    for person in (emails.province_officer, emails.other_province_leader, emails.leader, emails.officer):
        assert digests_of(person) == []


def test_reminders_go_to_the_assignee_or_without_one_to_the_units_leaders(
    submit: Any, emails: Cast, now: dt.datetime
) -> None:
    soon = now + dt.timedelta(hours=2)
    assigned = advance(submit().petition.case, "in_progress", emails)
    unassigned = advance(submit().petition.case, "in_progress", emails)
    Case.objects.filter(pk=unassigned.pk).update(assignee=None)
    Case.objects.filter(pk__in=[assigned.pk, unassigned.pk]).update(due_at=soon, resolution_due_at=soon)

    assert sweep_deadlines(now=now).reminded == 2

    (officers,) = digests_of(emails.officer)
    assert code(assigned) in officers.body and code(unassigned) not in officers.body
    (leaders,) = digests_of(emails.leader)
    assert code(unassigned) in leaders.body and code(assigned) not in leaders.body


def test_an_assignee_who_moved_to_another_unit_no_longer_hears_of_the_case(
    submit: Any, emails: Cast, tree: Tree, now: dt.datetime
) -> None:
    case = overdue(advance(submit().petition.case, "in_progress", emails), now)
    Membership.objects.filter(user=emails.officer).update(unit=tree.cua_nam)

    sweep_deadlines(now=now)

    assert digests_of(emails.officer) == []
    assert code(case) in digests_of(emails.leader)[0].body


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("en", ["Deadlines: 2 cases need your attention", "2 cases became overdue", "Your inbox:"]),
        ("vi", ["Hạn xử lý: 2 vụ việc cần anh/chị chú ý", "2 vụ việc đã quá hạn", "Hộp thư của anh/chị:"]),
    ],
)
def test_the_digest_is_in_the_language_its_reader_chose(
    submit: Any, emails: Cast, now: dt.datetime, language: str, words: list[str]
) -> None:
    Membership.objects.filter(user=emails.leader).update(language=language)
    for _n in range(2):
        overdue(advance(submit().petition.case, "in_progress", emails), now)

    sweep_deadlines(now=now)

    (digest,) = digests_of(emails.leader)
    assert digest.language == language
    assert words[0] == digest.subject
    assert all(w in digest.body for w in words[1:])


def test_the_digest_lists_up_to_its_limit_and_counts_the_rest(
    submit: Any, emails: Cast, now: dt.datetime, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(digests, "DIGEST_LIMIT", 2)
    Membership.objects.filter(user=emails.officer).update(language="en")
    cases = [overdue(advance(submit().petition.case, "in_progress", emails), now) for _n in range(3)]

    sweep_deadlines(now=now)

    (digest,) = digests_of(emails.officer)
    assert sum(code(c) in digest.body for c in cases) == 2
    assert "3 cases became overdue" in digest.body
    assert "… and 1 more case." in digest.body
    assert texts.office_url("?tab=overdue", "en") in digest.body


def test_cases_a_run_left_before_its_digest_go_into_the_next_runs_digest(
    submit: Any, emails: Cast, now: dt.datetime
) -> None:
    first = overdue(advance(submit().petition.case, "in_progress", emails), now)
    mark_overdue(now=now)  # a run that died after this pass: its entries wait
    assert digests_of(emails.officer) == []
    second = overdue(advance(submit().petition.case, "in_progress", emails), now + dt.timedelta(hours=1))

    sweep_deadlines(now=now + dt.timedelta(hours=1))

    (digest,) = digests_of(emails.officer)
    assert code(first) in digest.body and code(second) in digest.body
    sweep_deadlines(now=now + dt.timedelta(hours=2))
    assert len(digests_of(emails.officer)) == 1


def test_citizens_hear_once_per_case_and_channel_with_the_outboxs_texts_and_keys(
    submit: Any, emails: Cast, tree: Tree, now: dt.datetime
) -> None:
    escalated = submit(email="an@example.vn").petition.case
    past = now - dt.timedelta(hours=1)
    Case.objects.filter(pk=escalated.pk).update(due_at=past, triage_due_at=past)
    closed = advance(submit(language="en").petition.case, "responded", emails)
    Case.objects.filter(pk=closed.pk).update(feedback_due_at=past)

    sweep_deadlines(now=now)
    sweep_deadlines(now=now)

    event = CaseEvent.objects.get(case=escalated, kind=EventKind.ESCALATE)
    sms, email = Notification.objects.filter(event=event).order_by("channel").reverse()
    expected = texts.status_change(
        code=code(escalated), kind="escalate", unit=tree.hanoi.name, note="", language="vi"
    )
    assert (sms.channel, sms.recipient, sms.body) == (Channel.SMS, "+84912345678", expected.sms)
    assert sms.dedupe_key == outbox._key(f"event:{event.pk}", Channel.SMS, "+84912345678")
    assert (email.recipient, email.subject, email.body) == ("an@example.vn", expected.subject, expected.email)
    assert sms.template == "case_escalate" and sms.petition_id == escalated.petition_id

    event = CaseEvent.objects.get(case=closed, kind=EventKind.AUTO_CLOSE)
    (sms,) = Notification.objects.filter(event=event)
    expected = texts.status_change(
        code=code(closed), kind="auto_close", unit=tree.hoan_kiem.name, note="", language="en"
    )
    assert (sms.language, sms.body) == ("en", expected.sms)


def test_nothing_is_written_while_notifications_are_paused(
    submit: Any, emails: Cast, now: dt.datetime
) -> None:
    overdue(advance(submit().petition.case, "in_progress", emails), now)
    with outbox.paused():
        assert sweep_deadlines(now=now).overdue == 1
    assert not Notification.objects.filter(template="sweep_digest").exists()
    assert not DigestEntry.objects.exists()
