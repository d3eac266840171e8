"""Every action form of the case desk: success, validation error, refusal and concurrent conflict.

One row of ``SPECS`` per action of ``routing.actions.ACTIONS``: who may run it, the state it
starts from (built through the real services), valid and invalid input, the expected outcome,
who is refused, and what another person does meanwhile to make the actor's page stale.
The four tests below run every row. Two more at the end cover a case that leaves the actor's
unit; their failures are app bugs, described in their assertion messages.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import escape

from petitions.models import Category
from petitions.services import SubmissionResult
from routing import services
from routing.actions import ACTIONS
from routing.deadlines import policy_for
from routing.models import Case, CaseEvent, CaseState, Level, Role
from routing.selectors import case_for_user
from tests.conftest import Cast, Tree, advance, citizen_of, fresh, make_staff

REQUIRED = "This field is required."
NOT_A_CHOICE = "Select a valid choice. That choice is not one of the available choices."
CONFLICT = "Someone else updated this case a moment ago. Review its current state and try again."
NOT_POSSIBLE = "This action is not possible for the case in its current state."
LEADER_ONLY = "Only a leader of the unit can do this."


@dataclass
class Desk:
    """What a spec needs to build its case and its input."""

    tree: Tree
    cast: Cast
    submit: Callable[..., SubmissionResult]

    def user(self, name: str) -> User:
        return getattr(self.cast, name)


Data = dict[str, Any]
Refusal = int | str  # a status code (404, 403) or the message shown after the redirect


@dataclass(frozen=True)
class Spec:
    action: str
    actor: str  # attribute of Cast
    start: Callable[[Desk], Case]
    valid: Callable[[Desk], Data]
    expected: Callable[[Desk], Data]  # Case attribute -> value after success
    invalid: Callable[[Desk], Data]
    invalid_error: str  # shown on the page for the invalid input
    refused: tuple[tuple[str, Refusal], ...]  # (attribute of Cast, how they are refused)
    meanwhile: Callable[[Desk, Case], None]  # someone else changes the case first

    def __str__(self) -> str:  # the test id
        return self.action


# --- starting states, through the real services ---------------------------------------


def at_commune(state: str) -> Callable[[Desk], Case]:
    """A case at Phường Hoàn Kiếm in ``state`` (accepted by ``cast.officer`` where it applies)."""
    return lambda desk: advance(desk.submit().petition.case, state, desk.cast)


def at_province(desk: Desk) -> Case:
    """A submitted case that Hoàn Kiếm escalated to Thành phố Hà Nội."""
    case = desk.submit().petition.case
    services.case_escalate(case_id=case.pk, actor=desk.cast.officer, reason="Vượt thẩm quyền cấp xã.")
    return fresh(case)


def in_days(days: int) -> str:
    return (timezone.localdate() + dt.timedelta(days=days)).isoformat()


def extension_limit() -> int:
    return policy_for(Level.COMMUNE, Category.objects.get(code="environment")).max_extension_days


# --- what other people do meanwhile ---------------------------------------------------


def colleague_accepts(desk: Desk, case: Case) -> None:
    services.case_accept(case_id=case.pk, actor=desk.cast.officer2)


def colleague_rejects(desk: Desk, case: Case) -> None:
    services.case_reject(case_id=case.pk, actor=desk.cast.officer2, reason="Ngoài phạm vi.")


def officer_accepts(desk: Desk, case: Case) -> None:
    services.case_accept(case_id=case.pk, actor=desk.cast.officer)


def province_officer_accepts(desk: Desk, case: Case) -> None:
    services.case_accept(case_id=case.pk, actor=desk.cast.province_officer)


def colleague_drafts_the_response(desk: Desk, case: Case) -> None:
    services.case_submit_response(case_id=case.pk, actor=desk.cast.officer2, text="Đã xử lý.")


def officer_drafts_the_response(desk: Desk, case: Case) -> None:
    services.case_submit_response(case_id=case.pk, actor=desk.cast.officer, text="Đã xử lý.")


def colleague_records_the_reply(desk: Desk, case: Case) -> None:
    services.case_agency_replied(case_id=case.pk, actor=desk.cast.officer2, note="Sở đã trả lời.")


def colleague_refers(desk: Desk, case: Case) -> None:
    services.case_refer(
        case_id=case.pk,
        actor=desk.cast.officer2,
        agency="Sở Tài nguyên",
        due=timezone.localdate() + dt.timedelta(days=5),
    )


def officer_adds_a_note(desk: Desk, case: Case) -> None:
    services.case_add_note(case_id=case.pk, actor=desk.cast.officer, text="Đã gọi điện.", is_public=False)


def citizen_withdraws(desk: Desk, case: Case) -> None:
    services.case_withdraw(case_id=case.pk, actor=citizen_of(case))


# --- the table ----------------------------------------------------------------------------

OUTSIDER: tuple[str, Refusal] = ("other_officer", 404)  # officer of Phường Cửa Nam: cannot even see it
READER_ABOVE: tuple[str, Refusal] = ("province_leader", 403)  # reads the commune's cases, acts on none
SAME_UNIT_OFFICER: tuple[str, Refusal] = ("officer", LEADER_ONLY)  # leader-only action

SPECS = [
    Spec(
        action="accept",
        actor="officer",
        start=at_commune(CaseState.SUBMITTED),
        valid=lambda d: {"assignee": d.cast.officer.pk},
        expected=lambda d: {
            "state": CaseState.IN_PROGRESS,
            "unit": d.tree.hoan_kiem,
            "assignee": d.cast.officer,
        },
        invalid=lambda d: {"assignee": d.cast.officer2.pk},  # officers accept for themselves only
        invalid_error=NOT_A_CHOICE,
        refused=(OUTSIDER, READER_ABOVE),
        meanwhile=colleague_accepts,
    ),
    Spec(
        action="reject",
        actor="officer",
        start=at_commune(CaseState.SUBMITTED),
        valid=lambda d: {"reason": "Không thuộc thẩm quyền giải quyết."},
        expected=lambda d: {"state": CaseState.REJECTED, "unit": d.tree.hoan_kiem, "assignee": None},
        invalid=lambda d: {"reason": "  "},
        invalid_error=REQUIRED,
        refused=(OUTSIDER, READER_ABOVE),
        meanwhile=colleague_accepts,
    ),
    Spec(
        action="mark_duplicate",
        actor="officer",
        start=at_commune(CaseState.SUBMITTED),
        valid=lambda d: {"original": d.submit(title="Phản ánh gốc").petition.tracking_code, "note": ""},
        expected=lambda d: {"state": CaseState.DUPLICATE, "unit": d.tree.hoan_kiem, "assignee": None},
        invalid=lambda d: {"original": "PA-26-ZZZZZZ"},
        invalid_error="No case you can see has that tracking code.",
        refused=(OUTSIDER, READER_ABOVE),
        meanwhile=colleague_rejects,
    ),
    Spec(
        action="escalate",
        actor="officer",
        start=at_commune(CaseState.SUBMITTED),
        valid=lambda d: {"reason": "Vượt thẩm quyền cấp xã."},
        expected=lambda d: {"state": CaseState.SUBMITTED, "unit": d.tree.hanoi, "assignee": None},
        invalid=lambda d: {"reason": ""},
        invalid_error=REQUIRED,
        refused=(OUTSIDER, READER_ABOVE),
        meanwhile=colleague_accepts,  # escalating an accepted case is still possible: a version conflict
    ),
    Spec(
        action="transfer",
        actor="leader",
        start=at_commune(CaseState.SUBMITTED),
        valid=lambda d: {"unit": d.tree.cua_nam.pk, "reason": "Sai địa bàn."},
        expected=lambda d: {"state": CaseState.SUBMITTED, "unit": d.tree.cua_nam, "assignee": None},
        invalid=lambda d: {"unit": d.tree.ben_thanh.pk, "reason": "Sai địa bàn."},  # another province
        invalid_error=NOT_A_CHOICE,
        refused=(OUTSIDER, READER_ABOVE, SAME_UNIT_OFFICER),
        meanwhile=officer_accepts,
    ),
    Spec(
        action="return_down",
        actor="province_leader",
        start=at_province,
        valid=lambda d: {"unit": d.tree.cua_nam.pk, "reason": "Thuộc thẩm quyền cấp xã."},
        expected=lambda d: {"state": CaseState.SUBMITTED, "unit": d.tree.cua_nam, "assignee": None},
        invalid=lambda d: {"unit": d.tree.ben_thanh.pk, "reason": "Thuộc thẩm quyền cấp xã."},
        invalid_error=NOT_A_CHOICE,
        refused=(OUTSIDER, ("central_leader", 403), ("province_officer", LEADER_ONLY)),
        meanwhile=province_officer_accepts,
    ),
    Spec(
        action="refer",
        actor="officer",
        start=at_commune(CaseState.IN_PROGRESS),
        valid=lambda d: {"agency": "Sở Xây dựng", "due": in_days(10), "note": ""},
        expected=lambda d: {
            "state": CaseState.AWAITING_AGENCY,
            "unit": d.tree.hoan_kiem,
            "assignee": d.cast.officer,
            "agency_name": "Sở Xây dựng",
        },
        invalid=lambda d: {"agency": "Sở Xây dựng", "due": in_days(-1)},
        invalid_error="The agency's deadline must be a future date.",
        refused=(OUTSIDER, READER_ABOVE),
        meanwhile=colleague_drafts_the_response,
    ),
    Spec(
        action="agency_replied",
        actor="officer",
        start=at_commune(CaseState.AWAITING_AGENCY),
        valid=lambda d: {"note": "Sở Xây dựng đã kiểm tra hiện trường."},
        expected=lambda d: {
            "state": CaseState.IN_PROGRESS,
            "unit": d.tree.hoan_kiem,
            "assignee": d.cast.officer,
            "paused_at": None,
        },
        invalid=lambda d: {"note": ""},
        invalid_error=REQUIRED,
        refused=(OUTSIDER, READER_ABOVE),
        meanwhile=colleague_records_the_reply,
    ),
    Spec(
        action="ask_citizen",
        actor="officer",
        start=at_commune(CaseState.IN_PROGRESS),
        valid=lambda d: {"question": "Xin gửi ảnh chụp chỗ rác tồn đọng."},
        expected=lambda d: {
            "state": CaseState.AWAITING_CITIZEN,
            "unit": d.tree.hoan_kiem,
            "assignee": d.cast.officer,
        },
        invalid=lambda d: {"question": ""},
        invalid_error=REQUIRED,
        # officer2 is of the unit but not the assignee: only the assignee or a leader may ask.
        refused=(
            OUTSIDER,
            READER_ABOVE,
            ("officer2", "Only the officer the case is assigned to, or a leader of the unit, can do this."),
        ),
        meanwhile=colleague_drafts_the_response,
    ),
    Spec(
        action="reassign",
        actor="leader",
        start=at_commune(CaseState.IN_PROGRESS),
        valid=lambda d: {"officer": d.cast.officer2.pk},
        expected=lambda d: {
            "state": CaseState.IN_PROGRESS,
            "unit": d.tree.hoan_kiem,
            "assignee": d.cast.officer2,
        },
        invalid=lambda d: {"officer": d.cast.other_officer.pk},  # an officer of another commune
        invalid_error=NOT_A_CHOICE,
        refused=(OUTSIDER, READER_ABOVE, SAME_UNIT_OFFICER),
        meanwhile=officer_drafts_the_response,
    ),
    Spec(
        action="extend",
        actor="leader",
        start=at_commune(CaseState.IN_PROGRESS),
        valid=lambda d: {"days": 3, "reason": "Cần khảo sát thêm."},
        expected=lambda d: {
            "state": CaseState.IN_PROGRESS,
            "unit": d.tree.hoan_kiem,
            "assignee": d.cast.officer,
            "extension_used": True,
        },
        invalid=lambda d: {"days": extension_limit() + 1, "reason": "Cần khảo sát thêm."},
        invalid_error="An extension is 1 to",  # ... the limit's working days
        refused=(OUTSIDER, READER_ABOVE, SAME_UNIT_OFFICER),
        meanwhile=officer_drafts_the_response,  # a drafted case can still be extended: a version conflict
    ),
    Spec(
        action="submit_response",
        actor="officer",
        start=at_commune(CaseState.IN_PROGRESS),
        valid=lambda d: {"text": "Đã thu gom rác và nhắc nhở đơn vị vệ sinh."},
        expected=lambda d: {
            "state": CaseState.PENDING_APPROVAL,
            "unit": d.tree.hoan_kiem,
            "assignee": d.cast.officer,
            "response_text": "Đã thu gom rác và nhắc nhở đơn vị vệ sinh.",
        },
        invalid=lambda d: {"text": ""},
        invalid_error=REQUIRED,
        refused=(OUTSIDER, READER_ABOVE),
        meanwhile=colleague_refers,
    ),
    Spec(
        action="approve",
        actor="leader",
        start=at_commune(CaseState.PENDING_APPROVAL),
        valid=lambda d: {},
        expected=lambda d: {
            "state": CaseState.RESPONDED,
            "unit": d.tree.hoan_kiem,
            "assignee": d.cast.officer,
        },
        invalid=lambda d: {"version": ""},  # the form's only input
        invalid_error=REQUIRED,
        refused=(OUTSIDER, READER_ABOVE, SAME_UNIT_OFFICER),
        meanwhile=officer_adds_a_note,  # the state still allows it: a version conflict
    ),
    Spec(
        action="send_back",
        actor="leader",
        start=at_commune(CaseState.PENDING_APPROVAL),
        valid=lambda d: {"note": "Bổ sung thời hạn hoàn thành."},
        expected=lambda d: {
            "state": CaseState.IN_PROGRESS,
            "unit": d.tree.hoan_kiem,
            "assignee": d.cast.officer,
        },
        invalid=lambda d: {"note": ""},
        invalid_error=REQUIRED,
        refused=(OUTSIDER, READER_ABOVE, SAME_UNIT_OFFICER),
        meanwhile=citizen_withdraws,
    ),
]


def test_the_table_covers_every_desk_action() -> None:
    assert [spec.action for spec in SPECS] == list(ACTIONS)


# --- helpers ------------------------------------------------------------------------------


@pytest.fixture
def desk(tree: Tree, cast: Cast, submit: Callable[..., SubmissionResult]) -> Desk:
    return Desk(tree, cast, submit)


def desk_url(case: Case) -> str:
    with translation.override("en"):
        return reverse("backoffice:backoffice-case", args=[case.pk])


def act(client: Client, case: Case, action: str, data: Data, *, version: int | None = None, **kw: Any) -> Any:
    """POST the action form in English, as the desk would, with the version the page showed."""
    fields = {f"{action}-{name}": str(value) for name, value in data.items()}
    fields.setdefault(f"{action}-version", str(version if version is not None else case.version))
    with translation.override("en"):
        url = reverse("backoffice:backoffice-case-act", args=[case.pk, action])
    return client.post(url, fields, **kw)


def snapshot(case: Case) -> tuple[Any, ...]:
    now = fresh(case)
    return (now.state, now.unit_id, now.assignee_id, now.version, CaseEvent.objects.filter(case=case).count())


def warnings_and_errors(response: Any) -> list[str]:
    return [str(m) for m in response.context["messages"] if m.level_tag in ("warning", "error")]


def refusals() -> list[Any]:
    return [
        pytest.param(spec, who, how, id=f"{spec.action}-{who}") for spec in SPECS for who, how in spec.refused
    ]


# --- the four tests -----------------------------------------------------------------------


@pytest.mark.parametrize("spec", SPECS, ids=str)
def test_the_right_actor_succeeds_and_the_case_moves_on(client: Client, desk: Desk, spec: Spec) -> None:
    case = spec.start(desk)
    data = spec.valid(desk)
    events_before = CaseEvent.objects.filter(case=case).count()
    actor = desk.user(spec.actor)
    client.force_login(actor)

    response = act(client, case, spec.action, data)

    assert response.status_code == 302, response.content.decode()[:2000]
    still_visible = case_for_user(user=actor, case_id=case.pk) is not None
    assert response["Location"] == (
        desk_url(case) if still_visible else reverse("backoffice:backoffice-inbox")
    )
    after = fresh(case)
    for name, value in spec.expected(desk).items():
        assert getattr(after, name) == value, name
    assert after.version == case.version + 1
    events = CaseEvent.objects.filter(case=case).order_by("id")
    assert events.count() == events_before + 1
    event = events.last()
    assert (event.kind, event.actor, event.case_version) == (spec.action, actor, after.version)


@pytest.mark.parametrize("spec", SPECS, ids=str)
def test_invalid_input_shows_the_form_error_and_changes_nothing(
    client: Client, desk: Desk, spec: Spec
) -> None:
    case = spec.start(desk)
    before = snapshot(case)
    client.force_login(desk.user(spec.actor))

    response = act(client, case, spec.action, spec.invalid(desk))

    assert response.status_code == 400
    page = response.content.decode()
    assert f'open id="action-{spec.action}"' in page  # the failed form is the one left open
    assert 'class="error-summary"' in page
    assert escape(spec.invalid_error) in page
    assert snapshot(case) == before


@pytest.mark.parametrize(("spec", "who", "how"), refusals())
def test_an_actor_without_the_right_is_refused_and_nothing_changes(
    client: Client, desk: Desk, spec: Spec, who: str, how: Refusal
) -> None:
    case = spec.start(desk)
    data = spec.valid(desk)
    before = snapshot(case)
    client.force_login(desk.user(who))

    response = act(client, case, spec.action, data, follow=isinstance(how, str))

    if isinstance(how, int):
        assert response.status_code == how
    else:
        assert response.redirect_chain == [(desk_url(case), 302)]
        assert warnings_and_errors(response) == [how]
    assert snapshot(case) == before


@pytest.mark.parametrize("spec", SPECS, ids=str)
def test_a_stale_version_gives_a_conflict_message_and_the_fresh_state(
    client: Client, desk: Desk, spec: Spec
) -> None:
    case = spec.start(desk)
    data = spec.valid(desk)
    client.force_login(desk.user(spec.actor))
    seen = case.version  # the version on the actor's page
    spec.meanwhile(desk, case)
    after_meanwhile = snapshot(case)

    response = act(client, case, spec.action, data, version=seen, follow=True)

    assert response.redirect_chain == [(desk_url(case), 302)]
    assert warnings_and_errors(response) == [CONFLICT]
    now = fresh(case)
    assert f'<span class="badge">{now.get_state_display()}</span>' in response.content.decode()
    assert snapshot(case) == after_meanwhile


# --- when the case leaves the actor's unit ------------------------------------------------
# case_act fetches the case through what the actor may see and then checks that it is at
# their unit, before anything else; so a case that left their unit is a bare 404 (or a 403
# for a leader above who still reads it), and the desk is a 404 after moving it away oneself.


@pytest.mark.parametrize(
    "spec", [s for s in SPECS if s.action in ("escalate", "transfer", "return_down")], ids=str
)
def test_an_action_that_moves_the_case_away_lands_the_actor_on_a_page_they_can_see(
    client: Client, desk: Desk, spec: Spec
) -> None:
    case = spec.start(desk)
    client.force_login(desk.user(spec.actor))

    response = act(client, case, spec.action, spec.valid(desk), follow=True)

    assert fresh(case).unit == spec.expected(desk)["unit"]  # the action itself worked
    assert response.status_code == 200, (
        f"BUG: after a successful {spec.action}, {spec.actor} is redirected to "
        f"{response.redirect_chain} and gets {response.status_code}: the case left the units they "
        "may see, so the desk is not found and the 'Done' message is left for a later page. "
        "Expected a redirect to a page they can see (e.g. the inbox) with the success message."
    )


@dataclass(frozen=True)
class MovedAway:
    """Someone else moves the case to another unit while ``actor`` has its desk open."""

    start: Callable[[Desk], Case]
    meanwhile: Callable[[Desk, Case], None]
    actor: str
    action: str
    data: Callable[[Desk], Data]


def colleague_escalates(desk: Desk, case: Case) -> None:
    services.case_escalate(case_id=case.pk, actor=desk.cast.officer2, reason="Vượt thẩm quyền.")


def another_province_leader_returns_it_down(desk: Desk, case: Case) -> None:
    colleague = make_staff(desk.tree.hanoi, Role.LEADER)
    services.case_return_down(case_id=case.pk, actor=colleague, unit=desk.tree.cua_nam, reason="Cấp xã.")


MOVED_AWAY = [
    pytest.param(
        MovedAway(
            start=at_commune(CaseState.SUBMITTED),
            meanwhile=colleague_escalates,
            actor="officer",
            action="accept",
            data=lambda d: {"assignee": d.cast.officer.pk},
        ),
        id="escalated_while_the_officer_accepts",
    ),
    pytest.param(
        MovedAway(
            start=at_province,
            meanwhile=another_province_leader_returns_it_down,
            actor="province_leader",
            action="return_down",
            data=lambda d: {"unit": d.tree.hoan_kiem.pk, "reason": "Cấp xã."},
        ),
        id="returned_down_while_the_province_leader_returns_it_elsewhere",
    ),
]


@pytest.mark.parametrize("moved", MOVED_AWAY)
def test_a_case_moved_to_another_unit_meanwhile_gives_a_conflict_message(
    client: Client, desk: Desk, moved: MovedAway
) -> None:
    case = moved.start(desk)
    data = moved.data(desk)
    client.force_login(desk.user(moved.actor))
    seen = case.version
    moved.meanwhile(desk, case)
    after_meanwhile = snapshot(case)

    response = act(client, case, moved.action, data, version=seen)

    assert snapshot(case) == after_meanwhile
    assert response.status_code == 302, (
        f"BUG: {moved.actor} posts {moved.action} with the version they saw, after someone else "
        f"moved the case to another unit, and gets a bare {response.status_code} instead of a "
        "conflict message. routing.services has one for exactly this ('This case was moved to "
        "another unit a moment ago.'), but backoffice.views.case_act never reaches the service: "
        "_get_case (404) or the membership check (403) refuses first."
    )
    followed = client.get(response["Location"], follow=True)
    assert warnings_and_errors(followed), "the redirect should carry a conflict warning"
