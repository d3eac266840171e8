"""Acting on cases by API: the back office's forms, services and rules, answering in JSON."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.utils import timezone
from rest_framework.test import APIClient

from api.actions import url_segment
from api.serializers import ACTION_CHOICES
from routing.actions import ACTIONS
from routing.models import Case, CaseEvent, CaseState
from tests.conftest import Cast, Tree, advance, fresh

Clients = Callable[[User], APIClient]


def act(client: APIClient, case: Case, action: str, **data: Any) -> Any:
    data.setdefault("version", fresh(case).version)
    return client.post(f"/api/v1/cases/{case.pk}/{action.replace('_', '-')}/", data, format="json")


def test_the_api_offers_every_back_office_action_named_as_its_endpoint() -> None:
    assert [name for name, _ in ACTION_CHOICES] == [url_segment(name) for name in ACTIONS]


@pytest.mark.parametrize("state", ["submitted", "in_progress", "pending_approval"])
def test_every_listed_action_can_be_posted_to_by_its_listed_name(
    client_for: Clients, cast: Cast, case: Case, state: str
) -> None:
    case = advance(case, state, cast) if state != "submitted" else case
    offered = [name for name, _ in ACTION_CHOICES]
    tried = 0
    for user in (cast.officer, cast.leader):
        client = client_for(user)
        listed = client.get(f"/api/v1/cases/{case.pk}/").json()["available_actions"]
        for name in listed:
            tried += 1
            assert name in offered
            # An empty body: the action's own endpoint answers that `version` is missing, changing nothing.
            response = client.post(f"/api/v1/cases/{case.pk}/{name}/", {}, format="json")
            assert response.status_code == 400, (state, name)
            assert "version" in response.json()["error"]["fields"], (state, name)
    assert tried


def test_an_officer_accepts_a_case_for_themself(client_for: Clients, cast: Cast, case: Case) -> None:
    response = act(client_for(cast.officer), case, "accept", assignee=cast.officer.pk)
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["state"], body["version"]) == ("in_progress", 2)
    assert body["case"]["assignee"]["username"] == "officer"
    assert fresh(case).assignee == cast.officer


def test_the_forms_rules_apply_an_officer_cannot_assign_someone_else(
    client_for: Clients, cast: Cast, case: Case
) -> None:
    response = act(client_for(cast.officer), case, "accept", assignee=cast.officer2.pk)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_failed"
    assert set(response.json()["error"]["fields"]) == {"assignee"}
    assert fresh(case).state == CaseState.SUBMITTED


def test_a_leader_assigns_an_officer_of_the_unit_but_not_of_another(
    client_for: Clients, cast: Cast, case: Case
) -> None:
    client = client_for(cast.leader)
    assert act(client, case, "accept", assignee=cast.other_officer.pk).status_code == 400
    assert act(client, case, "accept", assignee=cast.officer2.pk).status_code == 200
    assert fresh(case).assignee == cast.officer2


def test_a_stale_version_is_a_conflict_and_changes_nothing(
    client_for: Clients, cast: Cast, case: Case
) -> None:
    response = act(client_for(cast.officer), case, "reject", version=case.version + 5, reason="Ngoài phạm vi")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "conflict"
    assert fresh(case).state == CaseState.SUBMITTED


def test_two_officers_at_once_one_wins_the_other_gets_a_conflict(
    client_for: Clients, cast: Cast, case: Case
) -> None:
    seen = case.version
    first = act(client_for(cast.officer), case, "accept", version=seen, assignee=cast.officer.pk)
    second = act(client_for(cast.officer2), case, "accept", version=seen, assignee=cast.officer2.pk)
    assert (first.status_code, second.status_code) == (200, 409)
    assert second.json()["error"]["code"] == "conflict"
    assert CaseEvent.objects.filter(case=case, kind="accept").count() == 1


def test_an_action_the_state_does_not_allow_is_transition_not_allowed(
    client_for: Clients, cast: Cast, case: Case
) -> None:
    response = act(client_for(cast.officer), case, "approve")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "transition_not_allowed"


def test_an_officer_cannot_do_a_leaders_action(client_for: Clients, cast: Cast, case: Case) -> None:
    case = advance(case, "pending_approval", cast)
    response = act(client_for(cast.officer), case, "approve")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"
    assert act(client_for(cast.leader), case, "approve").status_code == 200
    assert fresh(case).state == CaseState.RESPONDED


def test_a_leader_above_reads_but_cannot_act(client_for: Clients, cast: Cast, case: Case) -> None:
    response = act(client_for(cast.province_leader), case, "reject", reason="Không")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"
    assert fresh(case).state == CaseState.SUBMITTED


def test_escalating_out_of_sight_returns_no_case(
    client_for: Clients, cast: Cast, case: Case, tree: Tree
) -> None:
    response = act(client_for(cast.officer), case, "escalate", reason="Vượt thẩm quyền của phường")
    assert response.status_code == 200
    body = response.json()
    assert body["case"] is None
    assert body["unit"]["code"] == tree.hanoi.code
    assert fresh(case).unit == tree.hanoi


def test_acting_on_a_case_that_just_moved_away_says_so(client_for: Clients, cast: Cast, case: Case) -> None:
    seen = case.version
    act(client_for(cast.officer), case, "escalate", reason="Vượt thẩm quyền")
    response = act(client_for(cast.officer2), case, "reject", version=seen, reason="Ngoài phạm vi")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "conflict"


def test_missing_and_invalid_input_answer_per_field(client_for: Clients, cast: Cast, case: Case) -> None:
    client = client_for(cast.officer)
    response = client.post(f"/api/v1/cases/{case.pk}/reject/", {}, format="json")
    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"version", "reason"}
    case = advance(case, "in_progress", cast)
    past = (timezone.localdate() - dt.timedelta(days=1)).isoformat()
    response = act(client, case, "refer", agency="Sở Xây dựng", due=past)
    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"due"}


def test_a_duplicate_names_the_original_by_tracking_code(
    client_for: Clients, cast: Cast, case: Case, submit: Any
) -> None:
    original = submit(phone="0987 654 321").petition.case
    response = act(client_for(cast.officer), case, "mark_duplicate", original=original.petition.tracking_code)
    assert response.status_code == 200, response.json()
    assert fresh(case).duplicate_of_id == original.pk
    assert response.json()["case"]["duplicate_of"]["tracking_code"] == original.petition.tracking_code


def test_a_leader_extends_once_within_the_limit(client_for: Clients, cast: Cast, case: Case) -> None:
    case = advance(case, "in_progress", cast)
    client = client_for(cast.leader)
    assert act(client, case, "extend", days=99, reason="Cần thêm thời gian").status_code == 400
    assert act(client, case, "extend", days=5, reason="Cần thêm thời gian").status_code == 200
    assert act(client, case, "extend", days=5, reason="Lần nữa").status_code == 409


def test_the_whole_happy_path_by_api(client_for: Clients, cast: Cast, case: Case) -> None:
    officer, leader = client_for(cast.officer), client_for(cast.leader)
    assert act(officer, case, "accept", assignee=cast.officer.pk).status_code == 200
    assert act(officer, case, "submit_response", text="Đã thu gom rác.").status_code == 200
    assert act(leader, case, "send_back", note="Bổ sung thời gian thu gom.").status_code == 200
    assert act(officer, case, "submit_response", text="Đã thu gom rác lúc 7 giờ.").status_code == 200
    assert act(leader, case, "approve").status_code == 200
    assert fresh(case).state == CaseState.RESPONDED
    assert fresh(case).response_text == "Đã thu gom rác lúc 7 giờ."


# --- notes ---------------------------------------------------------------------------------------


def test_staff_of_the_unit_add_internal_and_public_notes(client_for: Clients, cast: Cast, case: Case) -> None:
    client = client_for(cast.officer)
    internal = client.post(f"/api/v1/cases/{case.pk}/notes/", {"text": "Đã gọi điện"}, format="json")
    public = client.post(
        f"/api/v1/cases/{case.pk}/notes/", {"text": "Đang xác minh", "is_public": True}, format="json"
    )
    assert (internal.status_code, public.status_code) == (201, 201)
    assert (internal.json()["is_public"], public.json()["is_public"]) == (False, True)
    assert public.json()["actor"]["username"] == "officer"
    assert fresh(case).version == case.version + 2


def test_a_leader_above_cannot_add_notes(client_for: Clients, cast: Cast, case: Case) -> None:
    response = client_for(cast.province_leader).post(
        f"/api/v1/cases/{case.pk}/notes/", {"text": "x"}, format="json"
    )
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"


@pytest.mark.parametrize("body", [{}, {"text": ""}, {"text": "   "}, {"text": "x" * 5000}])
def test_an_empty_or_long_note_is_refused(
    client_for: Clients, cast: Cast, case: Case, body: dict[str, Any]
) -> None:
    response = client_for(cast.officer).post(f"/api/v1/cases/{case.pk}/notes/", body, format="json")
    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"text"}


@pytest.mark.parametrize(
    ("action", "body", "field"),
    [
        ("reject", {"reason": 0}, "reason"),
        ("reject", {"reason": ["Không thuộc thẩm quyền"]}, "reason"),
        ("accept", {"version": "1"}, "version"),
        ("accept", {"version": 1.0}, "version"),
        ("accept", {"version": True}, "version"),
    ],
)
def test_an_action_takes_only_the_json_types_of_its_schema(
    client_for: Clients, cast: Cast, case: Case, action: str, body: dict[str, Any], field: str
) -> None:
    """``{"reason": 0}`` rejected the case and showed the citizen "0"."""
    data = {"version": case.version, "assignee": cast.officer.pk, **body}
    response = client_for(cast.officer).post(f"/api/v1/cases/{case.pk}/{action}/", data, format="json")
    assert response.status_code == 400, response.json()
    assert set(response.json()["error"]["fields"]) == {field}
    assert fresh(case).state == CaseState.SUBMITTED and fresh(case).version == case.version


def test_a_wrongly_typed_extension_or_due_date_is_refused(
    client_for: Clients, cast: Cast, case: Case
) -> None:
    case = advance(case, "in_progress", cast)
    client = client_for(cast.leader)
    for body in (
        {"days": "5", "reason": "Cần thêm thời gian"},
        {"days": 5.5, "reason": "Cần thêm thời gian"},
    ):
        response = act(client, case, "extend", **body)
        assert response.status_code == 400
        assert response.json()["error"]["fields"] == {"days": ["Hãy gửi một số nguyên."]}
    assert act(client, case, "refer", agency="Sở Xây dựng", due=20261231).status_code == 400
    assert fresh(case).extension_used is False and fresh(case).state == CaseState.IN_PROGRESS


@pytest.mark.parametrize("is_public", [0, 1, "true", "yes", None])
def test_a_note_is_public_only_with_a_json_boolean(
    client_for: Clients, cast: Cast, case: Case, is_public: Any
) -> None:
    response = client_for(cast.officer).post(
        f"/api/v1/cases/{case.pk}/notes/", {"text": "Đã gọi điện", "is_public": is_public}, format="json"
    )
    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"is_public"}
    assert fresh(case).version == case.version
