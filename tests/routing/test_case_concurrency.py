"""Two people acting on one case at the same moment: exactly one wins (PostgreSQL row locks)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import connection, transaction

from petitions.models import Category
from petitions.services import Submission, petition_submit
from routing import services
from routing.errors import CaseActionForbidden, CaseConflict, TransitionNotPossible
from routing.models import Case, CaseEvent, CaseState, EventKind, Role, Unit
from tests.conftest import build_tree, citizen_of, make_staff, requires_postgres

pytestmark = [requires_postgres(), pytest.mark.django_db(transaction=True)]


@dataclass
class World:
    central: Unit
    hanoi: Unit
    hoan_kiem: Unit
    case: Case


def _world() -> World:
    # transaction=True flushes the rows the data migrations seeded: build what the test needs.
    tree = build_tree()
    central, hanoi, hoan_kiem = tree.central, tree.hanoi, tree.hoan_kiem
    category = Category.objects.create(
        code="race-env", name="Môi trường", name_en="Environment", allows_anonymous=True
    )
    case = petition_submit(
        submission=Submission(
            category=category,
            commune=hoan_kiem,
            phone="0912 345 678",
            submitter_name="Nguyễn Văn An",
            title="Rác thải ùn ứ trên phố Hàng Bông",
            text="Rác thải sinh hoạt không được thu gom ba ngày nay, gây mùi hôi.",
        )
    ).petition.case
    assert case.version == 1
    return World(central, hanoi, hoan_kiem, case)


@dataclass
class Outcome:
    who: int
    result: Case | None = None
    error: BaseException | None = None


def _race(calls: list[Callable[[], Case]]) -> list[Outcome]:
    """Start every call at the same moment, each in its own thread with its own connection."""
    barrier = threading.Barrier(len(calls))
    outcomes: list[Outcome] = []
    lock = threading.Lock()

    def worker(index: int, call: Callable[[], Case]) -> None:
        outcome = Outcome(who=index)
        try:
            # Open the connection before the barrier, so that the race is on the row lock,
            # not on connecting (fifty threads connecting take a while).
            connection.ensure_connection()
            barrier.wait(timeout=30)
            outcome.result = call()
        except BaseException as exc:
            outcome.error = exc
        finally:
            connection.close()
            with lock:
                outcomes.append(outcome)

    threads = [threading.Thread(target=worker, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a thread is stuck"
    assert len(outcomes) == len(calls)
    return sorted(outcomes, key=lambda o: o.who)


def _split(outcomes: list[Outcome]) -> tuple[list[Outcome], list[Outcome]]:
    winners = [o for o in outcomes if o.error is None]
    losers = [o for o in outcomes if o.error is not None]
    return winners, losers


def _accept_as(officer: User, case_id: int, expected_version: int | None) -> Callable[[], Case]:
    return lambda: services.case_accept(case_id=case_id, actor=officer, expected_version=expected_version)


def test_two_officers_accepting_the_same_version_exactly_one_wins():
    world = _world()
    officers = [make_staff(world.hoan_kiem), make_staff(world.hoan_kiem)]

    outcomes = _race([_accept_as(o, world.case.pk, 1) for o in officers])

    winners, losers = _split(outcomes)
    assert len(winners) == 1, outcomes
    assert len(losers) == 1, outcomes
    error = losers[0].error
    assert isinstance(error, CaseConflict), repr(error)
    assert error.message.strip()
    assert str(error) == error.message

    case = Case.objects.get(pk=world.case.pk)
    assert case.state == CaseState.IN_PROGRESS
    assert case.version == 2
    assert case.assignee_id == officers[winners[0].who].pk
    assert winners[0].result is not None and winners[0].result.version == 2
    accepts = CaseEvent.objects.filter(case=case, kind=EventKind.ACCEPT)
    assert accepts.count() == 1
    assert accepts.get().actor_id == officers[winners[0].who].pk
    assert accepts.get().case_version == 2
    assert CaseEvent.objects.filter(case=case).count() == 2


def test_two_officers_accepting_without_a_version_exactly_one_wins():
    world = _world()
    officers = [make_staff(world.hoan_kiem), make_staff(world.hoan_kiem)]

    outcomes = _race([_accept_as(o, world.case.pk, None) for o in officers])

    winners, losers = _split(outcomes)
    assert len(winners) == 1, outcomes
    assert len(losers) == 1, outcomes
    error = losers[0].error
    # The loser finds the case already in progress under the lock.
    assert isinstance(error, TransitionNotPossible), repr(error)
    assert isinstance(error, CaseConflict)
    assert error.message.strip()

    case = Case.objects.get(pk=world.case.pk)
    assert case.state == CaseState.IN_PROGRESS
    assert case.version == 2
    assert case.assignee_id == officers[winners[0].who].pk
    assert CaseEvent.objects.filter(case=case, kind=EventKind.ACCEPT).count() == 1


def test_leader_assigning_and_officer_taking_at_once_one_assignment_wins():
    world = _world()
    officer = make_staff(world.hoan_kiem)
    other = make_staff(world.hoan_kiem)
    leader = make_staff(world.hoan_kiem, Role.LEADER)
    case_id = world.case.pk

    outcomes = _race(
        [
            lambda: services.case_accept(case_id=case_id, actor=officer, expected_version=1),
            lambda: services.case_accept(case_id=case_id, actor=leader, assignee=other, expected_version=1),
        ]
    )

    winners, losers = _split(outcomes)
    assert len(winners) == 1 and len(losers) == 1, outcomes
    assert isinstance(losers[0].error, CaseConflict)
    case = Case.objects.get(pk=case_id)
    assert case.assignee_id == (officer.pk if winners[0].who == 0 else other.pk)
    assert case.version == 2
    assert CaseEvent.objects.filter(case=case, kind=EventKind.ACCEPT).count() == 1


def test_accept_and_reject_at_once_only_one_transition_happens():
    world = _world()
    officer = make_staff(world.hoan_kiem)
    colleague = make_staff(world.hoan_kiem)
    case_id = world.case.pk

    outcomes = _race(
        [
            lambda: services.case_accept(case_id=case_id, actor=officer),
            lambda: services.case_reject(case_id=case_id, actor=colleague, reason="Ngoài phạm vi."),
        ]
    )

    winners, losers = _split(outcomes)
    assert len(winners) == 1 and len(losers) == 1, outcomes
    assert isinstance(losers[0].error, TransitionNotPossible), repr(losers[0].error)
    case = Case.objects.get(pk=case_id)
    expected_state = CaseState.IN_PROGRESS if winners[0].who == 0 else CaseState.REJECTED
    assert case.state == expected_state
    assert case.version == 2
    kinds = list(CaseEvent.objects.filter(case=case).values_list("kind", flat=True))
    assert sorted(kinds) == sorted([EventKind.SUBMITTED, "accept" if winners[0].who == 0 else "reject"])


def test_ten_officers_escalating_the_same_version_escalate_once():
    world = _world()
    staff = [make_staff(world.hoan_kiem) for _ in range(9)] + [make_staff(world.hoan_kiem, Role.LEADER)]
    case_id = world.case.pk

    def escalate_as(user: User) -> Callable[[], Case]:
        return lambda: services.case_escalate(
            case_id=case_id, actor=user, reason="Vượt thẩm quyền cấp xã.", expected_version=1
        )

    outcomes = _race([escalate_as(user) for user in staff])

    winners, losers = _split(outcomes)
    assert len(winners) == 1, outcomes
    assert len(losers) == 9
    for loser in losers:
        # Refused with a message for the user (the conflict message itself is checked below,
        # in test_accept_waiting_behind_an_escalation_gets_a_conflict).
        assert isinstance(loser.error, CaseConflict | CaseActionForbidden), repr(loser.error)
        assert loser.error.message.strip()

    case = Case.objects.get(pk=case_id)
    assert case.unit_id == world.hanoi.pk
    assert case.state == CaseState.SUBMITTED
    assert case.version == 2
    escalations = CaseEvent.objects.filter(case=case, kind=EventKind.ESCALATE)
    assert escalations.count() == 1
    event = escalations.get()
    assert event.from_unit_id == world.hoan_kiem.pk
    assert event.to_unit_id == world.hanoi.pk
    assert event.actor_id == staff[winners[0].who].pk
    assert CaseEvent.objects.filter(case=case).count() == 2


def test_ten_officers_escalating_without_a_version_escalate_once():
    world = _world()
    staff = [make_staff(world.hoan_kiem) for _ in range(10)]
    case_id = world.case.pk

    def escalate_as(user: User) -> Callable[[], Case]:
        return lambda: services.case_escalate(case_id=case_id, actor=user, reason="Vượt thẩm quyền.")

    outcomes = _race([escalate_as(user) for user in staff])

    winners, losers = _split(outcomes)
    assert len(winners) == 1, outcomes
    assert len(losers) == 9
    for loser in losers:
        # The case has left their unit under the lock: refused, never escalated a second time.
        assert isinstance(loser.error, CaseConflict | CaseActionForbidden), repr(loser.error)
    case = Case.objects.get(pk=case_id)
    assert case.unit_id == world.hanoi.pk
    assert case.version == 2
    assert CaseEvent.objects.filter(case=case, kind=EventKind.ESCALATE).count() == 1
    assert not Case.objects.filter(pk=case_id, unit=world.central).exists()


def test_stale_version_is_refused_without_a_race():
    world = _world()
    officer = make_staff(world.hoan_kiem)
    services.case_accept(case_id=world.case.pk, actor=officer, expected_version=1)
    with pytest.raises(CaseConflict) as excinfo:
        services.case_escalate(case_id=world.case.pk, actor=officer, reason="Lý do.", expected_version=1)
    assert type(excinfo.value) is CaseConflict
    assert excinfo.value.message.strip()
    assert Case.objects.get(pk=world.case.pk).version == 2


def test_notes_added_at_once_each_get_their_own_version():
    world = _world()
    staff = [make_staff(world.hoan_kiem) for _ in range(5)]
    case_id = world.case.pk

    def note_as(user: Any) -> Callable[[], Any]:
        return lambda: services.case_add_note(case_id=case_id, actor=user, text="Ghi chú.", is_public=False)

    outcomes = _race([note_as(user) for user in staff])

    assert all(o.error is None for o in outcomes), outcomes
    case = Case.objects.get(pk=case_id)
    assert case.version == 6
    versions = sorted(
        CaseEvent.objects.filter(case=case, kind=EventKind.NOTE).values_list("case_version", flat=True)
    )
    assert versions == [2, 3, 4, 5, 6]


def test_transitions_on_two_cases_of_one_unit_do_not_wait_for_each_other():
    # Locking a case must not lock its unit: a busy commune handles many cases at once.
    world = _world()
    officer, colleague = make_staff(world.hoan_kiem), make_staff(world.hoan_kiem)
    second = petition_submit(
        submission=Submission(
            category=world.case.petition.category,
            commune=world.hoan_kiem,
            phone="0987 654 321",
            submitter_name="Trần Thị Bình",
            title="Đèn đường hỏng",
            text="Đèn đường trên phố Hàng Bài hỏng cả tuần nay.",
        )
    ).petition.case
    first_holds_lock = threading.Event()
    second_done = threading.Event()

    def hold_first() -> Case:
        with transaction.atomic():
            case = services.case_accept(case_id=world.case.pk, actor=officer)
            first_holds_lock.set()
            second_done.wait(timeout=10)
            return case

    def act_on_second() -> Case:
        assert first_holds_lock.wait(timeout=10)
        try:
            with connection.cursor() as cursor:
                cursor.execute("SET lock_timeout = '3s'")
            return services.case_accept(case_id=second.pk, actor=colleague)
        finally:
            second_done.set()

    outcomes = _race([hold_first, act_on_second])

    assert [o.error for o in outcomes] == [None, None], outcomes
    assert Case.objects.get(pk=world.case.pk).state == CaseState.IN_PROGRESS
    assert Case.objects.get(pk=second.pk).state == CaseState.IN_PROGRESS


def _wait_until_a_backend_waits_for_a_lock(timeout: float = 10) -> bool:
    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            # Inside a transaction pg_stat_activity is a snapshot: refresh it on every poll.
            cursor.execute("SELECT pg_stat_clear_snapshot()")
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
            )
            if cursor.fetchone()[0]:
                return True
            time.sleep(0.02)
    return False


def test_accept_waiting_behind_an_escalation_gets_a_conflict():
    # The accept waits on the row lock while the escalation commits; it must then see the new
    # version (a conflict), not lose sight of the case because its unit changed meanwhile.
    world = _world()
    officer, colleague = make_staff(world.hoan_kiem), make_staff(world.hoan_kiem)
    case_id = world.case.pk
    escalated = threading.Event()

    def escalate_and_hold() -> Case:
        with transaction.atomic():
            case = services.case_escalate(
                case_id=case_id, actor=officer, reason="Vượt thẩm quyền.", expected_version=1
            )
            escalated.set()
            assert _wait_until_a_backend_waits_for_a_lock()
            return case

    def accept_behind() -> Case:
        assert escalated.wait(timeout=10)
        return services.case_accept(case_id=case_id, actor=colleague, expected_version=1)

    outcomes = _race([escalate_and_hold, accept_behind])

    assert outcomes[0].error is None, outcomes
    error = outcomes[1].error
    assert isinstance(error, CaseConflict), repr(error)
    assert error.message.strip()
    case = Case.objects.get(pk=case_id)
    assert case.unit_id == world.hanoi.pk
    assert case.state == CaseState.SUBMITTED
    assert case.version == 2
    assert not CaseEvent.objects.filter(case=case, kind=EventKind.ACCEPT).exists()


def test_accept_waiting_behind_an_escalation_without_a_version_is_refused_cleanly():
    world = _world()
    officer, colleague = make_staff(world.hoan_kiem), make_staff(world.hoan_kiem)
    case_id = world.case.pk
    escalated = threading.Event()

    def escalate_and_hold() -> Case:
        with transaction.atomic():
            case = services.case_escalate(case_id=case_id, actor=officer, reason="Vượt thẩm quyền.")
            escalated.set()
            assert _wait_until_a_backend_waits_for_a_lock()
            return case

    def accept_behind() -> Case:
        assert escalated.wait(timeout=10)
        return services.case_accept(case_id=case_id, actor=colleague)

    outcomes = _race([escalate_and_hold, accept_behind])

    assert outcomes[0].error is None, outcomes
    # The case is now at the province: the commune officer may no longer act on it.
    assert isinstance(outcomes[1].error, CaseActionForbidden), repr(outcomes[1].error)
    assert Case.objects.get(pk=case_id).version == 2


def test_citizen_withdrawing_while_the_case_is_escalated_still_withdraws():
    # The citizen may withdraw an open case wherever it is. Waiting on the row lock while an
    # officer escalates must not make the case vanish from under the citizen's request.
    world = _world()
    officer = make_staff(world.hoan_kiem)
    case_id = world.case.pk
    escalated = threading.Event()

    def escalate_and_hold() -> Case:
        with transaction.atomic():
            case = services.case_escalate(case_id=case_id, actor=officer, reason="Vượt thẩm quyền.")
            escalated.set()
            assert _wait_until_a_backend_waits_for_a_lock()
            return case

    def withdraw_behind() -> Case:
        assert escalated.wait(timeout=10)
        return services.case_withdraw(
            case_id=case_id, actor=citizen_of(world.case), reason="Đã tự giải quyết."
        )

    outcomes = _race([escalate_and_hold, withdraw_behind])

    assert outcomes[0].error is None, outcomes
    assert outcomes[1].error is None, outcomes
    case = Case.objects.get(pk=case_id)
    assert case.state == CaseState.WITHDRAWN
    assert case.unit_id == world.hanoi.pk
    assert case.version == 3
    kinds = list(CaseEvent.objects.filter(case=case).order_by("case_version").values_list("kind", flat=True))
    assert kinds == [EventKind.SUBMITTED, EventKind.ESCALATE, EventKind.WITHDRAW]
