"""The citizen's words through the JSON API: ``POST /api/v1/track/{code}/additions/`` (issue 18).

With the petition's tracking token (the citizen's app) or the key of the partner that filed it: the
answer while the unit waits for one (the case returns to the officer), added information otherwise,
refused once the petition was answered or ended; idempotent on Idempotency-Key; limited per petition
like the portal's "add information".
"""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from petitions.models import Channel, Partner, PartnerKey
from routing import services
from routing.models import CaseEvent, CaseState, EventKind
from tests.conftest import Cast, advance, fresh

FACT = "Nước vẫn ngập sâu 40 cm sáng nay, xe máy không đi qua được."


def partner_with_key(name: str) -> tuple[Partner, str]:
    partner = Partner.objects.create(name=name, contact_email="dev@example.com", rate_limit="1000/h")
    raw = PartnerKey.generate()
    key = PartnerKey(partner=partner)
    key.set_key(raw)
    key.save()
    return partner, raw


def add(api: APIClient, code: str, body: Any, **headers: str) -> Any:
    return api.post(f"/api/v1/track/{code}/additions/", body, format="json", headers=headers)


@pytest.fixture
def filed(submit: Any, cast: Cast) -> Any:
    """A petition being handled at Hoàn Kiếm, filed through the API (its token kept)."""
    result = submit(channel=Channel.API)
    advance(result.petition.case, "in_progress", cast)
    return result


def test_the_citizens_app_adds_information_with_the_tracking_token(api: APIClient, filed: Any) -> None:
    case = filed.petition.case
    before = fresh(case)
    links = ["https://cdn.phoxanh.example/photos/2.jpg"]
    response = add(api, filed.petition.tracking_code, {"text": FACT, "media_urls": links}, **token(filed))
    assert response.status_code == 201, response.json()
    body = response.json()
    event = CaseEvent.objects.get(case=case, kind=EventKind.CITIZEN_INFO)
    assert (body["id"], body["kind"], body["created"], body["state"]) == (
        event.pk,
        "citizen_info",
        True,
        "in_progress",
    )
    assert body["version"] == before.version + 1 == fresh(case).version
    assert (event.note, event.actor_kind, event.data["channel"], event.data["media_urls"]) == (
        FACT,
        "citizen",
        "api",
        links,
    )
    after = fresh(case)
    assert (after.state, after.unit_id, after.due_at) == (before.state, before.unit_id, before.due_at)
    # It is on the citizen's timeline.
    timeline = api.get(
        f"/api/v1/track/{filed.petition.tracking_code}/", **{"HTTP_X_TRACKING_TOKEN": filed.token}
    )
    assert timeline.json()["timeline"][-1]["note"] == FACT


def token(filed: Any) -> dict[str, str]:
    return {"X-Tracking-Token": filed.token}


def test_while_the_unit_waits_the_addition_is_the_answer_and_the_case_returns_to_in_progress(
    api: APIClient, filed: Any, cast: Cast
) -> None:
    case = filed.petition.case
    services.case_ask_citizen(case_id=case.pk, actor=cast.officer, question="Ngập ở số nhà nào?")
    response = add(api, filed.petition.tracking_code, {"text": "Số 12 Hàng Bông."}, **token(filed))
    assert response.status_code == 201
    assert (response.json()["kind"], response.json()["state"]) == ("citizen_answered", "in_progress")
    assert fresh(case).state == CaseState.IN_PROGRESS


def test_the_partner_that_filed_adds_with_its_key_and_another_partner_finds_nothing(
    api: APIClient, submit: Any, cast: Cast
) -> None:
    partner, key = partner_with_key("Ứng dụng Phố Xanh")
    _other, other_key = partner_with_key("Cổng dịch vụ Tỉnh")
    result = submit(channel=Channel.OPEN311, partner=partner)
    code = result.petition.tracking_code
    advance(result.petition.case, "in_progress", cast)
    refused = add(api, code, {"text": FACT}, **{"X-API-Key": other_key})
    assert refused.status_code == 404 and refused.json()["error"]["code"] == "not_found"
    response = add(api, code, {"text": FACT}, **{"X-API-Key": key})
    assert response.status_code == 201
    assert CaseEvent.objects.get(kind=EventKind.CITIZEN_INFO).data["partner"] == partner.pk


def test_without_the_token_or_with_a_wrong_one_nothing_is_found(api: APIClient, filed: Any) -> None:
    code = filed.petition.tracking_code
    for headers in ({}, {"X-Tracking-Token": "sai"}, {"Authorization": "Token nope"}):
        response = add(api, code, {"text": FACT}, **headers)
        assert response.status_code == 404, headers
    assert add(api, "PA-26-XXXXXX", {"text": FACT}, **token(filed)).status_code == 404
    assert not CaseEvent.objects.filter(kind=EventKind.CITIZEN_INFO).exists()


@pytest.mark.parametrize("state", ["responded", "closed", "rejected", "withdrawn"])
def test_an_answered_or_ended_petition_takes_nothing(
    api: APIClient, submit: Any, cast: Cast, state: str
) -> None:
    result = submit()
    advance(result.petition.case, state, cast)
    response = add(
        api, result.petition.tracking_code, {"text": FACT}, **token(result), **{"Accept-Language": "en"}
    )
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {
        "non_field_errors": [
            "Information can be added while the petition is being handled, not after it was answered or ended."
        ]
    }


def test_a_retry_with_the_same_idempotency_key_adds_once(api: APIClient, filed: Any) -> None:
    code = filed.petition.tracking_code
    headers = {**token(filed), "Idempotency-Key": "2f1c-0001"}
    first = add(api, code, {"text": FACT}, **headers)
    again = add(api, code, {"text": FACT}, **headers)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"] and again.json()["created"] is False
    assert CaseEvent.objects.filter(kind=EventKind.CITIZEN_INFO).count() == 1
    other = add(api, code, {"text": "Nội dung khác."}, **headers)
    assert other.status_code == 400 and list(other.json()["error"]["fields"]) == ["idempotency_key"]
    too_long = add(api, code, {"text": FACT}, **{**token(filed), "Idempotency-Key": "k" * 81})
    assert too_long.status_code == 400 and list(too_long.json()["error"]["fields"]) == ["idempotency_key"]


def test_added_information_is_limited_per_petition_but_a_retry_is_answered(
    api: APIClient, filed: Any, settings: Any
) -> None:
    settings.PORTAL_RATES = {**settings.PORTAL_RATES, "add_info_code": "2/d"}
    code = filed.petition.tracking_code
    for n in range(2):
        headers = {**token(filed), "Idempotency-Key": f"k{n}"}
        assert add(api, code, {"text": f"Ý thứ {n}."}, **headers).status_code == 201
    over = add(api, code, {"text": "Ý thứ ba."}, **token(filed))
    assert over.status_code == 429 and over.json()["error"]["code"] == "throttled"
    assert int(over["Retry-After"]) > 0
    retry = add(api, code, {"text": "Ý thứ 0."}, **{**token(filed), "Idempotency-Key": "k0"})
    assert retry.status_code == 200


def test_bad_input_is_refused_per_field_in_the_requests_language(api: APIClient, filed: Any) -> None:
    code = filed.petition.tracking_code
    cases = [
        ({"text": "   "}, "text"),
        ({"text": 12}, "text"),
        ({"text": FACT, "media_urls": ["javascript:alert(1)"]}, "media_urls"),
        ({"text": FACT, "media_urls": "https://a.example/1.jpg"}, "media_urls"),
        ({"text": FACT, "media_urls": [f"https://a.example/{n}.jpg" for n in range(6)]}, "media_urls"),
    ]
    for body, field in cases:
        response = add(api, code, body, **token(filed))
        assert response.status_code == 400, body
        assert list(response.json()["error"]["fields"]) == [field], body
    vietnamese = add(api, code, {"text": "   "}, **token(filed)).json()["error"]["message"]
    english = add(api, code, {"text": "   "}, **token(filed), **{"Accept-Language": "en"}).json()["error"]
    assert english["message"] == "Some of the input is not valid. See the messages per field."
    assert vietnamese != english["message"]
    assert not CaseEvent.objects.filter(kind=EventKind.CITIZEN_INFO).exists()
