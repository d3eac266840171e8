"""Fifty people running the same transition on one case at the same moment (PostgreSQL row locks).

Exactly one succeeds; the 49 others get ``CaseConflict`` (they all saw version N, and under the
lock the case is at N + 1). The case has one new event for the transition, its version went up
once, and the outbox has exactly one notification for that event, sent once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.contrib.auth.models import User

from notifications.models import Channel, Notification, Status
from notifications.transports.sms import LocmemSmsBackend
from routing import services
from routing.errors import CaseConflict
from routing.models import Case, CaseEvent, CaseState, EventKind, Role, Unit
from tests.conftest import Cast, Tree, advance, make_staff, requires_postgres
from tests.routing.test_case_concurrency import Outcome, _race

pytestmark = [requires_postgres(), pytest.mark.django_db(transaction=True)]

THREADS = 50


@pytest.fixture(autouse=True)
def _a_pool_for_fifty() -> Iterator[None]:
    """Fifty connections at once: more than one process's pool holds (``DB_POOL_MAX_SIZE``, 20).

    In production fifty such requests spread over several server processes, each with its pool;
    here they are fifty threads of one process, so its pool is made large enough for them (with a
    pool of 20, thirty threads wait for a connection while twenty wait for them at the barrier).
    """
    from django.db import connection as default

    connection: Any = default  # PostgreSQL's wrapper: close_pool() is not in the stubs' base class
    options = connection.settings_dict.setdefault("OPTIONS", {})
    pool = options.get("pool")
    if not pool:
        yield
        return
    connection.close()
    connection.close_pool()
    options["pool"] = {**pool, "max_size": THREADS + 5}
    try:
        yield
    finally:
        connection.close()
        connection.close_pool()
        options["pool"] = pool


def _staff(unit: Unit, role: str, count: int) -> list[User]:
    return [make_staff(unit, role) for _ in range(count)]


def _assert_one_winner(outcomes: list[Outcome]) -> Outcome:
    winners = [o for o in outcomes if o.error is None]
    losers = [o for o in outcomes if o.error is not None]
    assert len(winners) == 1, [repr(o.error) for o in outcomes]
    assert len(losers) == THREADS - 1
    for loser in losers:
        # Exactly the version conflict: not "not possible", not "forbidden", not a database error.
        assert type(loser.error) is CaseConflict, repr(loser.error)
        assert loser.error.message.strip()
    return winners[0]


def _assert_one_event_and_one_notification(case: Case, kind: str, version_before: int) -> CaseEvent:
    fresh = Case.objects.get(pk=case.pk)
    assert fresh.version == version_before + 1
    events = CaseEvent.objects.filter(case=case, case_version__gt=version_before)
    assert events.count() == 1, list(events.values_list("kind", "case_version"))
    event = events.get()
    assert event.kind == kind
    assert event.case_version == version_before + 1

    # The citizen hears of it once: one row for the event (SMS; the petition has no email) ...
    notifications = Notification.objects.filter(event=event)
    assert notifications.count() == 1, list(notifications.values_list("template", "channel"))
    notification = notifications.get()
    assert notification.channel == Channel.SMS
    assert notification.template == f"case_{kind}"
    # ... drained after the winner's commit and sent once.
    assert notification.status == Status.SENT
    references = [m.reference for m in LocmemSmsBackend.outbox]
    assert references.count(f"notification-{notification.pk}") == 1
    return event


def test_fifty_officers_accepting_the_same_version_one_accepts(seeded: None, submit: Any, tree: Tree) -> None:
    case = submit().petition.case
    assert case.version == 1
    officers = _staff(tree.hoan_kiem, Role.OFFICER, THREADS)

    def accept_as(officer: User) -> Callable[[], Case]:
        return lambda: services.case_accept(case_id=case.pk, actor=officer, expected_version=1)

    winner = _assert_one_winner(_race([accept_as(o) for o in officers]))

    fresh = Case.objects.get(pk=case.pk)
    assert fresh.state == CaseState.IN_PROGRESS
    assert fresh.assignee_id == officers[winner.who].pk
    assert winner.result is not None and winner.result.version == 2
    event = _assert_one_event_and_one_notification(case, EventKind.ACCEPT, 1)
    assert event.actor_id == officers[winner.who].pk
    assert CaseEvent.objects.filter(case=case).count() == 2  # submitted, accept


def test_fifty_officers_escalating_the_same_version_one_escalates(
    seeded: None, submit: Any, tree: Tree
) -> None:
    case = submit().petition.case
    staff = _staff(tree.hoan_kiem, Role.OFFICER, THREADS - 1) + _staff(tree.hoan_kiem, Role.LEADER, 1)

    def escalate_as(user: User) -> Callable[[], Case]:
        return lambda: services.case_escalate(
            case_id=case.pk, actor=user, reason="Vượt thẩm quyền cấp xã.", expected_version=1
        )

    winner = _assert_one_winner(_race([escalate_as(u) for u in staff]))

    fresh = Case.objects.get(pk=case.pk)
    # Escalated once: at the province, not at central.
    assert fresh.unit_id == tree.hanoi.pk
    assert fresh.state == CaseState.SUBMITTED
    event = _assert_one_event_and_one_notification(case, EventKind.ESCALATE, 1)
    assert event.actor_id == staff[winner.who].pk
    assert event.from_unit_id == tree.hoan_kiem.pk
    assert event.to_unit_id == tree.hanoi.pk


def test_fifty_leaders_approving_the_same_version_one_approves(
    seeded: None, submit: Any, tree: Tree, cast: Cast
) -> None:
    case = advance(submit().petition.case, CaseState.PENDING_APPROVAL, cast)
    version = case.version
    leaders = [cast.leader, *_staff(tree.hoan_kiem, Role.LEADER, THREADS - 1)]

    def approve_as(leader: User) -> Callable[[], Case]:
        return lambda: services.case_approve(case_id=case.pk, actor=leader, expected_version=version)

    winner = _assert_one_winner(_race([approve_as(u) for u in leaders]))

    fresh = Case.objects.get(pk=case.pk)
    assert fresh.state == CaseState.RESPONDED
    event = _assert_one_event_and_one_notification(case, EventKind.APPROVE, version)
    assert event.actor_id == leaders[winner.who].pk
