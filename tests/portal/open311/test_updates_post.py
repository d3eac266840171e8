"""A citizen's additional information from partners: POST ``servicerequestupdates`` (issue 18).

Sent as FixMyStreet's Open311 client sends it (``perllib/Open311.pm``, ``post_service_request_update``):
form-encoded, with ``api_key``, ``service_request_id``, ``update_id``, ``status``,
``updated_datetime``, ``description``, the writer's name and contact, and ``media_url``s. The answer
carries the new ``update_id``. Only the filing partner may add; the words are the citizen's answer
while the unit waits for one, added information otherwise, and nothing after an end.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import pytest
from django.test import Client

from routing import services
from routing.models import Case, CaseEvent, CaseState, EventKind
from tests.conftest import Cast, advance, fresh
from tests.portal.open311.conftest import BASE, errors, parse, xml_items

URL = f"{BASE}/servicerequestupdates"
FACT = "Rác vẫn còn ở đầu ngõ sáng nay, đã bốc mùi."


def update_data(key: str, code: str, **overrides: Any) -> dict[str, Any]:
    """What FixMyStreet's client posts for a comment by the reporter."""
    data: dict[str, Any] = {
        "api_key": key,
        "jurisdiction_id": "petitions.example.vn",
        "service_request_id": code,
        "update_id": "248",
        "status": "OPEN",
        "updated_datetime": "2026-11-23T08:15:00+07:00",
        "description": FACT,
        "first_name": "Văn An",
        "last_name": "Nguyễn",
        "email": "an.nguyen@example.com",
        "phone": "0912 345 678",
        "media_url": "https://cdn.phoxanh.example/photos/2.jpeg",
    }
    for name, value in overrides.items():
        if value is None:
            data.pop(name, None)
        else:
            data[name] = value
    return data


def post_update(client: Client, data: dict[str, Any], fmt: str = "xml", **headers: Any) -> Any:
    return client.post(
        f"{URL}.{fmt}",
        urlencode(data, doseq=True),
        content_type="application/x-www-form-urlencoded; charset=utf-8",
        headers=headers,
    )


def update_ids(response: Any, fmt: str) -> list[str]:
    data = parse(response, fmt)
    if fmt == "json":
        return [item["update_id"] for item in data]
    assert data.tag == "service_request_updates"
    return [item["update_id"] for item in xml_items(data, "request_update")]


@pytest.fixture
def filed(file_request: Any, cast: Cast) -> Case:
    """A request the partner filed, accepted by the commune's officer."""
    code = file_request()
    return advance(Case.objects.get(petition__tracking_code=code), "in_progress", cast)


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_the_filing_partner_adds_the_citizens_information_and_gets_its_update_id(
    client: Client, filed: Case, api_key: str, partner: Any, fmt: str
) -> None:
    before = fresh(filed)
    response = post_update(client, update_data(api_key, filed.petition.tracking_code), fmt)
    assert response.status_code == 201, response.content
    event = CaseEvent.objects.get(case=filed, kind=EventKind.CITIZEN_INFO)
    assert update_ids(response, fmt) == [str(event.pk)]
    assert (event.note, event.is_public, event.actor_kind) == (FACT, True, "citizen")
    assert event.data["channel"] == "open311" and event.data["partner"] == partner.pk
    assert event.data["media_urls"] == ["https://cdn.phoxanh.example/photos/2.jpeg"]
    after = fresh(filed)
    assert (after.state, after.unit_id, after.due_at) == (before.state, before.unit_id, before.due_at)
    assert after.version == before.version + 1
    # The citizen's words never come back in the public updates.
    listed = parse(client.get(f"{URL}.json", {"api_key": api_key}), "json")
    assert FACT not in [item["description"] for item in listed]


def test_while_the_unit_waits_for_an_answer_the_update_is_the_answer_and_the_case_resumes(
    client: Client, filed: Case, api_key: str, cast: Cast
) -> None:
    services.case_ask_citizen(case_id=filed.pk, actor=cast.officer, question="Rác ở số nhà nào?")
    assert fresh(filed).state == CaseState.AWAITING_CITIZEN
    response = post_update(client, update_data(api_key, filed.petition.tracking_code, description="Số 12."))
    assert response.status_code == 201, response.content
    after = fresh(filed)
    assert after.state == CaseState.IN_PROGRESS and after.citizen_due_at is None
    answer = CaseEvent.objects.get(case=filed, kind=EventKind.CITIZEN_ANSWER)
    assert update_ids(response, "xml") == [str(answer.pk)] and answer.note == "Số 12."
    assert not CaseEvent.objects.filter(case=filed, kind=EventKind.CITIZEN_INFO).exists()


@pytest.mark.parametrize("status", ["CLOSED", "FIXED", "closed"])
def test_a_closed_status_sent_with_the_citizens_words_never_closes_the_case(
    client: Client, filed: Case, api_key: str, status: str
) -> None:
    response = post_update(client, update_data(api_key, filed.petition.tracking_code, status=status))
    assert response.status_code == 201
    assert fresh(filed).state == CaseState.IN_PROGRESS


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_another_partner_may_not_add_to_a_request_it_did_not_file(
    client: Client, filed: Case, other_key: str, fmt: str
) -> None:
    code = filed.petition.tracking_code
    response = post_update(client, update_data(other_key, code), fmt)
    assert response.status_code == 403
    assert errors(response, fmt) == [
        (
            403,
            f"service_request_id {code}: chỉ đối tác đã gửi yêu cầu mới được bổ sung thông tin cho yêu cầu đó.",
        )
    ]
    english = post_update(client, update_data(other_key, code, locale="en"), fmt)
    assert errors(english, fmt) == [
        (403, f"service_request_id {code}: only the partner that filed a request can add to it.")
    ]
    assert fresh(filed).version == filed.version


def test_an_unknown_request_is_a_404_and_a_missing_key_a_403(
    client: Client, filed: Case, api_key: str
) -> None:
    unknown = post_update(client, update_data(api_key, "PA-26-XXXXXX"), "json")
    assert unknown.status_code == 404
    assert errors(unknown, "json") == [(404, "Không tìm thấy service_request_id PA-26-XXXXXX.")]
    keyless = post_update(client, update_data(api_key, filed.petition.tracking_code, api_key=None), "json")
    assert keyless.status_code == 403


@pytest.mark.parametrize("state", ["responded", "closed", "rejected", "withdrawn"])
def test_nothing_is_added_once_the_request_was_answered_or_ended(
    client: Client, file_request: Any, api_key: str, cast: Cast, state: str
) -> None:
    case = advance(Case.objects.get(petition__tracking_code=file_request()), state, cast)
    response = post_update(client, update_data(api_key, case.petition.tracking_code, locale="en"), "json")
    assert response.status_code == 400
    assert errors(response, "json") == [
        (
            400,
            "Information can be added while the petition is being handled, not after it was answered or ended.",
        )
    ]
    vietnamese = post_update(client, update_data(api_key, case.petition.tracking_code), "json")
    assert errors(vietnamese, "json")[0][1].startswith(
        "Chỉ có thể bổ sung thông tin khi phản ánh đang được xử lý"
    )
    assert not CaseEvent.objects.filter(case=case, kind=EventKind.CITIZEN_INFO).exists()


def test_a_retry_with_the_same_update_id_adds_once_and_other_words_under_it_are_refused(
    client: Client, filed: Case, api_key: str
) -> None:
    code = filed.petition.tracking_code
    first = post_update(client, update_data(api_key, code))
    again = post_update(client, update_data(api_key, code))
    assert (first.status_code, again.status_code) == (201, 200)
    assert update_ids(first, "xml") == update_ids(again, "xml")
    assert CaseEvent.objects.filter(case=filed, kind=EventKind.CITIZEN_INFO).count() == 1
    other = post_update(client, update_data(api_key, code, description="Một nội dung khác hẳn."), "json")
    assert other.status_code == 400
    assert errors(other, "json")[0][1].startswith("update_id: ")
    new = post_update(client, update_data(api_key, code, update_id="249", description="Thêm một ý nữa."))
    assert new.status_code == 201
    assert CaseEvent.objects.filter(case=filed, kind=EventKind.CITIZEN_INFO).count() == 2


def test_a_parameter_sent_twice_is_refused_but_media_url_may_repeat(
    client: Client, filed: Case, api_key: str
) -> None:
    code = filed.petition.tracking_code
    twice = post_update(client, update_data(api_key, code, description=[FACT, "Hai lần."]), "json")
    assert twice.status_code == 400
    assert errors(twice, "json") == [(400, "description: chỉ gửi một giá trị, không gửi 2.")]
    photos = ["https://cdn.phoxanh.example/photos/2.jpeg", "https://cdn.phoxanh.example/photos/3.jpeg"]
    many = post_update(client, update_data(api_key, code, media_url=photos))
    assert many.status_code == 201
    assert CaseEvent.objects.get(case=filed, kind=EventKind.CITIZEN_INFO).data["media_urls"] == photos
    assert fresh(filed).state == CaseState.IN_PROGRESS


def test_every_bad_parameter_is_reported_with_its_name(client: Client, filed: Case, api_key: str) -> None:
    data = update_data(
        api_key,
        "",
        description="",
        status="MAYBE",
        updated_datetime="hôm qua",
        media_url=[f"https://cdn.example/{n}.jpg" for n in range(6)],
        locale="en",
    )
    response = post_update(client, data, "json")
    assert response.status_code == 400
    names = [description.split(":")[0] for _code, description in errors(response, "json")]
    assert names == ["media_url", "service_request_id", "description", "status", "updated_datetime"]
    bad_link = post_update(
        client, update_data(api_key, filed.petition.tracking_code, media_url="javascript:alert(1)"), "json"
    )
    assert bad_link.status_code == 400
    assert errors(bad_link, "json")[0][1].startswith("media_url: ")
    assert fresh(filed).version == filed.version


def test_an_update_written_by_someone_else_than_the_citizen_is_refused_and_spends_nothing(
    client: Client, filed: Case, api_key: str, settings: Any
) -> None:
    settings.PORTAL_RATES = {**settings.PORTAL_RATES, "add_info_code": "2/d"}
    code = filed.petition.tracking_code
    stranger = update_data(api_key, code, email="hang.xom@example.com", phone="0987 654 321")
    for _ in range(3):
        response = post_update(client, stranger, "json")
        assert response.status_code == 403
    assert errors(response, "json")[0][1].startswith("Chỉ người dân đã gửi phản ánh này")
    assert not CaseEvent.objects.filter(case=filed, kind=EventKind.CITIZEN_INFO).exists()
    # The citizen's own phone, written otherwise, or no contact at all (the partner vouches): taken,
    # within the citizen's whole allowance.
    same_phone = update_data(api_key, code, email="moi@example.com", phone="+84912345678", update_id="250")
    assert post_update(client, same_phone, "json").status_code == 201
    vouched = update_data(api_key, code, email=None, phone=None, update_id="251", description="Thêm ý.")
    assert post_update(client, vouched, "json").status_code == 201
    third = update_data(api_key, code, email=None, phone=None, update_id="252", description="Ý thứ ba.")
    assert post_update(client, third, "json").status_code == 429


def test_added_information_is_limited_per_request_but_retries_and_answers_are_not(
    client: Client, filed: Case, api_key: str, cast: Cast, settings: Any
) -> None:
    settings.PORTAL_RATES = {**settings.PORTAL_RATES, "add_info_code": "2/d"}
    code = filed.petition.tracking_code
    for n in range(2):
        assert (
            post_update(
                client, update_data(api_key, code, update_id=str(n), description=f"Ý thứ {n}.")
            ).status_code
            == 201
        )
    over = post_update(client, update_data(api_key, code, update_id="9", description="Ý thứ ba."), "json")
    assert over.status_code == 429 and int(over["Retry-After"]) > 0
    assert errors(over, "json")[0][1].startswith("service_request_id: ")
    retry = post_update(client, update_data(api_key, code, update_id="0", description="Ý thứ 0."))
    assert retry.status_code == 200
    services.case_ask_citizen(case_id=filed.pk, actor=cast.officer, question="Ở số nhà nào?")
    answer = post_update(client, update_data(api_key, code, update_id="10", description="Số 12."))
    assert answer.status_code == 201
    assert fresh(filed).state == CaseState.IN_PROGRESS


def test_a_json_body_is_refused_as_not_form_encoded(client: Client, filed: Case, api_key: str) -> None:
    response = client.post(
        f"{URL}.json", update_data(api_key, filed.petition.tracking_code), content_type="application/json"
    )
    assert response.status_code == 415


def test_other_methods_are_refused_naming_both(client: Client, db: Any) -> None:
    response = client.put(f"{URL}.json")
    assert response.status_code == 405 and response["Allow"] == "GET, POST"


def test_the_handling_unit_sees_the_links_a_partner_sent_and_another_unit_does_not(
    client: Client, filed: Case, api_key: str, cast: Cast
) -> None:
    assert post_update(client, update_data(api_key, filed.petition.tracking_code)).status_code == 201
    link = "https://cdn.phoxanh.example/photos/2.jpeg"
    desk = f"/office/cases/{filed.pk}/"
    officer = Client()
    officer.force_login(cast.officer)
    page = officer.get(desk).content.decode()
    assert f'href="{link}" rel="noopener noreferrer nofollow"' in page
    leader_above = Client()
    leader_above.force_login(cast.province_leader)
    above = leader_above.get(desk)
    assert above.status_code == 200 and link not in above.content.decode()  # read-only, no personal links
