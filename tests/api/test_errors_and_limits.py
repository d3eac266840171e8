"""One error format everywhere, in the request's language; rate limits answer 429 in it too."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from rest_framework.test import APIClient

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
    assert api.get(url, HTTP_X_TRACKING_TOKEN="guess-3").status_code == 429
    blocked = api.get(url, HTTP_X_TRACKING_TOKEN=result.token)
    assert blocked.status_code == 429
    assert blocked.json()["error"]["code"] == "throttled"


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
