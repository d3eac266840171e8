"""Reading cases with a staff token: jurisdiction, filters, cursor pages, detail with events and contact."""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from routing import services
from routing.models import Case
from tests.conftest import Cast, Tree, advance, shape

Clients = Callable[[User], APIClient]


def codes(response: Any) -> set[str]:
    assert response.status_code == 200, response.json()
    return {row["tracking_code"] for row in response.json()["results"]}


@pytest.fixture
def spread(submit: Any, tree: Tree) -> dict[str, Case]:
    """One case at Hoàn Kiếm, one at Cửa Nam (same province), one at Bến Thành (another province)."""
    return {
        "hoan_kiem": submit().petition.case,
        "cua_nam": submit(commune=tree.cua_nam).petition.case,
        "ben_thanh": submit(commune=tree.ben_thanh).petition.case,
    }


@pytest.mark.parametrize(
    ("who", "sees"),
    [
        ("officer", {"hoan_kiem"}),
        ("other_officer", {"cua_nam"}),
        ("province_leader", {"hoan_kiem", "cua_nam"}),
        ("province_officer", set()),
        ("other_province_leader", {"ben_thanh"}),
        ("central_officer", {"hoan_kiem", "cua_nam", "ben_thanh"}),
    ],
)
def test_the_list_holds_the_cases_in_the_users_jurisdiction(
    client_for: Clients, cast: Cast, spread: dict[str, Case], who: str, sees: set[str]
) -> None:
    expected = {spread[name].petition.tracking_code for name in sees}
    assert codes(client_for(getattr(cast, who)).get("/api/v1/cases/")) == expected


def test_filters_like_the_inbox(client_for: Clients, cast: Cast, submit: Any, tree: Tree) -> None:
    mine = advance(submit(title="Đèn đường hỏng phố Hàng Gai").petition.case, "in_progress", cast)
    waiting = submit().petition.case
    escalated = submit().petition.case
    services.case_escalate(case_id=escalated.pk, actor=cast.officer, reason="Vượt thẩm quyền")
    shape(waiting, is_overdue=True, submitted_at=timezone.now() - dt.timedelta(days=20))
    client = client_for(cast.province_leader)
    code = {c.pk: c.petition.tracking_code for c in (mine, waiting, escalated)}

    assert codes(client.get("/api/v1/cases/", {"state": "in_progress"})) == {code[mine.pk]}
    assert codes(client.get("/api/v1/cases/?state=in_progress&state=submitted")) == set(code.values())
    assert codes(client.get("/api/v1/cases/", {"level": "province"})) == {code[escalated.pk]}
    assert codes(client.get("/api/v1/cases/", {"unit": "W00070"})) == {code[mine.pk], code[waiting.pk]}
    assert codes(client.get("/api/v1/cases/", {"overdue": "true"})) == {code[waiting.pk]}
    assert codes(client.get("/api/v1/cases/", {"overdue": "false"})) == {code[mine.pk], code[escalated.pk]}
    assert codes(client.get("/api/v1/cases/", {"q": "hàng gai"})) == {code[mine.pk]}
    assert codes(client.get("/api/v1/cases/", {"q": code[waiting.pk].lower()})) == {code[waiting.pk]}
    since = (timezone.localdate() - dt.timedelta(days=5)).isoformat()
    assert codes(client.get("/api/v1/cases/", {"submitted_since": since})) == {
        code[mine.pk],
        code[escalated.pk],
    }
    assert codes(client.get("/api/v1/cases/", {"submitted_until": since})) == {code[waiting.pk]}
    category = mine.petition.category_id
    assert codes(client.get("/api/v1/cases/", {"category": category})) == set(code.values())
    assert codes(client.get("/api/v1/cases/", {"category": category + 1000})) == set()
    officer = client_for(cast.officer)
    assert codes(officer.get("/api/v1/cases/", {"assigned_to_me": "true"})) == {code[mine.pk]}
    assert codes(officer.get("/api/v1/cases/", {"assigned_to_me": "false"})) == {code[waiting.pk]}


def test_bad_filters_are_validation_errors(client_for: Clients, cast: Cast) -> None:
    response = client_for(cast.officer).get("/api/v1/cases/?state=lost&submitted_since=yesterday&unit=%25")
    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"state", "submitted_since", "unit"}


def test_cursor_pages_walk_the_whole_list_newest_first(client_for: Clients, cast: Cast, submit: Any) -> None:
    cases = [submit().petition.case for _ in range(5)]
    client = client_for(cast.officer)
    seen: list[str] = []
    url: str | None = "/api/v1/cases/?page_size=2"
    while url:
        body = client.get(url).json()
        assert len(body["results"]) <= 2
        seen += [row["tracking_code"] for row in body["results"]]
        url = body["next"]
    newest_first = sorted(cases, key=lambda c: (c.submitted_at, c.pk), reverse=True)
    assert seen == [c.petition.tracking_code for c in newest_first]


def test_a_forged_cursor_is_not_found(client_for: Clients, cast: Cast) -> None:
    response = client_for(cast.officer).get("/api/v1/cases/?cursor=forged")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_the_list_costs_the_same_queries_for_3_or_30_cases(
    client_for: Clients, cast: Cast, submit: Any, tree: Tree
) -> None:
    client = client_for(cast.province_leader)
    for _ in range(3):
        advance(submit().petition.case, "in_progress", cast)
    with CaptureQueriesContext(connection) as few:
        assert len(client.get("/api/v1/cases/?page_size=50").json()["results"]) == 3
    for i in range(27):
        commune = tree.cua_nam if i % 2 else tree.hoan_kiem
        case = submit(commune=commune).petition.case
        if commune == tree.hoan_kiem and i % 3 == 0:
            advance(case, "in_progress", cast)  # with an assignee
    with CaptureQueriesContext(connection) as many:
        assert len(client.get("/api/v1/cases/?page_size=50").json()["results"]) == 30
    assert len(many.captured_queries) == len(few.captured_queries)
    # The token (with user, membership and unit) and the page.
    assert len(many.captured_queries) <= 3, [q["sql"] for q in many.captured_queries]


# --- one case -------------------------------------------------------------------------------------


def test_the_detail_has_every_event_internal_ones_too(client_for: Clients, cast: Cast, case: Case) -> None:
    case = advance(case, "pending_approval", cast)
    services.case_add_note(case_id=case.pk, actor=cast.officer, text="Nội bộ", is_public=False)
    body = client_for(cast.officer).get(f"/api/v1/cases/{case.pk}/").json()
    kinds = [(e["kind"], e["is_public"]) for e in body["events"]]
    assert kinds == [
        ("submitted", True),
        ("accept", True),
        ("submit_response", False),
        ("note", False),
    ]
    assert body["events"][-1]["actor"]["username"] == "officer"
    assert body["events"][0]["from_state"] is None
    assert body["response_text"] == "Đã xử lý xong."
    assert body["version"] == case.version + 1


def test_contact_details_only_for_the_handling_unit(client_for: Clients, cast: Cast, submit: Any) -> None:
    case = submit(email="an@example.com", address="12 Hàng Bông").petition.case
    own = client_for(cast.officer).get(f"/api/v1/cases/{case.pk}/").json()
    assert own["handles"] is True
    assert own["contact"] == {
        "name": "Nguyễn Văn An",
        "is_anonymous": False,
        "phone": "+84912345678",
        "email": "an@example.com",
        "address": "12 Hàng Bông",
    }
    above = client_for(cast.province_leader).get(f"/api/v1/cases/{case.pk}/")
    assert above.json()["handles"] is False
    assert above.json()["contact"] is None
    for secret in ("+84912345678", "an@example.com", "12 Hàng Bông"):
        assert secret not in above.content.decode()


def test_available_actions_are_those_of_the_case_desk(client_for: Clients, cast: Cast, case: Case) -> None:
    assert set(client_for(cast.officer).get(f"/api/v1/cases/{case.pk}/").json()["available_actions"]) == {
        "accept",
        "reject",
        "mark-duplicate",
        "escalate",
    }
    assert client_for(cast.province_leader).get(f"/api/v1/cases/{case.pk}/").json()["available_actions"] == []
    leader = set(client_for(cast.leader).get(f"/api/v1/cases/{case.pk}/").json()["available_actions"])
    assert {"transfer", "accept"} <= leader


def test_a_case_id_beyond_64_bits_is_not_found(client_for: Clients, cast: Cast) -> None:
    response = client_for(cast.central_leader).get(f"/api/v1/cases/{2**64}/")
    assert response.status_code == 404


@pytest.mark.parametrize("page_size", ["null", "0", "-1", "101", "2.5", ""])
def test_a_page_size_out_of_range_is_refused_not_ignored(
    client_for: Clients, cast: Cast, page_size: str
) -> None:
    response = client_for(cast.officer).get(f"/api/v1/cases/?page_size={page_size}")
    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"page_size"}


@pytest.mark.parametrize(
    "cursor",
    [
        "forged",
        base64.b64encode(b"p=garbage").decode(),  # a position that is not a date: was a 400 in English
        base64.b64encode(b"o=5&p=2026-01-01+00%3A00%3A00%2B00%3A00").decode(),  # well formed: was a 200
    ],
)
def test_a_cursor_the_api_did_not_give_out_is_not_found_in_the_request_language(
    client_for: Clients, cast: Cast, submit: Any, cursor: str
) -> None:
    submit()
    client = client_for(cast.officer)
    response = client.get("/api/v1/cases/", {"cursor": cursor})
    assert response.status_code == 404
    error = response.json()["error"]
    english = client.get("/api/v1/cases/", {"cursor": cursor}, HTTP_ACCEPT_LANGUAGE="en").json()["error"]
    assert english["message"] == "This cursor is not valid: follow the next or previous address as given."
    assert error["code"] == "not_found" and error["message"] not in ("", english["message"])


def test_the_case_says_how_many_citizens_co_signed_it(client_for: Clients, cast: Cast, case: Case) -> None:
    from petitions.models import Petition

    Petition.objects.filter(pk=case.petition_id).update(cosigner_count=4)
    client = client_for(cast.officer)
    assert client.get(f"/api/v1/cases/{case.pk}/").json()["cosigners"] == 4
    assert [row["cosigners"] for row in client.get("/api/v1/cases/").json()["results"]] == [4]


def test_an_officer_entered_case_says_how_and_when_it_was_received(
    client_for: Clients, cast: Cast, submit: Any
) -> None:
    import datetime as dt

    from petitions.models import Channel
    from petitions.services import Receipt

    received = timezone.now() - dt.timedelta(days=5)
    case = submit(
        channel=Channel.OFFICER,
        entered_by=cast.officer,
        received=Receipt(via="letter", at=received, late_reason="Văn thư chuyển chậm."),
    ).petition.case
    body = client_for(cast.officer).get(f"/api/v1/cases/{case.pk}/").json()
    assert (body["received_via"], body["late_entry_reason"]) == ("letter", "Văn thư chuyển chậm.")
    assert dt.datetime.fromisoformat(body["received_at"]) == received
    web = client_for(cast.officer).get(f"/api/v1/cases/{submit().petition.case.pk}/").json()
    assert (web["received_via"], web["received_at"], web["citizen_due_at"]) == (None, None, None)


def test_a_case_waiting_for_the_citizen_says_until_when(client_for: Clients, cast: Cast, case: Case) -> None:
    advance(case, "awaiting_citizen", cast)
    body = client_for(cast.officer).get(f"/api/v1/cases/{case.pk}/").json()
    assert body["state"] == "awaiting_citizen" and body["citizen_due_at"] is not None
