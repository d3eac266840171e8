"""A leader edits an officer's draft and approves it in one step (issue 18).

The citizen reads the final text; the officer's draft and the leader's changes stay in the internal
timeline; a text with template placeholders is refused and changes nothing; only a leader of the
handling unit may do it, by the desk or by the API.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.urls import reverse
from rest_framework.test import APIClient

from routing import services
from routing.errors import CaseActionForbidden
from routing.models import Case, CaseEvent, CaseState, EventKind
from tests.conftest import Cast, advance, fresh

DRAFT = "Đã sửa xong đèn đường."
FINAL = "Đơn vị đã sửa xong đèn đường ở ngõ 12 ngày 5/12. Cảm ơn ông đã phản ánh."


@pytest.fixture
def drafted(case: Case, cast: Cast) -> Case:
    advance(case, "in_progress", cast)
    services.case_submit_response(case_id=case.pk, actor=cast.officer, text=DRAFT)
    return fresh(case)


def test_the_leader_edits_and_approves_in_one_step_and_the_draft_stays_internal(
    drafted: Case, cast: Cast
) -> None:
    case = services.case_approve(case_id=drafted.pk, actor=cast.leader, text=f"  {FINAL}\n")
    assert case.state == CaseState.RESPONDED and case.response_text == FINAL
    assert case.version == drafted.version + 1
    edit, approve = CaseEvent.objects.filter(case=case).order_by("-id")[:2][::-1]
    assert (edit.kind, edit.is_public, edit.actor) == (EventKind.RESPONSE_EDITED, False, cast.leader)
    assert edit.data == {"draft": DRAFT, "final": FINAL, "drafted_by": cast.officer.pk}
    assert (edit.from_state, edit.to_state) == (CaseState.PENDING_APPROVAL, CaseState.PENDING_APPROVAL)
    assert (approve.kind, approve.is_public) == (EventKind.APPROVE, True)
    assert approve.case_version == edit.case_version == case.version


@pytest.mark.parametrize("text", [None, "", DRAFT, f"{DRAFT}  "])
def test_approving_the_draft_as_written_records_no_edit(drafted: Case, cast: Cast, text: str | None) -> None:
    case = services.case_approve(case_id=drafted.pk, actor=cast.leader, text=text)
    assert case.response_text == DRAFT
    assert not CaseEvent.objects.filter(case=case, kind=EventKind.RESPONSE_EDITED).exists()


def test_an_edit_with_placeholders_is_refused_and_changes_nothing(drafted: Case, cast: Cast) -> None:
    with pytest.raises(ValidationError) as refused:
        services.case_approve(case_id=drafted.pk, actor=cast.leader, text="Đã chuyển đến [cơ quan].")
    assert "text" in refused.value.message_dict and "[cơ quan]" in refused.value.message_dict["text"][0]
    after = fresh(drafted)
    assert (after.state, after.response_text, after.version) == (
        CaseState.PENDING_APPROVAL,
        DRAFT,
        drafted.version,
    )


def test_an_officer_or_another_units_leader_cannot_edit_and_approve(drafted: Case, cast: Cast) -> None:
    for who in (cast.officer, cast.other_commune_leader, cast.province_leader):
        with pytest.raises(CaseActionForbidden):
            services.case_approve(case_id=drafted.pk, actor=who, text=FINAL)
    assert fresh(drafted).response_text == DRAFT


def test_the_citizen_sees_the_final_text_and_never_the_draft(drafted: Case, cast: Cast, client: Any) -> None:
    services.case_approve(case_id=drafted.pk, actor=cast.leader, text=FINAL)
    from routing.selectors import case_public_events  # the events a citizen may read

    kinds = [event.kind for event in case_public_events(fresh(drafted))]
    assert EventKind.RESPONSE_EDITED not in kinds and EventKind.APPROVE in kinds


# --- the desk ---------------------------------------------------------------------------------


def _act(client: Any, case: Case, action: str, **fields: Any) -> Any:
    data = {f"{action}-{k}": v for k, v in fields.items()}
    data.setdefault(f"{action}-version", str(fresh(case).version))
    return client.post(reverse("backoffice:backoffice-case-act", args=[case.pk, action]), data)


def test_the_desk_offers_the_draft_to_edit_and_shows_the_changes_in_the_timeline(
    client: Any, drafted: Case, cast: Cast
) -> None:
    client.force_login(cast.leader)
    desk = client.get(reverse("backoffice:backoffice-case", args=[drafted.pk])).content.decode()
    assert 'name="approve-text"' in desk and f"{DRAFT}</textarea>" in desk
    assert _act(client, drafted, "approve", text=FINAL).status_code == 302
    assert fresh(drafted).response_text == FINAL
    desk = client.get(reverse("backoffice:backoffice-case", args=[drafted.pk])).content.decode()
    assert "Lãnh đạo đã sửa dự thảo" in desk
    assert "<del>" in desk and "<ins>" in desk and "đã thêm:" in desk


def test_the_desk_refuses_placeholders_in_the_edit_keeping_what_the_leader_wrote(
    client: Any, drafted: Case, cast: Cast
) -> None:
    client.force_login(cast.leader)
    response = _act(client, drafted, "approve", text="Đã chuyển đến [cơ quan].")
    assert response.status_code == 400
    body = response.content.decode()
    assert "[cơ quan]" in body and 'open id="action-approve"' in body
    assert fresh(drafted).state == CaseState.PENDING_APPROVAL


def test_the_desk_refuses_another_units_leader(client: Any, drafted: Case, cast: Cast) -> None:
    client.force_login(cast.other_commune_leader)
    assert _act(client, drafted, "approve", text=FINAL).status_code == 404
    assert fresh(drafted).response_text == DRAFT


# --- the API ----------------------------------------------------------------------------------


def client_for(user: User) -> APIClient:
    from rest_framework.authtoken.models import Token

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    return client


def test_the_api_approves_with_the_leaders_text(drafted: Case, cast: Cast) -> None:
    url = f"/api/v1/cases/{drafted.pk}/approve/"
    refused = client_for(cast.leader).post(url, {"version": drafted.version, "text": 0}, format="json")
    assert refused.status_code == 400 and "text" in refused.json()["error"]["fields"]
    response = client_for(cast.leader).post(url, {"version": drafted.version, "text": FINAL}, format="json")
    assert response.status_code == 200, response.json()
    assert fresh(drafted).response_text == FINAL
    other = client_for(cast.other_commune_leader).post(url, {"version": 99, "text": DRAFT}, format="json")
    assert other.status_code in (403, 404)


def test_the_desk_warns_that_a_published_petitions_response_will_be_public(
    client: Any, submit: Any, cast: Cast
) -> None:
    warning = (
        'role="note"><strong>Public:</strong> Its citizen agreed to publication: this text will be shown'
    )

    public = advance(submit(consent_publish=True).petition.case, "pending_approval", cast)
    private = advance(submit(title="Không công khai").petition.case, "pending_approval", cast)
    client.force_login(cast.leader)
    assert (
        warning
        in client.get("/en" + reverse("backoffice:backoffice-case", args=[public.pk])).content.decode()
    )
    assert (
        warning
        not in client.get("/en" + reverse("backoffice:backoffice-case", args=[private.pk])).content.decode()
    )


def test_the_officers_draft_is_kept_in_the_internal_timeline(drafted: Case, cast: Cast) -> None:
    draft = CaseEvent.objects.get(case=drafted, kind=EventKind.SUBMIT_RESPONSE)
    assert draft.note == fresh(drafted).response_text and not draft.is_public
