"""One error format everywhere, in the request's language; rate limits answer 429 in it too."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.utils import translation
from django.utils.translation import gettext
from rest_framework.test import APIClient

from petitions.models import Partner, PartnerKey, Petition
from routing.models import CaseState
from tests.api.test_public_api import VALID
from tests.conftest import Cast


def test_unknown_addresses_under_api_answer_json(api: APIClient, db: Any) -> None:
    for path in ("/api/", "/api/v2/cases/", "/api/v1/cases/not-a-number/", "/api/v1/cases/1/fly/"):
        for method in (api.get, api.post):
            response = method(path)
            assert response.status_code == 404, path
            assert response.json()["error"]["code"] == "not_found"


def test_a_wrong_method_is_405(api: APIClient, db: Any) -> None:
    response = api.delete("/api/v1/categories/")
    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"


def test_a_body_that_is_not_json_is_a_validation_error(api: APIClient, db: Any) -> None:
    response = api.post("/api/v1/petitions/", "{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_failed"


def test_json_nested_a_thousand_levels_deep_is_a_validation_error_not_a_crash(
    api: APIClient, client_for: Any, cast: Any, case: Any
) -> None:
    deep = "[" * 100_000 + "]" * 100_000
    response = api.post("/api/v1/petitions/", deep, content_type="application/json")
    assert response.status_code == 400 and response.json()["error"]["code"] == "validation_failed"
    staff = client_for(cast.officer)
    for path in (f"/api/v1/cases/{case.pk}/notes/", f"/api/v1/cases/{case.pk}/accept/"):
        response = staff.post(path, '{"text": ' + deep + "}", content_type="application/json")
        assert response.status_code == 400 and response.json()["error"]["code"] == "validation_failed"


def test_a_form_body_is_415(api: APIClient, db: Any) -> None:
    response = api.post("/api/v1/petitions/", {"title": "x"})
    assert response.status_code == 415
    assert response.json()["error"]["code"] == "unsupported_media_type"


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "Enter a valid phone number, for example 0912 345 678."),
        ("en-GB,en;q=0.9", "Enter a valid phone number, for example 0912 345 678."),
        ("fr", None),
        ("", None),
    ],
)
def test_accept_language_picks_english_or_the_vietnamese_default(
    api: APIClient, tree: Any, language: str, expected: str | None
) -> None:
    response = api.post(
        "/api/v1/petitions/", {**VALID, "phone": "12"}, format="json", HTTP_ACCEPT_LANGUAGE=language
    )
    message = response.json()["error"]["fields"]["phone"][0]
    vietnamese = api.post("/api/v1/petitions/", {**VALID, "phone": "12"}, format="json").json()
    assert message == (expected or vietnamese["error"]["fields"]["phone"][0])
    assert response["Content-Language"] == ("en" if expected else "vi")


def test_the_site_pages_keep_their_language_from_the_url(client: Any, db: Any) -> None:
    assert client.get("/", HTTP_ACCEPT_LANGUAGE="en")["Content-Language"] == "vi"


# --- rate limits ---------------------------------------------------------------------------------


def test_submissions_per_address_are_limited_like_the_portal(
    api: APIClient, tree: Any, settings: Any
) -> None:
    settings.PORTAL_RATES = {**settings.PORTAL_RATES, "submit_ip": "2/h"}
    assert api.post("/api/v1/petitions/", {}, format="json").status_code == 400
    assert api.post("/api/v1/petitions/", {}, format="json").status_code == 400
    response = api.post("/api/v1/petitions/", VALID, format="json")
    assert response.status_code == 429
    assert response.json()["error"]["code"] == "throttled"
    assert int(response["Retry-After"]) > 0


def test_submissions_per_phone_are_limited(api: APIClient, tree: Any, settings: Any) -> None:
    settings.PORTAL_RATES = {**settings.PORTAL_RATES, "submit_phone": "1/h"}
    assert api.post("/api/v1/petitions/", VALID, format="json").status_code == 201
    same_phone = {**VALID, "phone": "+84 912 345 678", "title": "Một phản ánh khác"}
    assert api.post("/api/v1/petitions/", same_phone, format="json").status_code == 429
    other_phone = {**VALID, "phone": "0987 654 321"}
    assert api.post("/api/v1/petitions/", other_phone, format="json").status_code == 201


def test_failed_tracking_lookups_per_code_are_limited_but_the_right_token_is_not(
    api: APIClient, submit: Any, settings: Any
) -> None:
    settings.PORTAL_RATES = {**settings.PORTAL_RATES, "track_code": "2/h"}
    result = submit()
    url = f"/api/v1/track/{result.petition.tracking_code}/"
    for _ in range(3):
        assert api.get(url, HTTP_X_TRACKING_TOKEN=result.token).status_code == 200
    assert api.get(url, HTTP_X_TRACKING_TOKEN="guess-1").status_code == 404
    assert api.get(url, HTTP_X_TRACKING_TOKEN="guess-2").status_code == 404
    blocked = api.get(url, HTTP_X_TRACKING_TOKEN="guess-3")
    assert blocked.status_code == 429
    assert blocked.json()["error"]["code"] == "throttled"
    # The citizen's app, with the right token, is never locked out by others' guesses (a code is public).
    assert api.get(url, HTTP_X_TRACKING_TOKEN=result.token).status_code == 200


def test_a_code_written_another_way_shares_its_budget_of_guesses(
    api: APIClient, submit: Any, settings: Any
) -> None:
    settings.PORTAL_RATES = {**settings.PORTAL_RATES, "track_code": "2/h"}
    code = submit().petition.tracking_code
    for spelling in (code.replace("-", "."), code.replace("-", "_").lower()):
        assert api.get(f"/api/v1/track/{spelling}/", HTTP_X_TRACKING_TOKEN="guess").status_code == 404
    assert (
        api.get(f"/api/v1/track/{code.replace('-', '')}/", HTTP_X_TRACKING_TOKEN="guess").status_code == 429
    )


def test_tracking_per_address_is_limited(api: APIClient, submit: Any, settings: Any) -> None:
    settings.PORTAL_RATES = {**settings.PORTAL_RATES, "track_ip": "1/h"}
    result = submit()
    url = f"/api/v1/track/{result.petition.tracking_code}/"
    assert api.get(url, HTTP_X_TRACKING_TOKEN=result.token).status_code == 200
    assert api.get(url, HTTP_X_TRACKING_TOKEN=result.token).status_code == 429


def test_each_staff_token_has_its_own_rate(
    client_for: Callable[[User], APIClient], cast: Cast, settings: Any
) -> None:
    settings.API_RATES = {**settings.API_RATES, "staff_user": "2/m"}
    officer, other = client_for(cast.officer), client_for(cast.officer2)
    assert [officer.get("/api/v1/cases/").status_code for _ in range(3)] == [200, 200, 429]
    assert other.get("/api/v1/cases/").status_code == 200
    response = officer.get("/api/v1/me/")
    assert response.status_code == 429
    assert response.json()["error"]["code"] == "throttled"


# --- input the database would choke on -----------------------------------------------------------


def test_ids_and_codes_that_cannot_exist_are_refused_not_crashed(
    api: APIClient, client_for: Callable[[User], APIClient], cast: Cast, case: Any
) -> None:
    huge = "9" * 25
    response = api.post("/api/v1/petitions/", {**VALID, "category": huge, "commune": huge}, format="json")
    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"category", "commune"}
    assert api.get("/api/v1/provinces/P%00/communes/").status_code == 404
    assert api.get("/api/v1/track/PA%00/", HTTP_X_TRACKING_TOKEN="x").status_code == 404
    officer = client_for(cast.leader)
    assert officer.get(f"/api/v1/cases/?category={huge}").status_code == 400
    response = officer.post(
        f"/api/v1/cases/{case.pk}/accept/", {"version": case.version, "assignee": 2**40}, format="json"
    )
    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"assignee"}
    assert officer.post(f"/api/v1/cases/{huge}/accept/", {}, format="json").status_code == 404


# --- idempotent retries and partners' keys ----------------------------------------------------------


def test_a_retry_of_a_filed_petition_is_answered_even_over_the_limits(
    api: APIClient, tree: Any, settings: Any
) -> None:
    settings.PORTAL_RATES = {**settings.PORTAL_RATES, "submit_ip": "1/h", "submit_phone": "1/h"}
    first = api.post("/api/v1/petitions/", VALID, format="json", HTTP_IDEMPOTENCY_KEY="app-7-timeout")
    assert first.status_code == 201
    assert api.post("/api/v1/petitions/", {**VALID, "title": "Khác"}, format="json").status_code == 429
    again = api.post("/api/v1/petitions/", VALID, format="json", HTTP_IDEMPOTENCY_KEY="app-7-timeout")
    assert again.status_code == 200, again.json()
    assert again.json()["tracking_code"] == first.json()["tracking_code"]
    assert (again.json()["created"], again.json()["token"]) == (False, None)
    # The same key does not open a way around the limit: other input is refused, nothing is filed.
    other = api.post(
        "/api/v1/petitions/", {**VALID, "title": "Khác"}, format="json", HTTP_IDEMPOTENCY_KEY="app-7-timeout"
    )
    assert other.status_code == 400
    assert set(other.json()["error"]["fields"]) == {"idempotency_key"}
    fresh_key = api.post("/api/v1/petitions/", VALID, format="json", HTTP_IDEMPOTENCY_KEY="app-7-new")
    assert fresh_key.status_code == 429
    assert Petition.objects.count() == 1


def make_partner_key(name: str, rate_limit: str) -> tuple[Partner, str]:
    partner = Partner.objects.create(name=name, contact_email=f"{name}@example.org", rate_limit=rate_limit)
    raw = PartnerKey.generate()
    key = PartnerKey(partner=partner, label="server")
    key.set_key(raw)
    key.save()
    return partner, raw


def test_a_partner_key_counts_against_the_partners_rate_not_the_address(
    api: APIClient, tree: Any, settings: Any
) -> None:
    settings.PORTAL_RATES = {**settings.PORTAL_RATES, "submit_ip": "1/h", "submit_phone": "100/h"}
    partner, raw = make_partner_key("zalo", "3/h")
    assert api.post("/api/v1/petitions/", VALID, format="json").status_code == 201
    assert api.post("/api/v1/petitions/", {**VALID, "title": "Hai"}, format="json").status_code == 429
    statuses = [
        api.post(
            "/api/v1/petitions/", {**VALID, "title": f"Phản ánh số {n}"}, format="json", HTTP_X_API_KEY=raw
        ).status_code
        for n in range(4)
    ]
    assert statuses == [201, 201, 201, 429]
    assert Petition.objects.filter(partner=partner).count() == 3
    # Another partner from the same address has its own budget.
    _, other = make_partner_key("vneid", "1/h")
    assert api.post("/api/v1/petitions/", VALID, format="json", HTTP_X_API_KEY=other).status_code == 201


def test_tracking_with_a_partner_key_counts_against_the_partner(
    api: APIClient, submit: Any, settings: Any
) -> None:
    settings.PORTAL_RATES = {**settings.PORTAL_RATES, "track_ip": "1/h"}
    _, raw = make_partner_key("zalo", "100/h")
    result = submit()
    url = f"/api/v1/track/{result.petition.tracking_code}/"
    assert api.get(url, HTTP_X_TRACKING_TOKEN=result.token).status_code == 200
    assert api.get(url, HTTP_X_TRACKING_TOKEN=result.token).status_code == 429
    for _ in range(3):
        assert api.get(url, HTTP_X_TRACKING_TOKEN=result.token, HTTP_X_API_KEY=raw).status_code == 200


@pytest.mark.parametrize("path", ["/api/v1/categories/", "/api/v1/petitions/"])
def test_a_partner_key_that_is_not_valid_is_refused(api: APIClient, tree: Any, path: str) -> None:
    partner, raw = make_partner_key("zalo", "100/h")
    partner.is_active = False
    partner.save()
    for key in ("not-a-key", raw):
        response = (
            api.post(path, VALID, format="json", HTTP_X_API_KEY=key)
            if "petitions" in path
            else api.get(path, HTTP_X_API_KEY=key, HTTP_ACCEPT_LANGUAGE="en")
        )
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "not_authenticated"
        assert response["WWW-Authenticate"] == 'ApiKey header="X-API-Key"'
    assert not Petition.objects.exists()


# --- DRF's messages are never shown: ours, in the request's language ----------------------------------


def drf_free(response: Any) -> None:
    text = response.content.decode()
    for english in (
        "Authentication credentials were not provided",
        "Invalid cursor",
        "is not a valid choice",
        "Expected a dictionary",
        "Unsupported media type",
        "Expected available in",
        "Request was throttled",
    ):
        assert english not in text


@pytest.mark.parametrize("language", ["vi", "en"])
def test_drfs_own_errors_answer_with_our_translated_messages(
    api: APIClient,
    client_for: Callable[[User], APIClient],
    cast: Cast,
    tree: Any,
    settings: Any,
    language: str,
) -> None:
    staff = client_for(cast.leader)
    with translation.override(language):
        expected = {
            "no_token": gettext("Send the API token of an active staff member: Authorization: Token <key>."),
            "cursor": gettext("This cursor is not valid: follow the next or previous address as given."),
            "choice": gettext("Choose one of: %(choices)s.") % {"choices": ", ".join(CaseState.values)},
            "not_an_object": gettext("Send a JSON object with the fields of this operation."),
            "form_body": gettext("Send the body as JSON, with Content-Type: application/json."),
        }
    headers = {"HTTP_ACCEPT_LANGUAGE": language}

    response = api.get("/api/v1/me/", **headers)
    assert (response.status_code, response.json()["error"]["message"]) == (401, expected["no_token"])
    drf_free(response)
    response = staff.get("/api/v1/cases/?cursor=bogus", **headers)
    assert (response.status_code, response.json()["error"]["message"]) == (404, expected["cursor"])
    drf_free(response)
    response = staff.get("/api/v1/cases/?state=bogus", **headers)
    assert response.json()["error"]["fields"] == {"state": [expected["choice"]]}
    drf_free(response)
    response = api.post("/api/v1/petitions/", [VALID], format="json", **headers)
    assert response.json()["error"]["fields"] == {"non_field_errors": [expected["not_an_object"]]}
    drf_free(response)
    response = api.post("/api/v1/petitions/", {"title": "x"}, **headers)
    assert (response.status_code, response.json()["error"]["message"]) == (415, expected["form_body"])
    assert response.json()["error"]["code"] == "unsupported_media_type"
    assert response["Content-Language"] == language
    drf_free(response)


@pytest.mark.parametrize("language", ["vi", "en"])
def test_the_429_message_is_one_sentence_in_one_language(
    api: APIClient, tree: Any, settings: Any, language: str
) -> None:
    settings.PORTAL_RATES = {**settings.PORTAL_RATES, "submit_ip": "1/h"}
    api.post("/api/v1/petitions/", {}, format="json")
    response = api.post("/api/v1/petitions/", {}, format="json", HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 429
    wait = int(response["Retry-After"])
    with translation.override(language):
        expected = gettext("Too many requests. Try again in %(seconds)s seconds.") % {"seconds": wait}
    assert response.json()["error"]["message"] == expected
    drf_free(response)


@pytest.mark.parametrize("path", ["/api/v1/petitions/", "/api/v1/cases/1/notes/", "/api/v1/cases/1/accept/"])
def test_every_post_answers_a_form_body_with_415(
    client_for: Callable[[User], APIClient], cast: Cast, case: Any, path: str
) -> None:
    path = path.replace("/1/", f"/{case.pk}/")
    response = client_for(cast.officer).post(path, {"version": "1", "text": "x"})
    assert response.status_code == 415
    assert response.json()["error"]["code"] == "unsupported_media_type"
