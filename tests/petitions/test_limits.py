"""One budget per phone and per tracking code, whichever interface and whichever spelling is used."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from rest_framework.test import APIClient

from petitions.limits import phone_rate_key, tracking_code_rate_key
from petitions.models import Partner, PartnerKey, Petition
from portal.forms import sign_started
from tests.api.test_public_api import VALID


def _portal_form(tree: Any, category: Any, phone: str, title: str) -> dict[str, str]:
    return {
        "category": str(category.pk),
        "province": tree.hanoi.code,
        "commune": tree.hoan_kiem.code,
        "title": title,
        "text": "Cống thoát nước trước số 5 bị tắc, mưa xuống là ngập.",
        "submitter_name": "Lê Thị Hoa",
        "phone": phone,
        "started": sign_started(),
    }


def _open311_form(tree: Any, phone: str) -> str:
    partner = Partner.objects.create(
        name="Phố Xanh", contact_email="dev@phoxanh.example", rate_limit="1000/h"
    )
    raw = PartnerKey.generate()
    key = PartnerKey(partner=partner)
    key.set_key(raw)
    key.save()
    return urlencode(
        {
            "api_key": raw,
            "jurisdiction_id": "petitions.example.vn",
            "address_string": "12 Hàng Bông",
            "service_code": "environment",
            "attribute[commune]": tree.hoan_kiem.code,
            "phone": phone,
            "first_name": "An",
            "last_name": "Nguyễn",
            "description": "Rác thải sinh hoạt không được thu gom ba ngày nay trên phố Hàng Bông.",
        }
    )


def test_every_spelling_of_a_phone_is_one_key() -> None:
    spellings = ("0912 345 678", "+84 912 345 678", "0912.345.678", " 84912345678 ", "(+84) 912-345-678")
    assert {phone_rate_key(spelling) for spelling in spellings} == {"+84912345678"}


def test_a_value_that_is_not_a_phone_is_not_counted(
    client: Any, tree: Any, category: Any, settings: Any
) -> None:
    """The service refuses it and sends nothing: the citizen sees that error, not "too many"."""
    assert phone_rate_key("12 34") is phone_rate_key("9" * 10_000) is phone_rate_key(None) is None
    settings.PORTAL_RATES = {**settings.PORTAL_RATES, "submit_phone": "1/h"}
    for title in ("Một", "Hai"):
        response = client.post("/submit/", _portal_form(tree, category, "12", title))
        assert response.status_code == 400 and "0912 345 678" in response.content.decode()


def test_every_spelling_of_a_code_is_one_key() -> None:
    spellings = ("PA-26-7KQ3M9", "pa.26.7kq3m9", "PA_26_7KQ3M9", " PA267KQ3M9 ", "pa 26 7kq3m9")
    assert {tracking_code_rate_key(spelling) for spelling in spellings} == {"PA-26-7KQ3M9"}
    assert len(tracking_code_rate_key("X" * 10_000)) == 16


def test_a_phone_has_one_budget_across_the_portal_the_api_and_open311(
    client: Any, tree: Any, category: Any, settings: Any
) -> None:
    settings.PORTAL_RATES = {**settings.PORTAL_RATES, "submit_phone": "2/h"}
    assert (
        client.post("/submit/", _portal_form(tree, category, "0912 345 678", "Cống tắc")).status_code == 302
    )
    api = APIClient()
    assert (
        api.post("/api/v1/petitions/", {**VALID, "phone": "+84912345678"}, format="json").status_code == 201
    )

    # The third petition for this phone is refused, whichever interface it comes through.
    assert api.post("/api/v1/petitions/", {**VALID, "title": "Lần ba"}, format="json").status_code == 429
    open311 = client.post(
        "/open311/v2/requests.json",
        _open311_form(tree, "84 912 345 678"),
        content_type="application/x-www-form-urlencoded",
    )
    assert open311.status_code == 429
    portal = client.post("/submit/", _portal_form(tree, category, "0912.345.678", "Lần bốn"))
    assert portal.status_code == 429
    assert Petition.objects.count() == 2


def test_a_code_has_one_budget_of_guesses_across_the_portal_and_the_api(
    client: Any, case: Any, settings: Any
) -> None:
    settings.PORTAL_RATES = {**settings.PORTAL_RATES, "track_code": "2/h"}
    code = case.petition.tracking_code
    api = APIClient()
    assert client.post("/track/", {"code": code.replace("-", "."), "phone": "0900000001"}).status_code == 404
    assert api.get(f"/api/v1/track/{code}/", HTTP_X_TRACKING_TOKEN="guess").status_code == 404
    # Both budgets were one: the portal's next guess, in yet another spelling, is refused.
    assert client.post("/track/", {"code": code.replace("-", ""), "phone": "0900000002"}).status_code == 429
    assert api.get(f"/api/v1/track/{code.lower()}/", HTTP_X_TRACKING_TOKEN="guess").status_code == 429


def test_guesses_on_the_portal_never_lock_the_citizens_app_out(
    client: Any, submit: Any, settings: Any
) -> None:
    """A tracking code is public (Open311 lists it): the right token must still be answered."""
    settings.PORTAL_RATES = {**settings.PORTAL_RATES, "track_code": "2/h"}
    result = submit()
    code = result.petition.tracking_code
    for n in range(5):
        client.post("/track/", {"code": code, "phone": f"090000000{n}"})
    api = APIClient()
    assert api.get(f"/api/v1/track/{code}/", HTTP_X_TRACKING_TOKEN=result.token).status_code == 200
    assert api.get(f"/api/v1/track/{code}/", HTTP_X_TRACKING_TOKEN="guess").status_code == 429
