"""Public endpoints: reference data, filing a petition (same intake, same validation) and following it."""

from __future__ import annotations

import datetime as dt
from typing import Any

from rest_framework.test import APIClient

from notifications.texts import receipt
from notifications.transports.sms import LocmemSmsBackend
from petitions.models import Channel, Partner, PartnerKey, Petition
from routing import services
from routing.models import Case
from tests.conftest import Cast, Tree, advance

VALID = {
    "category": "environment",
    "commune": "W00070",
    "phone": "0912 345 678",
    "submitter_name": "Nguyễn Văn An",
    "title": "Rác thải ùn ứ trên phố Hàng Bông",
    "text": "Rác thải sinh hoạt không được thu gom ba ngày nay, gây mùi hôi.",
}


def file(api: APIClient, **extra: Any) -> Any:
    headers = {key: extra.pop(key) for key in list(extra) if key.startswith("HTTP_")}
    return api.post("/api/v1/petitions/", {**VALID, **extra}, format="json", **headers)


# --- reference data -------------------------------------------------------------------------------


def test_categories_are_listed_in_the_requested_language(api: APIClient, db: Any) -> None:
    vi = {c["code"]: c for c in api.get("/api/v1/categories/").json()}
    en = {c["code"]: c for c in api.get("/api/v1/categories/", HTTP_ACCEPT_LANGUAGE="en").json()}
    assert vi["environment"]["name"] == vi["environment"]["name_vi"]
    assert en["environment"]["name"] == en["environment"]["name_en"] != vi["environment"]["name"]


def test_provinces_then_their_communes(api: APIClient, tree: Tree) -> None:
    provinces = api.get("/api/v1/provinces/").json()
    assert [p["code"] for p in provinces] == ["P01", "P79"]
    communes = api.get("/api/v1/provinces/P01/communes/").json()
    assert {c["code"] for c in communes} == {"W00070", "W00073"}
    assert {c["province_code"] for c in communes} == {"P01"}


def test_communes_of_an_unknown_province_are_not_found(api: APIClient, tree: Tree) -> None:
    response = api.get("/api/v1/provinces/W00070/communes/")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


# --- filing ------------------------------------------------------------------------------------------


def test_a_petition_filed_by_api_gets_a_code_a_token_and_a_case(api: APIClient, tree: Tree) -> None:
    response = file(api)
    assert response.status_code == 201, response.json()
    body = response.json()
    petition = Petition.objects.get(tracking_code=body["tracking_code"])
    assert petition.channel == Channel.API
    assert petition.phone == "+84912345678"
    assert petition.check_token(body["token"])
    assert body["tracking_url"].endswith(f"/t/{body['token']}/")
    assert body["created"] is True
    assert body["state"] == "submitted"
    assert body["unit"] == {"name": "Phường Hoàn Kiếm", "level": "commune"}


def test_the_filing_answer_is_what_its_documented_serializer_writes(api: APIClient, tree: Tree) -> None:
    from api.serializers import SubmissionSerializer

    for response in (file(api, HTTP_IDEMPOTENCY_KEY="doc-1"), file(api, HTTP_IDEMPOTENCY_KEY="doc-1")):
        body = response.json()
        assert body == SubmissionSerializer(body).data
        case = Case.objects.get(petition__tracking_code=body["tracking_code"])
        assert body["triage_due_at"].endswith("+07:00")  # the site's time, as DRF writes it
        assert dt.datetime.fromisoformat(body["submitted_at"]) == case.petition.submitted_at


def test_filing_reads_the_database_only_to_write(
    api: APIClient, tree: Tree, django_assert_num_queries: Any
) -> None:
    file(api, HTTP_IDEMPOTENCY_KEY="warm")  # reference data read once per process
    # The key, then the petition, case, event and receipt: no category, commune, policy or second
    # key read, no savepoint around the insert. (The test's own transaction makes the service's a
    # savepoint: two statements here that production spends as BEGIN and COMMIT.)
    with django_assert_num_queries(7):
        assert file(api, HTTP_IDEMPOTENCY_KEY="counted", phone="0987 654 321").status_code == 201


def test_accept_language_chooses_the_answers_language_not_the_citizens(
    api: APIClient, tree: Tree, django_capture_on_commit_callbacks: Any, settings: Any
) -> None:
    """A partner's server sending Accept-Language: en must not text Vietnamese citizens in English."""
    settings.PUBLIC_BASE_URL = "https://gopy.example.vn"  # the link is the same in the request and here
    with django_capture_on_commit_callbacks(execute=True):
        response = file(api, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 201
    assert response["Content-Language"] == "en"
    body = response.json()
    petition = Petition.objects.get(tracking_code=body["tracking_code"])
    assert petition.language == "vi"
    assert "/en/t/" not in body["tracking_url"]
    sms = LocmemSmsBackend.outbox[-1].body
    assert sms == receipt(code=petition.tracking_code, token=body["token"], language="vi").sms
    assert sms != receipt(code=petition.tracking_code, token=body["token"], language="en").sms


def test_the_citizens_language_is_the_language_field(api: APIClient, tree: Tree) -> None:
    body = file(api, language="en").json()
    petition = Petition.objects.get(tracking_code=body["tracking_code"])
    assert petition.language == "en"
    assert "/en/t/" in body["tracking_url"]
    response = file(api, language="fr", title="Một phản ánh khác")
    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"language"}


def test_every_fields_problem_is_reported_in_one_answer_in_the_portals_words(
    api: APIClient, tree: Tree
) -> None:
    response = api.post(
        "/api/v1/petitions/",
        {"title": "", "category": "nope", "phone": "12", "text": "x"},
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    fields = response.json()["error"]["fields"]
    assert fields == {
        "category": ["Choose a category."],
        "commune": ["Choose a commune, ward or special zone from the list."],
        "submitter_name": ["Enter your name."],
        "phone": ["Enter a valid phone number, for example 0912 345 678."],
        "title": ["Give your petition a short title."],
        "text": ["Describe the matter in at least 10 characters."],
    }


def test_too_long_and_badly_shaped_values_get_the_services_messages(api: APIClient, tree: Tree) -> None:
    response = file(api, title="t" * 201, category="not a code!", HTTP_ACCEPT_LANGUAGE="en")
    fields = response.json()["error"]["fields"]
    assert fields == {
        "title": ["At most 200 characters (you wrote 201)."],
        "category": ["Choose a category."],
    }


def test_the_intake_services_validation_answers_per_field(api: APIClient, tree: Tree) -> None:
    response = file(api, category="no-such-topic", phone="12", commune="W26743", province="P01")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "validation_failed"
    assert set(error["fields"]) == {"category", "phone", "commune"}
    assert error["fields"]["commune"] == ["Xã/phường này không thuộc tỉnh/thành phố đã chọn."]
    assert not Petition.objects.exists()


def test_validation_messages_follow_accept_language(api: APIClient, tree: Tree) -> None:
    vi = file(api, phone="12").json()["error"]["fields"]["phone"]
    en = file(api, phone="12", HTTP_ACCEPT_LANGUAGE="en").json()["error"]["fields"]["phone"]
    assert en == ["Enter a valid phone number, for example 0912 345 678."]
    assert vi != en


def test_input_of_the_wrong_json_type_is_answered_first(api: APIClient, tree: Tree) -> None:
    response = api.post(
        "/api/v1/petitions/",
        {"title": ["not", "text"], "latitude": "north", "is_anonymous": "perhaps"},
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {
        "title": ["Send text."],
        "latitude": ["Send a number."],
        "is_anonymous": ["Send true or false."],
    }
    assert not Petition.objects.exists()


def test_values_that_only_look_like_the_right_type_are_refused(api: APIClient, tree: Tree) -> None:
    """A JSON body is typed: ``0`` is not text, ``"true"`` and ``1`` are not booleans, ``"21.0"`` not a number."""
    response = api.post(
        "/api/v1/petitions/",
        {
            **VALID,
            "title": 0,
            "phone": 912345678,
            "commune": 70,
            "latitude": "21.0",
            "consent_publish": "true",
            "is_anonymous": 1,
        },
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {
        "title": ["Send text."],
        "phone": ["Send text."],
        "commune": ["Send text."],
        "latitude": ["Send a number."],
        "consent_publish": ["Send true or false."],
        "is_anonymous": ["Send true or false."],
    }
    assert not Petition.objects.exists()


def test_communes_and_provinces_by_their_national_codes(api: APIClient, tree: Tree) -> None:
    assert {c["code"] for c in api.get("/api/v1/provinces/01/communes/").json()} == {"W00070", "W00073"}
    assert api.get("/api/v1/provinces/1/communes/").status_code == 200
    assert [c["code"] for c in api.get("/api/v1/provinces/79/communes/").json()] == ["W26743"]
    assert api.get("/api/v1/provinces/02/communes/").status_code == 404
    body = file(api, commune="00070", province="01").json()
    assert Petition.objects.get(tracking_code=body["tracking_code"]).commune.code == "W00070"
    wrong = file(api, commune="00070", province="79", title="Một phản ánh khác")
    assert set(wrong.json()["error"]["fields"]) == {"commune"}
    unknown = file(api, commune="09999", title="Một phản ánh nữa")
    assert set(unknown.json()["error"]["fields"]) == {"commune"}
    # Without a leading zero a number is still an id, as before.
    by_id = file(api, commune=str(tree.cua_nam.pk), title="Phản ánh theo mã số")
    assert Petition.objects.get(tracking_code=by_id.json()["tracking_code"]).commune == tree.cua_nam


def test_a_retry_with_the_same_idempotency_key_returns_the_first_petition(api: APIClient, tree: Tree) -> None:
    first = file(api, HTTP_IDEMPOTENCY_KEY="app-42-retry")
    again = file(api, HTTP_IDEMPOTENCY_KEY="app-42-retry")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["tracking_code"] == first.json()["tracking_code"]
    assert again.json()["token"] is None and again.json()["created"] is False
    assert Petition.objects.count() == 1


def test_two_partners_and_an_anonymous_app_may_use_the_same_idempotency_key(
    api: APIClient, tree: Tree
) -> None:
    keys = []
    for name in ("Phố Xanh", "Hà Nội Sạch"):
        partner = Partner.objects.create(name=name, contact_email="dev@example.vn", rate_limit="100/h")
        raw = PartnerKey.generate()
        key = PartnerKey(partner=partner)
        key.set_key(raw)
        key.save()
        keys.append(raw)
    codes = set()
    for api_key in (*keys, None):
        headers = {"HTTP_X_API_KEY": api_key} if api_key else {}
        response = file(api, HTTP_IDEMPOTENCY_KEY="7d3c-uuid", **headers)
        assert response.status_code == 201, response.json()
        codes.add(response.json()["tracking_code"])
        # Each one's retry finds its own petition.
        again = file(api, HTTP_IDEMPOTENCY_KEY="7d3c-uuid", **headers)
        assert (again.status_code, again.json()["tracking_code"]) == (200, response.json()["tracking_code"])
    assert len(codes) == Petition.objects.count() == 3


def test_the_same_idempotency_key_with_other_input_is_refused(api: APIClient, tree: Tree) -> None:
    file(api, HTTP_IDEMPOTENCY_KEY="app-42-retry")
    response = file(api, title="Một tiêu đề khác hẳn", HTTP_IDEMPOTENCY_KEY="app-42-retry")
    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"idempotency_key"}
    assert Petition.objects.count() == 1


def test_filing_needs_no_csrf_token_and_ignores_an_authorization_header(tree: Tree) -> None:
    api = APIClient(enforce_csrf_checks=True)
    api.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    assert file(api).status_code == 201


# --- following -------------------------------------------------------------------------------------


def track(api: APIClient, code: str, token: str | None) -> Any:
    headers = {"HTTP_X_TRACKING_TOKEN": token} if token is not None else {}
    return api.get(f"/api/v1/track/{code}/", **headers)


def test_the_citizen_follows_the_petition_with_code_and_token(
    api: APIClient, submit: Any, cast: Cast
) -> None:
    result = submit()
    case = advance(result.petition.case, "in_progress", cast)
    services.case_add_note(
        case_id=case.pk, actor=cast.officer, text="Đã liên hệ công ty môi trường.", is_public=True
    )
    services.case_add_note(
        case_id=case.pk, actor=cast.officer, text="Nội bộ: người dân hay gọi.", is_public=False
    )
    body = track(api, result.petition.tracking_code, result.token).json()
    assert body["state"] == "in_progress"
    assert body["status"].startswith("Phường Hoàn Kiếm")
    assert [entry["kind"] for entry in body["timeline"]] == ["submitted", "accept", "note"]
    assert body["timeline"][-1]["note"] == "Đã liên hệ công ty môi trường."
    assert body["response"] is None


def test_tracking_shows_nothing_internal(api: APIClient, submit: Any, cast: Cast) -> None:
    result = submit(email="an@example.com", address="12 Hàng Bông")
    case = advance(result.petition.case, "pending_approval", cast)
    services.case_add_note(case_id=case.pk, actor=cast.officer, text="Ghi chú nội bộ", is_public=False)
    response = track(api, result.petition.tracking_code, result.token)
    text = response.content.decode()
    for secret in (
        "Ghi chú nội bộ",
        "Đã xử lý xong.",
        "+84912345678",
        "an@example.com",
        cast.officer.username,
    ):
        assert secret not in text
    assert "submit_response" not in {entry["kind"] for entry in response.json()["timeline"]}


def test_tracking_shows_the_published_response(api: APIClient, submit: Any, cast: Cast) -> None:
    result = submit()
    advance(result.petition.case, "responded", cast)
    body = track(api, result.petition.tracking_code.lower().replace("-", " "), result.token).json()
    assert body["response"]["text"] == "Đã xử lý xong."
    assert body["response"]["unit"] == "Phường Hoàn Kiếm"


def test_a_duplicate_shows_the_petition_it_joined(api: APIClient, submit: Any, cast: Cast) -> None:
    result = submit()
    advance(result.petition.case, "duplicate", cast)
    body = track(api, result.petition.tracking_code, result.token).json()
    original = Case.objects.get(pk=result.petition.case.pk).duplicate_of
    assert body["original"]["tracking_code"] == original.petition.tracking_code


def test_a_wrong_token_or_code_is_not_found_either_way(api: APIClient, submit: Any) -> None:
    result = submit()
    other = submit(phone="0987 654 321")
    for code, token in (
        (result.petition.tracking_code, other.token),
        (result.petition.tracking_code, ""),
        (result.petition.tracking_code, None),
        ("PA-26-ZZZZZZ", result.token),
    ):
        response = track(api, code, token)
        assert response.status_code == 404
        assert response.json() == {
            "error": {"code": "not_found", "message": response.json()["error"]["message"]}
        }


def test_the_token_in_the_query_string_is_not_accepted(api: APIClient, submit: Any) -> None:
    result = submit()
    response = api.get(f"/api/v1/track/{result.petition.tracking_code}/?token={result.token}")
    assert response.status_code == 404


def test_past_the_retention_period_tracking_shows_no_personal_data(
    api: APIClient, submit: Any, cast: Cast, settings: Any
) -> None:
    """The tracking page's rule (docs/architecture.md) holds for the API's tracking too."""
    import datetime as dt

    from django.utils import timezone

    from routing.actors import CitizenActor
    from tests.conftest import shape

    settings.RETENTION_DAYS = 30
    result = submit(text="Gọi tôi qua số 0912 345 678 hoặc an.nguyen@example.com, rác ùn ứ ba ngày.")
    case = services.case_withdraw(
        case_id=result.petition.case.pk,
        actor=CitizenActor(petition_id=result.petition.pk),
        reason="Tôi đã tự liên hệ được, gọi 0912 345 678 nếu cần.",
    )
    url = f"/api/v1/track/{result.petition.tracking_code}/"
    within = api.get(url, HTTP_X_TRACKING_TOKEN=result.token).json()
    assert "0912 345 678" in within["text"]
    assert any(entry["note"] for entry in within["timeline"])  # the citizen's reason for withdrawing

    shape(case, closed_at=timezone.now() - dt.timedelta(days=31))  # the nightly job has not run yet
    past = api.get(url, HTTP_X_TRACKING_TOKEN=result.token).json()
    assert "0912 345 678" not in past["text"] and "an.nguyen@example.com" not in past["text"]
    assert "rác ùn ứ ba ngày" in past["text"]  # the record itself stays readable
    assert not any(entry["note"] for entry in past["timeline"])
