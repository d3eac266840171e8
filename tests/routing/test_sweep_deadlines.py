"""The periodic deadline sweep: escalation, overdue marks, reminders, automatic closes."""

from __future__ import annotations

import datetime as dt
import threading
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import Count
from django.utils import timezone

from petitions.models import Category
from petitions.services import Submission, petition_submit
from routing.deadlines import add_working_days
from routing.models import ActorKind, Case, CaseEvent, CaseState, EventKind, Level, Role, SLAPolicy
from routing.signals import case_events_committed
from routing.sweep import SweepReport, sweep_deadlines
from tests.conftest import Cast, Tree, advance, fresh, requires_postgres

S = CaseState


@pytest.fixture
def now() -> dt.datetime:
    return timezone.now()


def new_case(submit: Any, level: str = Level.COMMUNE, **overrides: Any) -> Case:
    target = "" if level == Level.COMMUNE else level
    return submit(target_level=target, **overrides).petition.case  # type: ignore[no-any-return]


def due_in_past(case: Case, now: dt.datetime, *deadlines: str) -> dt.datetime:
    """Move the case's current deadline (and the named ones) an hour before ``now``."""
    past = now - dt.timedelta(hours=1)
    Case.objects.filter(pk=case.pk).update(due_at=past, **dict.fromkeys(deadlines, past))
    return past


def events(case: Case, kind: str) -> list[CaseEvent]:
    return list(CaseEvent.objects.filter(case=case, kind=kind).order_by("id"))


def everything() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Every case row and every event row, to compare before and after a sweep."""
    return (
        list(Case.objects.order_by("pk").values()),
        list(CaseEvent.objects.order_by("pk").values()),
    )


# --- escalation of untriaged cases -------------------------------------------------------------


def test_untriaged_case_at_a_commune_past_its_triage_deadline_goes_to_the_province(
    submit: Any, tree: Tree, category: Category, now: dt.datetime
) -> None:
    SLAPolicy.objects.create(level=Level.PROVINCE, category=category, triage_days=5)
    case = new_case(submit)
    due_in_past(case, now, "triage_due_at")

    report = sweep_deadlines(now=now)

    case = fresh(case)
    assert report == SweepReport(escalated=1)
    assert (case.state, case.unit) == (S.SUBMITTED, tree.hanoi)
    assert case.triage_due_at == case.due_at == add_working_days(now, 5)
    assert case.version == 2
    assert case.assignee is None and not case.is_overdue
    (event,) = events(case, EventKind.ESCALATE)
    assert (event.actor, event.actor_kind) == (None, ActorKind.SYSTEM)
    assert (event.from_state, event.to_state) == (S.SUBMITTED, S.SUBMITTED)
    assert (event.from_unit, event.to_unit) == (tree.hoan_kiem, tree.hanoi)
    assert event.is_public
    assert event.case_version == 2
    assert event.created_at == now
    assert events(case, EventKind.OVERDUE) == []


def test_untriaged_case_at_a_province_goes_to_central(submit: Any, tree: Tree, now: dt.datetime) -> None:
    case = new_case(submit, Level.PROVINCE)
    due_in_past(case, now, "triage_due_at")

    report = sweep_deadlines(now=now)

    case = fresh(case)
    assert report.escalated == 1
    assert (case.state, case.unit) == (S.SUBMITTED, tree.central)
    assert case.triage_due_at == case.due_at == add_working_days(now, 3)
    (event,) = events(case, EventKind.ESCALATE)
    assert (event.from_unit, event.to_unit) == (tree.hanoi, tree.central)


def test_untriaged_case_at_central_is_only_marked_overdue(submit: Any, tree: Tree, now: dt.datetime) -> None:
    case = new_case(submit, Level.CENTRAL)
    past = due_in_past(case, now, "triage_due_at")

    report = sweep_deadlines(now=now)

    case = fresh(case)
    assert report == SweepReport(overdue=1)
    assert (case.state, case.unit, case.version) == (S.SUBMITTED, tree.central, 1)
    assert case.is_overdue and case.overdue_since == now
    assert events(case, EventKind.ESCALATE) == []
    (event,) = events(case, EventKind.OVERDUE)
    assert (event.actor, event.actor_kind, event.is_public) == (None, ActorKind.SYSTEM, False)
    assert event.case_version == 1
    assert event.data == {"due_at": past.isoformat()}


def test_a_case_still_within_its_triage_deadline_stays(submit: Any, now: dt.datetime) -> None:
    case = new_case(submit)
    before = everything()
    assert sweep_deadlines(now=now) == SweepReport()
    assert everything() == before
    assert fresh(case).unit.level == Level.COMMUNE


def test_the_sweep_escalates_in_batches_until_done(submit: Any, tree: Tree, now: dt.datetime) -> None:
    cases = [new_case(submit) for _ in range(5)]
    for case in cases:
        due_in_past(case, now, "triage_due_at")

    report = sweep_deadlines(now=now, batch_size=2)

    assert report.escalated == 5
    for case in cases:
        assert fresh(case).unit == tree.hanoi
        assert len(events(case, EventKind.ESCALATE)) == 1


# --- overdue marks ---------------------------------------------------------------------------------


def test_an_in_progress_case_past_its_resolution_deadline_is_marked_overdue(
    submit: Any, cast: Cast, tree: Tree, now: dt.datetime
) -> None:
    case = advance(new_case(submit), S.IN_PROGRESS, cast)
    due_in_past(case, now, "resolution_due_at")

    report = sweep_deadlines(now=now)

    after = fresh(case)
    assert report == SweepReport(overdue=1)
    assert (after.state, after.unit, after.version) == (S.IN_PROGRESS, tree.hoan_kiem, 2)
    assert after.is_overdue and after.overdue_since == now
    assert after.assignee == cast.officer
    (event,) = events(case, EventKind.OVERDUE)
    assert (event.from_state, event.to_state) == (S.IN_PROGRESS, S.IN_PROGRESS)
    assert (event.from_unit, event.to_unit) == (tree.hoan_kiem, tree.hoan_kiem)


@pytest.mark.parametrize("state", [S.AWAITING_AGENCY, S.PENDING_APPROVAL])
def test_other_clocked_states_are_marked_overdue_too(
    submit: Any, cast: Cast, state: str, now: dt.datetime
) -> None:
    case = advance(new_case(submit), state, cast)
    due_in_past(case, now)
    assert sweep_deadlines(now=now).overdue == 1
    assert fresh(case).is_overdue


def test_an_awaiting_agency_case_is_judged_by_the_agency_deadline(
    submit: Any, cast: Cast, now: dt.datetime
) -> None:
    case = advance(new_case(submit), S.AWAITING_AGENCY, cast)
    # The resolution clock is paused: its old deadline passing does not count.
    Case.objects.filter(pk=case.pk).update(resolution_due_at=now - dt.timedelta(days=3))
    assert sweep_deadlines(now=now).overdue == 0
    assert not fresh(case).is_overdue


@pytest.mark.parametrize("state", [S.RESPONDED, S.CLOSED, S.REJECTED, S.DUPLICATE, S.WITHDRAWN])
def test_cases_with_no_running_clock_are_never_marked_overdue(
    submit: Any, cast: Cast, state: str, now: dt.datetime
) -> None:
    case = advance(new_case(submit), state, cast)
    due_in_past(case, now)  # the feedback window, if any, is still open
    sweep_deadlines(now=now)
    after = fresh(case)
    assert (after.state, after.is_overdue) == (state, False)
    assert events(case, EventKind.OVERDUE) == []


def test_a_case_is_marked_overdue_once(submit: Any, cast: Cast, now: dt.datetime) -> None:
    case = advance(new_case(submit), S.IN_PROGRESS, cast)
    due_in_past(case, now, "resolution_due_at")
    sweep_deadlines(now=now)
    assert sweep_deadlines(now=now + dt.timedelta(hours=1)).overdue == 0
    after = fresh(case)
    assert after.overdue_since == now
    assert len(events(case, EventKind.OVERDUE)) == 1


# --- reminders --------------------------------------------------------------------------------------


def test_a_reminder_is_recorded_once_per_deadline(submit: Any, cast: Cast, now: dt.datetime) -> None:
    case = advance(new_case(submit), S.IN_PROGRESS, cast)
    soon = now + dt.timedelta(hours=2)
    Case.objects.filter(pk=case.pk).update(due_at=soon, resolution_due_at=soon)

    assert sweep_deadlines(now=now) == SweepReport(reminded=1)
    assert sweep_deadlines(now=now + dt.timedelta(minutes=30)) == SweepReport()

    after = fresh(case)
    assert after.reminded_due_at == soon
    assert (after.version, after.is_overdue) == (2, False)
    (event,) = events(case, EventKind.REMINDER)
    assert (event.actor_kind, event.is_public, event.case_version) == (ActorKind.SYSTEM, False, 2)
    assert event.data == {"due_at": soon.isoformat(), "assignee_id": cast.officer.pk}

    # A new deadline earns a new reminder.
    later = now + dt.timedelta(hours=5)
    Case.objects.filter(pk=case.pk).update(due_at=later, resolution_due_at=later)
    assert sweep_deadlines(now=now + dt.timedelta(hours=1)) == SweepReport(reminded=1)
    assert len(events(case, EventKind.REMINDER)) == 2


def test_no_reminder_for_a_deadline_beyond_the_next_working_day(
    submit: Any, cast: Cast, now: dt.datetime
) -> None:
    case = advance(new_case(submit), S.IN_PROGRESS, cast)
    far = add_working_days(now, 2)
    Case.objects.filter(pk=case.pk).update(due_at=far)
    assert sweep_deadlines(now=now).reminded == 0
    assert events(case, EventKind.REMINDER) == []


# --- automatic close --------------------------------------------------------------------------------


def test_a_responded_case_past_its_feedback_window_is_closed_automatically(
    submit: Any, cast: Cast, tree: Tree, now: dt.datetime
) -> None:
    case = advance(new_case(submit), S.RESPONDED, cast)
    still_open = advance(new_case(submit), S.RESPONDED, cast)
    due_in_past(case, now, "feedback_due_at")

    report = sweep_deadlines(now=now)

    after = fresh(case)
    assert report == SweepReport(auto_closed=1)
    assert (after.state, after.closed_at, after.due_at) == (S.CLOSED, now, None)
    assert after.version == case.version + 1
    (event,) = events(case, EventKind.AUTO_CLOSE)
    assert (event.actor, event.actor_kind, event.is_public) == (None, ActorKind.SYSTEM, True)
    assert (event.from_state, event.to_state) == (S.RESPONDED, S.CLOSED)
    assert (event.from_unit, event.to_unit) == (tree.hoan_kiem, tree.hoan_kiem)
    assert event.case_version == after.version
    assert fresh(still_open).state == S.RESPONDED


# --- the sweep as a whole ---------------------------------------------------------------------------


def test_running_the_sweep_twice_changes_nothing_the_second_time(
    submit: Any, cast: Cast, now: dt.datetime
) -> None:
    due_in_past(new_case(submit), now, "triage_due_at")
    due_in_past(new_case(submit, Level.CENTRAL), now, "triage_due_at")
    due_in_past(advance(new_case(submit), S.IN_PROGRESS, cast), now, "resolution_due_at")
    due_in_past(advance(new_case(submit), S.RESPONDED, cast), now, "feedback_due_at")
    soon = advance(new_case(submit), S.PENDING_APPROVAL, cast)
    Case.objects.filter(pk=soon.pk).update(due_at=now + dt.timedelta(hours=3))

    first = sweep_deadlines(now=now)
    assert first == SweepReport(escalated=1, overdue=2, reminded=1, auto_closed=1)
    after_first = everything()

    assert sweep_deadlines(now=now) == SweepReport()
    assert everything() == after_first


def test_the_sweep_announces_its_events_after_commit(
    submit: Any, now: dt.datetime, django_capture_on_commit_callbacks: Any
) -> None:
    case = new_case(submit)
    due_in_past(case, now, "triage_due_at")
    received: list[dict[str, Any]] = []

    def receiver(sender: Any, **kwargs: Any) -> None:
        kwargs.pop("signal", None)
        received.append(kwargs)

    # One signal per batch (receivers handle a batch with one query), after commit.
    case_events_committed.connect(receiver, weak=False, dispatch_uid="test_sweep_deadlines")
    try:
        with django_capture_on_commit_callbacks(execute=True):
            sweep_deadlines(now=now)
            assert received == []
    finally:
        case_events_committed.disconnect(dispatch_uid="test_sweep_deadlines")

    (event,) = events(case, EventKind.ESCALATE)
    assert received == [{"events": [(case.pk, event.pk, 2, "escalate")]}]


def test_the_sweep_deadlines_command_runs(submit: Any, tree: Tree) -> None:
    case = new_case(submit)
    due_in_past(case, timezone.now(), "triage_due_at")
    out = StringIO()

    call_command("sweep_deadlines", "--batch-size", "10", stdout=out)

    assert "Escalated 1, marked overdue 0, reminders 0, auto-closed 0, citizens reminded 0" in out.getvalue()
    assert fresh(case).unit == tree.hanoi


# --- two sweeps at once (PostgreSQL row locks) ---------------------------------------------------


@requires_postgres()
@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_escalate_each_case_exactly_once(tree: Tree) -> None:
    # transaction=True flushes the seeded categories: bring back the one we need.
    category, _ = Category.objects.get_or_create(
        code="environment",
        defaults={"name": "Môi trường, vệ sinh", "name_en": "Environment", "allows_anonymous": True},
    )
    now = timezone.now()
    ids = [
        petition_submit(
            submission=Submission(
                category=category,
                commune=tree.hoan_kiem,
                phone="0912 345 678",
                submitter_name=f"Người dân {n}",
                title="Rác thải ùn ứ trên phố",
                text="Rác thải sinh hoạt không được thu gom ba ngày nay, gây mùi hôi.",
            )
        ).petition.case.pk
        for n in range(50)
    ]
    past = now - dt.timedelta(hours=1)
    Case.objects.filter(pk__in=ids).update(due_at=past, triage_due_at=past)

    start = threading.Barrier(2)
    reports: list[SweepReport] = []
    errors: list[BaseException] = []

    def sweep() -> None:
        try:
            start.wait(timeout=10)
            reports.append(sweep_deadlines(now=now, batch_size=5))
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert not any(thread.is_alive() for thread in threads)
    assert errors == []
    assert sum(report.escalated for report in reports) == 50
    escalations = dict(
        CaseEvent.objects.filter(case_id__in=ids, kind=EventKind.ESCALATE)
        .values("case_id")
        .annotate(n=Count("id"))
        .values_list("case_id", "n")
    )
    assert escalations == dict.fromkeys(ids, 1)
    assert set(Case.objects.filter(pk__in=ids).values_list("unit_id", "version")) == {(tree.hanoi.pk, 2)}


# --- set-based: idempotent, and as many queries for a batch of 2 cases as of 8 -------------------


def _due_everywhere(submit: Any, cast: Cast, now: dt.datetime, n: int) -> None:
    """``n`` cases for each pass that writes messages: escalated, overdue, reminded, closed."""
    past, soon = now - dt.timedelta(hours=1), now + dt.timedelta(hours=2)
    for _n in range(n):
        case = new_case(submit, email="an@example.vn")
        Case.objects.filter(pk=case.pk).update(due_at=past, triage_due_at=past)
        case = advance(new_case(submit), S.IN_PROGRESS, cast)
        Case.objects.filter(pk=case.pk).update(due_at=past, resolution_due_at=past)
        case = advance(new_case(submit), S.IN_PROGRESS, cast)
        Case.objects.filter(pk=case.pk).update(due_at=soon, resolution_due_at=soon)
        case = advance(new_case(submit), S.RESPONDED, cast)
        Case.objects.filter(pk=case.pk).update(feedback_due_at=past)


@pytest.fixture
def emails(cast: Cast) -> Cast:
    for user in (cast.officer, cast.leader, cast.province_leader):
        user.email = f"{user.username}@example.vn"
        user.save()
    return cast


def test_a_second_sweep_changes_nothing_and_writes_no_message(
    submit: Any, emails: Cast, now: dt.datetime
) -> None:
    from notifications.models import Notification

    _due_everywhere(submit, emails, now, 2)
    assert sweep_deadlines(now=now) == SweepReport(escalated=2, overdue=2, reminded=2, auto_closed=2)
    after_first = everything()
    messages = list(Notification.objects.order_by("pk").values_list("pk", "dedupe_key"))
    assert Notification.objects.filter(template="sweep_digest").count() == 3  # officer, leader, province

    assert sweep_deadlines(now=now) == SweepReport()
    assert everything() == after_first
    assert list(Notification.objects.order_by("pk").values_list("pk", "dedupe_key")) == messages


def test_a_batchs_queries_do_not_grow_with_its_cases(submit: Any, emails: Cast, now: dt.datetime) -> None:
    from django.test.utils import CaptureQueriesContext

    counts = []
    for n, moment in ((1, now), (4, now + dt.timedelta(minutes=1))):
        _due_everywhere(submit, emails, moment, n)
        with CaptureQueriesContext(connection) as captured:
            report = sweep_deadlines(now=moment)
        assert report == SweepReport(escalated=n, overdue=n, reminded=n, auto_closed=n)
        counts.append(len(captured.captured_queries))
    assert counts[0] == counts[1]


# --- two sweeps at once, every pass and its messages (PostgreSQL row locks) -----------------------


@requires_postgres()
@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_write_each_event_and_message_exactly_once(
    tree: Tree, monkeypatch: pytest.MonkeyPatch
) -> None:
    from notifications import digests
    from notifications.models import DigestEntry, Notification

    monkeypatch.setattr(digests, "DIGEST_LIMIT", 100)  # every case listed, to find each once
    from tests.conftest import make_staff

    category, _ = Category.objects.get_or_create(
        code="environment",
        defaults={"name": "Môi trường, vệ sinh", "name_en": "Environment", "allows_anonymous": True},
    )
    officer = make_staff(tree.hoan_kiem, email="officer@example.vn")
    leader = make_staff(tree.hoan_kiem, Role.LEADER, email="leader@example.vn")
    now = timezone.now()
    past = now - dt.timedelta(hours=1)
    ids = []
    for n in range(40):
        case = petition_submit(
            submission=Submission(
                category=category,
                commune=tree.hoan_kiem,
                phone="0912 345 678",
                email="an@example.vn",
                submitter_name=f"Người dân {n}",
                title="Rác thải ùn ứ trên phố",
                text="Rác thải sinh hoạt không được thu gom ba ngày nay, gây mùi hôi.",
            )
        ).petition.case
        ids.append(case.pk)
        if n % 2:  # overdue at the commune, assigned; else escalated
            Case.objects.filter(pk=case.pk).update(
                state=S.IN_PROGRESS, assignee=officer, due_at=past, resolution_due_at=past
            )
        else:
            Case.objects.filter(pk=case.pk).update(due_at=past, triage_due_at=past)

    start = threading.Barrier(2)
    reports: list[SweepReport] = []
    errors: list[BaseException] = []

    def sweep() -> None:
        try:
            start.wait(timeout=10)
            reports.append(sweep_deadlines(now=now, batch_size=3))
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert not any(thread.is_alive() for thread in threads) and errors == []
    assert sum(r.escalated for r in reports) == 20 and sum(r.overdue for r in reports) == 20
    per_case = dict(
        CaseEvent.objects.filter(case_id__in=ids, kind__in=[EventKind.ESCALATE, EventKind.OVERDUE])
        .values("case_id")
        .annotate(n=Count("id"))
        .values_list("case_id", "n")
    )
    assert per_case == dict.fromkeys(ids, 1)
    # The citizens of the 20 escalated cases: an SMS and an e-mail each, once.
    citizens = Notification.objects.filter(template="case_escalate")
    assert citizens.count() == 40 and citizens.values("event_id", "channel").distinct().count() == 40
    # The officer's and the leader's 20 overdue cases: each in exactly one digest (one per run at most).
    for user in (officer, leader):
        bodies = list(
            Notification.objects.filter(template="sweep_digest", user=user).values_list("body", flat=True)
        )
        assert 1 <= len(bodies) <= 2
        codes = [
            c.petition.tracking_code for c in Case.objects.filter(pk__in=ids[1::2]).select_related("petition")
        ]
        assert all(sum(code in body for body in bodies) == 1 for code in codes)
    assert not DigestEntry.objects.exists()
