"""Every transition of the case lifecycle, run through its service.

Each transition is described once in ``MOVES`` (where it applies, who does it,
what it leads to, what its event says); the tests below run every description
from every allowed state, from every other state, and with every actor who
must be refused.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from routing import services
from routing.actors import SYSTEM, CitizenActor, SystemActor
from routing.errors import CaseActionForbidden, CaseConflict, TransitionNotPossible
from routing.models import (
    ActorKind,
    AppendOnlyError,
    Case,
    CaseEvent,
    CaseState,
    EventKind,
    Level,
    Unit,
)
from routing.signals import case_event_committed
from tests.conftest import Cast, Tree, advance, citizen_of, fresh

S = CaseState
#: Once a response is published the citizen rates it; withdrawing is no longer offered.
WITHDRAWABLE_STATES = (S.SUBMITTED, S.IN_PROGRESS, S.AWAITING_AGENCY, S.AWAITING_CITIZEN, S.PENDING_APPROVAL)
QUESTION = "Xin gửi ảnh chụp chỗ rác tồn đọng."
ANSWER = "Rác ở đầu ngõ 12, ảnh đính kèm."

REASON = "Nội dung thuộc thẩm quyền của đơn vị khác."
NOTE = "Đã trao đổi với Sở Tài nguyên và Môi trường."
RESPONSE = "Đơn vị đã cho thu gom rác trên phố Hàng Bông."
PRAISE = "Cảm ơn, phố đã sạch."
COMPLAINT = "Rác vẫn chưa được thu gom hết."
AGENCY = "Sở Tài nguyên và Môi trường"


# --- the world a test acts in ---------------------------------------------------


@dataclass
class World:
    tree: Tree
    cast: Cast
    submit: Callable[..., Any]

    def new_case(self, level: str = Level.COMMUNE) -> Case:
        """A fresh submitted case at Hoàn Kiếm, or at Hà Nội / central for those levels."""
        target = "" if level == Level.COMMUNE else level
        return self.submit(target_level=target).petition.case  # type: ignore[no-any-return]

    def staff_at(self, level: str) -> tuple[User, User]:
        """(officer, leader) of the unit that handles a case of ``level``."""
        if level == Level.PROVINCE:
            return self.cast.province_officer, self.cast.province_leader
        if level == Level.CENTRAL:
            return self.cast.central_officer, self.cast.central_leader
        return self.cast.officer, self.cast.leader

    def case_in(self, state: str, level: str = Level.COMMUNE) -> Case:
        case = self.new_case(level)
        if level == Level.COMMUNE:
            return advance(case, state, self.cast)
        return self._advance_above(case, state)

    def _advance_above(self, case: Case, state: str) -> Case:
        """``advance`` for a case handled above the commune (conftest's helper drives Hoàn Kiếm only)."""
        officer, leader = self.staff_at(case.unit.level)
        path = {
            S.SUBMITTED: [],
            S.IN_PROGRESS: ["accept"],
            S.AWAITING_AGENCY: ["accept", "refer"],
            S.AWAITING_CITIZEN: ["accept", "ask"],
            S.PENDING_APPROVAL: ["accept", "submit_response"],
            S.RESPONDED: ["accept", "submit_response", "approve"],
            S.CLOSED: ["accept", "submit_response", "approve", "satisfied"],
            S.REJECTED: ["reject"],
            S.DUPLICATE: ["duplicate"],
            S.WITHDRAWN: ["withdraw"],
        }[S(state)]
        for step in path:
            if step == "accept":
                services.case_accept(case_id=case.pk, actor=officer)
            elif step == "refer":
                due = timezone.localdate() + dt.timedelta(days=10)
                services.case_refer(case_id=case.pk, actor=officer, agency=AGENCY, due=due)
            elif step == "ask":
                services.case_ask_citizen(case_id=case.pk, actor=officer, question=QUESTION)
            elif step == "submit_response":
                services.case_submit_response(case_id=case.pk, actor=officer, text=RESPONSE)
            elif step == "approve":
                services.case_approve(case_id=case.pk, actor=leader)
            elif step == "satisfied":
                services.case_citizen_feedback(
                    case_id=case.pk, actor=citizen_of(case), resolved=True, rating=5
                )
            elif step == "reject":
                services.case_reject(case_id=case.pk, actor=officer, reason=REASON)
            elif step == "duplicate":
                original = self.new_case(case.unit.level)
                services.case_mark_duplicate(case_id=case.pk, actor=officer, original_id=original.pk)
            elif step == "withdraw":
                services.case_withdraw(case_id=case.pk, actor=citizen_of(case))
        result = fresh(case)
        assert result.state == state
        return result


@pytest.fixture
def world(tree: Tree, cast: Cast, submit: Any) -> World:
    return World(tree=tree, cast=cast, submit=submit)


def snapshot(case: Case) -> tuple[dict[str, Any], int]:
    """Everything stored about a case: its row and how many events it has."""
    return Case.objects.filter(pk=case.pk).values().get(), CaseEvent.objects.filter(case_id=case.pk).count()


def last_event_id(case: Case) -> int:
    return CaseEvent.objects.filter(case_id=case.pk).order_by("-id").values_list("id", flat=True)[0]


# --- the transitions, described once ----------------------------------------------


def _auto_close(world: World, case: Case, actor: Any) -> Case:
    # Only once the feedback window has elapsed.
    later = timezone.now() + dt.timedelta(days=8)
    if isinstance(actor, SystemActor):
        return services.case_auto_close(case_id=case.pk, now=later)
    # case_auto_close always acts as the system; to check that nobody else may
    # close a case automatically, run the same transition through the runner.
    return services._run(
        case_id=case.pk, actor=actor, action="auto_close", expected_version=None, is_public=True, now=later
    )


def _citizen_no_answer(world: World, case: Case, actor: Any) -> Case:
    if isinstance(actor, SystemActor):
        return services.case_citizen_no_answer(case_id=case.pk)
    # As for auto_close: anybody but the system is refused the same transition.
    return services._run(
        case_id=case.pk, actor=actor, action="citizen_no_answer", expected_version=None, is_public=True
    )


def _mark_duplicate(world: World, case: Case, actor: Any) -> Case:
    original = world.new_case(case.unit.level)
    return services.case_mark_duplicate(case_id=case.pk, actor=actor, original_id=original.pk, note=NOTE)


def _refer(world: World, case: Case, actor: Any) -> Case:
    due = timezone.localdate() + dt.timedelta(days=14)
    return services.case_refer(case_id=case.pk, actor=actor, agency=AGENCY, due=due, note=NOTE)


@dataclass(frozen=True)
class Move:
    name: str
    sources: tuple[str, ...]
    actor: str  # an attribute of Cast, or "citizen" / "system"
    run: Callable[[World, Case, Any], Case]
    is_public: bool
    note: str = ""
    target: str | None = None  # None: the case keeps its state
    target_unit: str | None = None  # an attribute of Tree; None: the case stays at its unit
    level: str = Level.COMMUNE  # level of the unit where the move applies
    leader_only: bool = False

    def __str__(self) -> str:
        return self.name


MOVES = [
    Move(
        "accept",
        (S.SUBMITTED,),
        "officer",
        lambda w, c, a: services.case_accept(case_id=c.pk, actor=a),
        is_public=True,
        target=S.IN_PROGRESS,
    ),
    Move(
        "reject",
        (S.SUBMITTED,),
        "officer",
        lambda w, c, a: services.case_reject(case_id=c.pk, actor=a, reason=REASON),
        is_public=True,
        note=REASON,
        target=S.REJECTED,
    ),
    Move(
        "mark_duplicate",
        (S.SUBMITTED,),
        "officer",
        _mark_duplicate,
        is_public=True,
        note=NOTE,
        target=S.DUPLICATE,
    ),
    Move(
        "escalate",
        (S.SUBMITTED, S.IN_PROGRESS),
        "officer",
        lambda w, c, a: services.case_escalate(case_id=c.pk, actor=a, reason=REASON),
        is_public=True,
        note=REASON,
        target=S.SUBMITTED,
        target_unit="hanoi",
    ),
    Move(
        "transfer",
        (S.SUBMITTED,),
        "leader",
        lambda w, c, a: services.case_transfer(case_id=c.pk, actor=a, unit=w.tree.cua_nam, reason=REASON),
        is_public=True,
        note=REASON,
        target=S.SUBMITTED,
        target_unit="cua_nam",
        leader_only=True,
    ),
    Move(
        "return_down",
        (S.SUBMITTED,),
        "province_leader",
        lambda w, c, a: services.case_return_down(
            case_id=c.pk, actor=a, unit=w.tree.hoan_kiem, reason=REASON
        ),
        is_public=True,
        note=REASON,
        target=S.SUBMITTED,
        target_unit="hoan_kiem",
        level=Level.PROVINCE,
        leader_only=True,
    ),
    Move(
        "refer",
        (S.IN_PROGRESS,),
        "officer",
        _refer,
        is_public=True,
        note=NOTE,
        target=S.AWAITING_AGENCY,
    ),
    Move(
        "agency_replied",
        (S.AWAITING_AGENCY,),
        "officer",
        lambda w, c, a: services.case_agency_replied(case_id=c.pk, actor=a, note=NOTE),
        is_public=False,
        note=NOTE,
        target=S.IN_PROGRESS,
    ),
    Move(
        "ask_citizen",
        (S.IN_PROGRESS,),
        "officer",
        lambda w, c, a: services.case_ask_citizen(case_id=c.pk, actor=a, question=QUESTION),
        is_public=True,
        note=QUESTION,
        target=S.AWAITING_CITIZEN,
    ),
    Move(
        "citizen_answered",
        (S.AWAITING_CITIZEN,),
        "citizen",
        lambda w, c, a: services.case_citizen_answer(case_id=c.pk, actor=a, text=ANSWER),
        is_public=True,
        note=ANSWER,
        target=S.IN_PROGRESS,
    ),
    Move(
        "citizen_no_answer",
        (S.AWAITING_CITIZEN,),
        "system",
        _citizen_no_answer,
        is_public=True,
        target=S.IN_PROGRESS,
    ),
    Move(
        "reassign",
        (S.IN_PROGRESS,),
        "leader",
        lambda w, c, a: services.case_reassign(case_id=c.pk, actor=a, officer=w.cast.officer2),
        is_public=False,
        target=S.IN_PROGRESS,
        leader_only=True,
    ),
    Move(
        "extend",
        (S.IN_PROGRESS, S.AWAITING_AGENCY, S.PENDING_APPROVAL),
        "leader",
        lambda w, c, a: services.case_extend(case_id=c.pk, actor=a, days=5, reason=REASON),
        is_public=True,
        note=REASON,
        leader_only=True,
    ),
    Move(
        "submit_response",
        (S.IN_PROGRESS,),
        "officer",
        lambda w, c, a: services.case_submit_response(case_id=c.pk, actor=a, text=RESPONSE),
        is_public=False,
        target=S.PENDING_APPROVAL,
        note=RESPONSE,  # the draft, kept in the internal timeline
    ),
    Move(
        "approve",
        (S.PENDING_APPROVAL,),
        "leader",
        lambda w, c, a: services.case_approve(case_id=c.pk, actor=a),
        is_public=True,
        target=S.RESPONDED,
        leader_only=True,
    ),
    Move(
        "send_back",
        (S.PENDING_APPROVAL,),
        "leader",
        lambda w, c, a: services.case_send_back(case_id=c.pk, actor=a, note=NOTE),
        is_public=False,
        note=NOTE,
        target=S.IN_PROGRESS,
        leader_only=True,
    ),
    Move(
        "citizen_satisfied",
        (S.RESPONDED,),
        "citizen",
        lambda w, c, a: services.case_citizen_feedback(
            case_id=c.pk, actor=a, resolved=True, rating=5, comment=PRAISE
        ),
        is_public=True,
        note=PRAISE,
        target=S.CLOSED,
    ),
    Move(
        "citizen_unsatisfied",
        (S.RESPONDED,),
        "citizen",
        lambda w, c, a: services.case_citizen_feedback(
            case_id=c.pk, actor=a, resolved=False, rating=2, comment=COMPLAINT
        ),
        is_public=True,
        note=COMPLAINT,
        target=S.IN_PROGRESS,  # the first time; see the dissatisfaction tests
    ),
    Move("auto_close", (S.RESPONDED,), "system", _auto_close, is_public=True, target=S.CLOSED),
    Move(
        "withdraw",
        WITHDRAWABLE_STATES,
        "citizen",
        lambda w, c, a: services.case_withdraw(case_id=c.pk, actor=a, reason=REASON),
        is_public=True,
        note=REASON,
        target=S.WITHDRAWN,
    ),
]
MOVE = {m.name: m for m in MOVES}
STAFF_MOVES = [m for m in MOVES if m.actor not in ("citizen", "system")]
CITIZEN_AND_SYSTEM_MOVES = [m for m in MOVES if m.actor in ("citizen", "system")]
LEADER_ONLY_MOVES = [m for m in MOVES if m.leader_only]
COMMUNE_MOVES = [m for m in MOVES if m.level == Level.COMMUNE]


def test_every_case_transition_is_described() -> None:
    transitions = {t.name for t in Case._meta.get_field("state").get_all_transitions(Case)}
    assert transitions == set(MOVE)


def actor_for(world: World, case: Case, name: str) -> Any:
    if name == "citizen":
        return citizen_of(case)
    if name == "system":
        return SYSTEM
    return getattr(world.cast, name)


def ready_case(world: World, move: Move) -> Case:
    """A case in the first state ``move`` applies to, at the unit where it applies."""
    return world.case_in(move.sources[0], move.level)


def assert_forbidden(world: World, move: Move, case: Case, actor: Any) -> None:
    before = snapshot(case)
    with pytest.raises(CaseActionForbidden):
        move.run(world, case, actor)
    assert snapshot(case) == before


# --- (a) each transition from each allowed state -----------------------------------


@pytest.mark.parametrize(
    ("move", "source"),
    [pytest.param(m, s, id=f"{m.name}-from-{s}") for m in MOVES for s in m.sources],
)
def test_transition_succeeds_from_each_allowed_state_for_the_right_actor(
    world: World, move: Move, source: str
) -> None:
    case = world.case_in(source, move.level)
    actor = actor_for(world, case, move.actor)
    from_unit, version, seen = case.unit, case.version, last_event_id(case)

    result = move.run(world, case, actor)

    case = fresh(case)
    target = move.target or source
    target_unit = getattr(world.tree, move.target_unit) if move.target_unit else from_unit
    assert result.state == case.state == target
    assert case.unit == target_unit
    assert case.version == version + 1
    events = list(CaseEvent.objects.filter(case=case, pk__gt=seen))
    assert len(events) == 1
    event = events[0]
    assert event.kind == move.name
    assert (event.from_state, event.to_state) == (source, target)
    assert (event.from_unit, event.to_unit) == (from_unit, target_unit)
    if isinstance(actor, User):
        assert (event.actor, event.actor_kind) == (actor, ActorKind.STAFF)
    elif isinstance(actor, CitizenActor):
        assert (event.actor, event.actor_kind) == (None, ActorKind.CITIZEN)
    else:
        assert (event.actor, event.actor_kind) == (None, ActorKind.SYSTEM)
    assert event.is_public is move.is_public
    assert event.note == move.note
    assert event.case_version == case.version


# --- (b) each transition from every other state --------------------------------------


@pytest.mark.parametrize(
    ("move", "state"),
    [
        pytest.param(m, s, id=f"{m.name}-from-{s}")
        for m in MOVES
        for s in CaseState.values
        if s not in m.sources
    ],
)
def test_transition_is_not_possible_from_any_other_state(world: World, move: Move, state: str) -> None:
    case = world.case_in(state, move.level)
    before = snapshot(case)
    with pytest.raises(TransitionNotPossible):
        move.run(world, case, actor_for(world, case, move.actor))
    assert snapshot(case) == before


# --- (c) actors who must be refused --------------------------------------------------


@pytest.mark.parametrize("move", MOVES, ids=str)
def test_officer_of_another_commune_cannot_act_on_the_case(world: World, move: Move) -> None:
    case = ready_case(world, move)
    assert_forbidden(world, move, case, world.cast.other_officer)


@pytest.mark.parametrize("move", MOVES, ids=str)
def test_leader_of_another_commune_cannot_act_on_the_case(world: World, move: Move) -> None:
    case = ready_case(world, move)
    assert_forbidden(world, move, case, world.cast.other_commune_leader)


@pytest.mark.parametrize("move", MOVES, ids=str)
def test_leader_of_another_province_cannot_act_on_the_case(world: World, move: Move) -> None:
    case = ready_case(world, move)
    assert_forbidden(world, move, case, world.cast.other_province_leader)


@pytest.mark.parametrize("move", COMMUNE_MOVES, ids=str)
def test_province_leader_cannot_act_on_a_commune_case(world: World, move: Move) -> None:
    case = ready_case(world, move)
    assert_forbidden(world, move, case, world.cast.province_leader)


@pytest.mark.parametrize("move", MOVES, ids=str)
def test_central_leader_cannot_act_on_a_case_below_central(world: World, move: Move) -> None:
    case = ready_case(world, move)
    assert case.unit.level != Level.CENTRAL
    assert_forbidden(world, move, case, world.cast.central_leader)


@pytest.mark.parametrize("move", LEADER_ONLY_MOVES, ids=str)
def test_officer_cannot_do_a_leader_only_action(world: World, move: Move) -> None:
    case = ready_case(world, move)
    officer, _leader = world.staff_at(move.level)
    assert officer.membership.unit_id == case.unit_id
    assert_forbidden(world, move, case, officer)


@pytest.mark.parametrize("move", MOVES, ids=str)
def test_citizen_of_another_petition_cannot_act_on_the_case(world: World, move: Move) -> None:
    case = ready_case(world, move)
    stranger = citizen_of(world.new_case())
    assert_forbidden(world, move, case, stranger)


@pytest.mark.parametrize("move", MOVES, ids=str)
def test_user_without_membership_cannot_act_on_the_case(world: World, move: Move) -> None:
    case = ready_case(world, move)
    assert world.cast.outsider.is_authenticated
    assert_forbidden(world, move, case, world.cast.outsider)


@pytest.mark.parametrize("move", STAFF_MOVES, ids=str)
def test_the_citizen_cannot_do_a_staff_action_on_their_own_case(world: World, move: Move) -> None:
    case = ready_case(world, move)
    assert_forbidden(world, move, case, citizen_of(case))


@pytest.mark.parametrize("move", [m for m in STAFF_MOVES if m.name != "escalate"], ids=str)
def test_the_system_cannot_do_a_staff_action(world: World, move: Move) -> None:
    case = ready_case(world, move)
    assert_forbidden(world, move, case, SYSTEM)


@pytest.mark.parametrize("role", ["officer", "leader"])
@pytest.mark.parametrize("move", CITIZEN_AND_SYSTEM_MOVES, ids=str)
def test_staff_of_the_unit_cannot_act_for_the_citizen_or_the_system(
    world: World, move: Move, role: str
) -> None:
    case = ready_case(world, move)
    assert_forbidden(world, move, case, getattr(world.cast, role))


# --- accept -----------------------------------------------------------------------------


def test_accept_assigns_the_officer_and_starts_the_resolution_clock(world: World) -> None:
    case = world.new_case()
    services.case_accept(case_id=case.pk, actor=world.cast.officer)
    case = fresh(case)
    assert case.assignee == world.cast.officer
    assert case.triaged_at is not None
    assert case.resolution_due_at is not None and case.resolution_due_at > case.triaged_at
    assert case.due_at == case.resolution_due_at
    assert case.events.get(kind=EventKind.ACCEPT).data == {"assignee_id": world.cast.officer.pk}


def test_officer_cannot_accept_a_case_for_someone_else(world: World) -> None:
    case = world.new_case()
    before = snapshot(case)
    with pytest.raises(ValidationError) as excinfo:
        services.case_accept(case_id=case.pk, actor=world.cast.officer, assignee=world.cast.officer2)
    assert "assignee" in excinfo.value.message_dict
    assert snapshot(case) == before


def test_leader_accepting_assigns_the_chosen_officer(world: World) -> None:
    case = world.new_case()
    services.case_accept(case_id=case.pk, actor=world.cast.leader, assignee=world.cast.officer2)
    case = fresh(case)
    assert case.state == S.IN_PROGRESS
    assert case.assignee == world.cast.officer2
    event = case.events.get(kind=EventKind.ACCEPT)
    assert event.actor == world.cast.leader
    assert event.data == {"assignee_id": world.cast.officer2.pk}


def test_accept_refuses_an_assignee_from_another_unit(world: World) -> None:
    case = world.new_case()
    before = snapshot(case)
    with pytest.raises(ValidationError) as excinfo:
        services.case_accept(case_id=case.pk, actor=world.cast.leader, assignee=world.cast.other_officer)
    assert "assignee" in excinfo.value.message_dict
    assert snapshot(case) == before


def test_accept_refuses_an_inactive_assignee(world: World) -> None:
    case = world.new_case()
    User.objects.filter(pk=world.cast.officer2.pk).update(is_active=False)
    inactive = User.objects.select_related("membership").get(pk=world.cast.officer2.pk)
    before = snapshot(case)
    with pytest.raises(ValidationError):
        services.case_accept(case_id=case.pk, actor=world.cast.leader, assignee=inactive)
    assert snapshot(case) == before


# --- mark_duplicate -------------------------------------------------------------------------


def test_mark_duplicate_links_the_original(world: World) -> None:
    original = world.new_case()
    case = world.new_case()
    services.case_mark_duplicate(case_id=case.pk, actor=world.cast.officer, original_id=original.pk)
    case = fresh(case)
    assert case.duplicate_of_id == original.pk
    assert case.closed_at is not None and case.due_at is None


def test_mark_duplicate_of_itself_is_a_validation_error(world: World) -> None:
    case = world.new_case()
    before = snapshot(case)
    with pytest.raises(ValidationError) as excinfo:
        services.case_mark_duplicate(case_id=case.pk, actor=world.cast.officer, original_id=case.pk)
    assert "original" in excinfo.value.message_dict
    assert snapshot(case) == before


def test_mark_duplicate_onto_a_case_the_actor_cannot_see_is_a_validation_error(
    world: World,
) -> None:
    hidden = world.submit(commune=world.tree.cua_nam).petition.case
    case = world.new_case()
    before = snapshot(case)
    with pytest.raises(ValidationError) as excinfo:
        services.case_mark_duplicate(case_id=case.pk, actor=world.cast.officer, original_id=hidden.pk)
    assert "original" in excinfo.value.message_dict
    assert snapshot(case) == before


def test_mark_duplicate_onto_a_missing_case_is_a_validation_error(world: World) -> None:
    case = world.new_case()
    before = snapshot(case)
    with pytest.raises(ValidationError):
        services.case_mark_duplicate(case_id=case.pk, actor=world.cast.officer, original_id=10**9)
    assert snapshot(case) == before


def test_mark_duplicate_onto_a_rejected_case_is_a_validation_error(world: World) -> None:
    rejected = world.case_in(S.REJECTED)
    case = world.new_case()
    before = snapshot(case)
    with pytest.raises(ValidationError):
        services.case_mark_duplicate(case_id=case.pk, actor=world.cast.officer, original_id=rejected.pk)
    assert snapshot(case) == before


def test_mark_duplicate_onto_a_duplicate_links_the_first_original(world: World) -> None:
    first = world.new_case()
    second = world.new_case()
    services.case_mark_duplicate(case_id=second.pk, actor=world.cast.officer, original_id=first.pk)
    case = world.new_case()
    services.case_mark_duplicate(case_id=case.pk, actor=world.cast.officer, original_id=second.pk)
    assert fresh(case).duplicate_of_id == first.pk
    event = CaseEvent.objects.filter(case=case).latest("id")
    assert event.data == {"original_id": first.pk}


# --- escalate, transfer, return_down --------------------------------------------------------


def test_central_cannot_escalate(world: World) -> None:
    case = world.new_case(Level.CENTRAL)
    assert case.unit == world.tree.central
    before = snapshot(case)
    with pytest.raises(TransitionNotPossible):
        services.case_escalate(case_id=case.pk, actor=world.cast.central_leader, reason=REASON)
    assert snapshot(case) == before


def test_province_escalates_to_central(world: World) -> None:
    case = world.new_case(Level.PROVINCE)
    services.case_escalate(case_id=case.pk, actor=world.cast.province_officer, reason=REASON)
    assert fresh(case).unit == world.tree.central


def test_the_system_can_escalate(world: World) -> None:
    case = world.new_case()
    services.case_escalate(case_id=case.pk, actor=SYSTEM, reason=REASON)
    case = fresh(case)
    assert case.unit == world.tree.hanoi
    event = case.events.get(kind=EventKind.ESCALATE)
    assert (event.actor, event.actor_kind) == (None, ActorKind.SYSTEM)


def test_escalating_an_accepted_case_clears_its_assignment(world: World) -> None:
    case = world.case_in(S.IN_PROGRESS)
    services.case_escalate(case_id=case.pk, actor=world.cast.officer, reason=REASON)
    case = fresh(case)
    assert (case.state, case.unit) == (S.SUBMITTED, world.tree.hanoi)
    assert case.assignee is None and case.triaged_at is None
    assert case.resolution_due_at is None


@pytest.mark.parametrize("target", ["hoan_kiem", "hanoi", "ben_thanh"])
def test_transfer_goes_only_to_a_sibling_unit(world: World, target: str) -> None:
    case = world.new_case()
    before = snapshot(case)
    with pytest.raises(ValidationError) as excinfo:
        services.case_transfer(
            case_id=case.pk,
            actor=world.cast.leader,
            unit=getattr(world.tree, target),
            reason=REASON,
        )
    assert "unit" in excinfo.value.message_dict
    assert snapshot(case) == before


def test_transfer_to_an_inactive_unit_is_a_validation_error(world: World) -> None:
    closed_ward = Unit.objects.create(
        code="W00074",
        name="Phường đã giải thể",
        level=Level.COMMUNE,
        parent=world.tree.hanoi,
        admin_code=74,
        is_active=False,
    )
    case = world.new_case()
    before = snapshot(case)
    with pytest.raises(ValidationError):
        services.case_transfer(case_id=case.pk, actor=world.cast.leader, unit=closed_ward, reason=REASON)
    assert snapshot(case) == before


@pytest.mark.parametrize("target", ["hanoi", "ben_thanh", "central"])
def test_return_down_goes_only_to_a_unit_below(world: World, target: str) -> None:
    case = world.new_case(Level.PROVINCE)
    before = snapshot(case)
    with pytest.raises(ValidationError) as excinfo:
        services.case_return_down(
            case_id=case.pk,
            actor=world.cast.province_leader,
            unit=getattr(world.tree, target),
            reason=REASON,
        )
    assert "unit" in excinfo.value.message_dict
    assert snapshot(case) == before


def test_return_down_is_not_possible_at_a_commune(world: World) -> None:
    case = world.new_case()
    before = snapshot(case)
    with pytest.raises(TransitionNotPossible):
        services.case_return_down(
            case_id=case.pk, actor=world.cast.leader, unit=world.tree.hoan_kiem, reason=REASON
        )
    assert snapshot(case) == before


def test_central_can_return_a_case_down_to_a_commune(world: World) -> None:
    case = world.new_case(Level.CENTRAL)
    services.case_return_down(
        case_id=case.pk, actor=world.cast.central_leader, unit=world.tree.ben_thanh, reason=REASON
    )
    case = fresh(case)
    assert (case.state, case.unit) == (S.SUBMITTED, world.tree.ben_thanh)


# --- refer, reassign, responses ------------------------------------------------------------


@pytest.mark.parametrize("days_ahead", [0, -1])
def test_refer_needs_a_future_due_date(world: World, days_ahead: int) -> None:
    case = world.case_in(S.IN_PROGRESS)
    before = snapshot(case)
    with pytest.raises(ValidationError) as excinfo:
        services.case_refer(
            case_id=case.pk,
            actor=world.cast.officer,
            agency=AGENCY,
            due=timezone.localdate() + dt.timedelta(days=days_ahead),
        )
    assert "due" in excinfo.value.message_dict
    assert snapshot(case) == before


def test_refer_records_the_agency(world: World) -> None:
    case = world.case_in(S.IN_PROGRESS)
    due = timezone.localdate() + dt.timedelta(days=7)
    services.case_refer(case_id=case.pk, actor=world.cast.officer, agency=f"  {AGENCY} ", due=due)
    case = fresh(case)
    assert case.agency_name == AGENCY
    assert timezone.localtime(case.agency_due_at).date() == due
    assert case.events.get(kind=EventKind.REFER).data == {"agency": AGENCY, "due": due.isoformat()}


def test_reassign_gives_the_case_to_another_officer(world: World) -> None:
    case = world.case_in(S.IN_PROGRESS)
    services.case_reassign(case_id=case.pk, actor=world.cast.leader, officer=world.cast.officer2)
    assert fresh(case).assignee == world.cast.officer2


@pytest.mark.parametrize("officer", ["officer", "other_officer", "outsider"])
def test_reassign_to_the_current_assignee_or_a_non_member_is_a_validation_error(
    world: World, officer: str
) -> None:
    case = world.case_in(S.IN_PROGRESS)
    assert case.assignee == world.cast.officer
    before = snapshot(case)
    with pytest.raises(ValidationError) as excinfo:
        services.case_reassign(case_id=case.pk, actor=world.cast.leader, officer=getattr(world.cast, officer))
    assert "officer" in excinfo.value.message_dict
    assert snapshot(case) == before


def test_submit_response_keeps_the_draft_and_its_author(world: World) -> None:
    case = world.case_in(S.IN_PROGRESS)
    services.case_submit_response(case_id=case.pk, actor=world.cast.officer, text=RESPONSE)
    case = fresh(case)
    assert case.response_text == RESPONSE
    assert case.response_drafted_by == world.cast.officer


def test_approve_opens_the_feedback_window(world: World) -> None:
    case = world.case_in(S.PENDING_APPROVAL)
    services.case_approve(case_id=case.pk, actor=world.cast.leader)
    case = fresh(case)
    assert case.responded_at is not None
    assert case.feedback_due_at == case.responded_at + dt.timedelta(days=7)
    assert case.due_at == case.feedback_due_at


# --- the citizen's feedback -----------------------------------------------------------------


def test_citizen_satisfied_closes_the_case_with_the_rating(world: World) -> None:
    case = world.case_in(S.RESPONDED)
    services.case_citizen_feedback(
        case_id=case.pk, actor=citizen_of(case), resolved=True, rating=4, comment=PRAISE
    )
    case = fresh(case)
    assert (case.state, case.rating, case.citizen_comment) == (S.CLOSED, 4, PRAISE)
    assert case.closed_at is not None and case.due_at is None


def test_first_dissatisfaction_reopens_the_case_at_the_same_unit(world: World) -> None:
    case = world.case_in(S.RESPONDED)
    services.case_citizen_feedback(
        case_id=case.pk, actor=citizen_of(case), resolved=False, rating=2, comment=COMPLAINT
    )
    case = fresh(case)
    assert (case.state, case.unit) == (S.IN_PROGRESS, world.tree.hoan_kiem)
    assert case.dissatisfaction_count == 1
    assert case.assignee == world.cast.officer
    assert case.feedback_due_at is None and case.responded_at is None
    assert case.due_at == case.resolution_due_at is not None


def test_second_dissatisfaction_escalates_to_the_parent_unit(world: World) -> None:
    case = world.case_in(S.RESPONDED)
    citizen = citizen_of(case)
    services.case_citizen_feedback(
        case_id=case.pk, actor=citizen, resolved=False, rating=2, comment=COMPLAINT
    )
    services.case_submit_response(case_id=case.pk, actor=world.cast.officer, text=RESPONSE)
    services.case_approve(case_id=case.pk, actor=world.cast.leader)
    seen = last_event_id(case)

    services.case_citizen_feedback(
        case_id=case.pk, actor=citizen, resolved=False, rating=1, comment=COMPLAINT
    )

    case = fresh(case)
    assert (case.state, case.unit) == (S.SUBMITTED, world.tree.hanoi)
    assert case.dissatisfaction_count == 2
    assert case.assignee is None
    assert case.due_at == case.triage_due_at is not None
    event = CaseEvent.objects.get(case=case, pk__gt=seen)
    assert event.kind == EventKind.CITIZEN_UNSATISFIED
    assert (event.from_state, event.to_state) == (S.RESPONDED, S.SUBMITTED)
    assert (event.from_unit, event.to_unit) == (world.tree.hoan_kiem, world.tree.hanoi)


@pytest.mark.parametrize("rating", [0, 6, -1, True, "5"])
def test_feedback_rating_must_be_a_number_from_1_to_5(world: World, rating: Any) -> None:
    case = world.case_in(S.RESPONDED)
    before = snapshot(case)
    with pytest.raises(ValidationError) as excinfo:
        services.case_citizen_feedback(case_id=case.pk, actor=citizen_of(case), resolved=True, rating=rating)
    assert "rating" in excinfo.value.message_dict
    assert snapshot(case) == before


# --- required texts ---------------------------------------------------------------------------

BLANK = "   \n "

# (transition, state, level, field, call)
EMPTY_TEXTS: list[tuple[str, str, str, str, Callable[[World, Case], Any]]] = [
    (
        "reject",
        S.SUBMITTED,
        Level.COMMUNE,
        "reason",
        lambda w, c: services.case_reject(case_id=c.pk, actor=w.cast.officer, reason=BLANK),
    ),
    (
        "escalate",
        S.SUBMITTED,
        Level.COMMUNE,
        "reason",
        lambda w, c: services.case_escalate(case_id=c.pk, actor=w.cast.officer, reason=BLANK),
    ),
    (
        "transfer",
        S.SUBMITTED,
        Level.COMMUNE,
        "reason",
        lambda w, c: services.case_transfer(
            case_id=c.pk, actor=w.cast.leader, unit=w.tree.cua_nam, reason=BLANK
        ),
    ),
    (
        "return_down",
        S.SUBMITTED,
        Level.PROVINCE,
        "reason",
        lambda w, c: services.case_return_down(
            case_id=c.pk, actor=w.cast.province_leader, unit=w.tree.hoan_kiem, reason=BLANK
        ),
    ),
    (
        "refer",
        S.IN_PROGRESS,
        Level.COMMUNE,
        "agency",
        lambda w, c: services.case_refer(
            case_id=c.pk,
            actor=w.cast.officer,
            agency=BLANK,
            due=timezone.localdate() + dt.timedelta(days=7),
        ),
    ),
    (
        "agency_replied",
        S.AWAITING_AGENCY,
        Level.COMMUNE,
        "note",
        lambda w, c: services.case_agency_replied(case_id=c.pk, actor=w.cast.officer, note=BLANK),
    ),
    (
        "extend",
        S.IN_PROGRESS,
        Level.COMMUNE,
        "reason",
        lambda w, c: services.case_extend(case_id=c.pk, actor=w.cast.leader, days=3, reason=BLANK),
    ),
    (
        "submit_response",
        S.IN_PROGRESS,
        Level.COMMUNE,
        "text",
        lambda w, c: services.case_submit_response(case_id=c.pk, actor=w.cast.officer, text=BLANK),
    ),
    (
        "send_back",
        S.PENDING_APPROVAL,
        Level.COMMUNE,
        "note",
        lambda w, c: services.case_send_back(case_id=c.pk, actor=w.cast.leader, note=BLANK),
    ),
    (
        "citizen_unsatisfied",
        S.RESPONDED,
        Level.COMMUNE,
        "comment",
        lambda w, c: services.case_citizen_feedback(
            case_id=c.pk, actor=citizen_of(c), resolved=False, rating=2, comment=BLANK
        ),
    ),
]


@pytest.mark.parametrize(
    ("state", "level", "field", "call"),
    [pytest.param(*entry[1:], id=entry[0]) for entry in EMPTY_TEXTS],
)
def test_an_empty_reason_is_a_validation_error(
    world: World, state: str, level: str, field: str, call: Callable[[World, Case], Any]
) -> None:
    case = world.case_in(state, level)
    before = snapshot(case)
    with pytest.raises(ValidationError) as excinfo:
        call(world, case)
    assert field in excinfo.value.message_dict
    assert snapshot(case) == before


# --- optimistic concurrency -------------------------------------------------------------------


def test_a_stale_expected_version_is_a_conflict(world: World) -> None:
    case = world.new_case()
    seen_version = case.version
    services.case_accept(case_id=case.pk, actor=world.cast.officer2)  # someone acts first
    case = fresh(case)
    before = snapshot(case)
    with pytest.raises(CaseConflict) as excinfo:
        # Escalating an in-progress case is possible: only the version stops it.
        services.case_escalate(
            case_id=case.pk, actor=world.cast.officer, reason=REASON, expected_version=seen_version
        )
    assert excinfo.type is CaseConflict  # not the TransitionNotPossible subclass
    assert snapshot(case) == before


def test_the_current_expected_version_lets_the_action_through(world: World) -> None:
    case = world.case_in(S.IN_PROGRESS)
    result = services.case_submit_response(
        case_id=case.pk, actor=world.cast.officer, text=RESPONSE, expected_version=case.version
    )
    assert (result.state, result.version) == (S.PENDING_APPROVAL, case.version + 1)


def test_an_outsider_with_a_stale_version_is_refused_without_learning_about_the_case(
    world: World,
) -> None:
    # _run says "jurisdiction first, so that an outsider learns nothing about
    # the case's state"; a version mismatch must not answer before that.
    case = world.new_case()
    before = snapshot(case)
    with pytest.raises(CaseActionForbidden):
        services.case_accept(
            case_id=case.pk, actor=world.cast.other_officer, expected_version=case.version + 7
        )
    assert snapshot(case) == before


def test_acting_on_a_missing_case_is_forbidden(world: World) -> None:
    with pytest.raises(CaseActionForbidden):
        services.case_accept(case_id=10**9, actor=world.cast.officer)


# --- after commit -------------------------------------------------------------------------------


@pytest.fixture
def committed() -> Iterator[list[dict[str, Any]]]:
    """What ``case_event_committed`` receivers are sent, in order."""
    received: list[dict[str, Any]] = []

    def receiver(sender: Any, **kwargs: Any) -> None:
        kwargs.pop("signal", None)
        received.append({"sender": sender, **kwargs})

    case_event_committed.connect(receiver, weak=False, dispatch_uid="test_case_transitions")
    yield received
    case_event_committed.disconnect(dispatch_uid="test_case_transitions")


def test_the_committed_signal_is_sent_once_after_commit(
    world: World, committed: list[dict[str, Any]], django_capture_on_commit_callbacks: Any
) -> None:
    case = world.new_case()
    with django_capture_on_commit_callbacks(execute=True):
        services.case_accept(case_id=case.pk, actor=world.cast.officer)
        assert committed == []  # not before the commit

    event = case.events.get(kind=EventKind.ACCEPT)
    assert committed == [
        {
            "sender": Case,
            "case_id": case.pk,
            "event_id": event.pk,
            "version": 2,
            "kind": "accept",
            # What the live push needs, from memory: it reads nothing after commit.
            "state": CaseState.IN_PROGRESS,
            "unit_paths": (case.unit.path,),
        }
    ]


def test_the_committed_signal_is_not_sent_when_the_transaction_rolls_back(
    world: World, committed: list[dict[str, Any]], django_capture_on_commit_callbacks: Any
) -> None:
    case = world.new_case()
    before = snapshot(case)
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        services.case_accept(case_id=case.pk, actor=world.cast.officer)
        raise RuntimeError("the caller fails after the service")
    assert callbacks == []
    assert committed == []
    assert snapshot(case) == before


def test_the_committed_signal_is_not_sent_for_a_refused_action(
    world: World, committed: list[dict[str, Any]], django_capture_on_commit_callbacks: Any
) -> None:
    case = world.case_in(S.IN_PROGRESS)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(TransitionNotPossible):
            services.case_accept(case_id=case.pk, actor=world.cast.officer)
        with pytest.raises(CaseActionForbidden):
            services.case_submit_response(case_id=case.pk, actor=world.cast.other_officer, text=RESPONSE)
    assert callbacks == []
    assert committed == []


# --- the event log is append-only --------------------------------------------------------------


def test_a_case_event_cannot_be_updated(world: World) -> None:
    event = world.new_case().events.get()
    event.note = "Sửa lại lịch sử"
    with pytest.raises(AppendOnlyError):
        event.save()
    assert CaseEvent.objects.get(pk=event.pk).note == ""


def test_a_case_event_cannot_be_deleted(world: World) -> None:
    event = world.new_case().events.get()
    with pytest.raises(AppendOnlyError):
        event.delete()
    assert CaseEvent.objects.filter(pk=event.pk).exists()


def test_case_events_cannot_be_updated_through_a_queryset(world: World) -> None:
    event = world.new_case().events.get()
    with pytest.raises(AppendOnlyError):
        CaseEvent.objects.filter(pk=event.pk).update(note="Sửa lại lịch sử")
    assert CaseEvent.objects.get(pk=event.pk).note == ""


def test_case_events_cannot_be_deleted_through_a_queryset(world: World) -> None:
    event = world.new_case().events.get()
    with pytest.raises(AppendOnlyError):
        CaseEvent.objects.filter(pk=event.pk).delete()
    assert CaseEvent.objects.filter(pk=event.pk).exists()


def test_auto_close_is_refused_before_the_feedback_window_elapses(cast, case):
    responded = advance(case, S.RESPONDED, cast)
    with pytest.raises(ValidationError):
        services.case_auto_close(case_id=responded.pk)
    assert fresh(responded).state == S.RESPONDED


def test_a_citizen_cannot_withdraw_once_the_response_is_published(cast, case):
    responded = advance(case, S.RESPONDED, cast)
    with pytest.raises(TransitionNotPossible):
        services.case_withdraw(case_id=responded.pk, actor=citizen_of(responded), reason="Thôi")
    assert fresh(responded).state == S.RESPONDED


def test_a_citizen_can_withdraw_a_case_reopened_after_an_unsatisfying_response(cast, case):
    responded = advance(case, S.RESPONDED, cast)
    citizen = citizen_of(responded)
    services.case_citizen_feedback(
        case_id=responded.pk, actor=citizen, resolved=False, rating=1, comment="Chưa sửa."
    )
    assert services.case_withdraw(case_id=responded.pk, actor=citizen).state == S.WITHDRAWN


@pytest.mark.parametrize("resolved", [True, False])
def test_feedback_after_the_feedback_window_is_refused(cast, case, resolved):
    responded = advance(case, S.RESPONDED, cast)
    Case.objects.filter(pk=responded.pk).update(feedback_due_at=timezone.now() - dt.timedelta(hours=1))
    with pytest.raises(ValidationError):
        services.case_citizen_feedback(
            case_id=responded.pk, actor=citizen_of(responded), resolved=resolved, rating=4, comment="Ổn"
        )
    assert fresh(responded).state == S.RESPONDED
