"""Rate limits on submission, tracking lookups and feedback: a translated 429 page, nothing written."""

from __future__ import annotations

from django.urls import reverse

from petitions.models import Petition
from portal.forms import sign_started
from routing.models import CaseState
from tests.conftest import advance


def _submission(tree, category, phone="0912 345 678", **overrides):
    return overrides | {
        "category": str(category.pk),
        "province": tree.hanoi.code,
        "commune": tree.hoan_kiem.code,
        "title": overrides.get("title", "Cống thoát nước bị tắc"),
        "text": "Cống thoát nước trước số 5 bị tắc, mưa xuống là ngập.",
        "submitter_name": "Lê Thị Hoa",
        "phone": phone,
        "started": sign_started(),
    }


def test_submissions_are_limited_per_phone_number(client, tree, category, settings):
    settings.PORTAL_RATES = {**settings.PORTAL_RATES, "submit_phone": "2/h"}
    for n in range(2):  # two different petitions (the same one twice would be a repeat)
        assert (
            client.post("/submit/", _submission(tree, category, title=f"Phản ánh số {n}")).status_code == 302
        )
    # The same number in another format is the same phone.
    response = client.post(
        "/en/submit/", _submission(tree, category, phone="+84912345678", title="Phản ánh số 3")
    )
    assert response.status_code == 429
    assert "Too many attempts" in response.content.decode()
    assert Petition.objects.count() == 2
    # Another phone from the same address still gets through.
    assert client.post("/submit/", _submission(tree, category, phone="0987 654 321")).status_code == 302


def test_submissions_are_limited_per_client_address(client, tree, category, settings):
    settings.PORTAL_RATES = {**settings.PORTAL_RATES, "submit_ip": "1/h"}
    assert client.post("/submit/", _submission(tree, category)).status_code == 302
    response = client.post("/submit/", _submission(tree, category, phone="0987 654 321"))
    assert response.status_code == 429
    assert "Quá nhiều lần thử" in response.content.decode()
    assert Petition.objects.count() == 1
    # Reading the form is never limited.
    assert client.get("/submit/").status_code == 200


def test_tracking_lookups_are_limited_per_code(client, case, settings):
    settings.PORTAL_RATES = {**settings.PORTAL_RATES, "track_code": "3/h"}
    code = case.petition.tracking_code
    for phone in ("0900000001", "0900000002", "0900000003"):
        assert client.post("/track/", {"code": code, "phone": phone}).status_code == 404
    # Even the right phone is refused once the code was guessed at too often: the page says why, for
    # how long, and the two ways in that remain (the SMS link, "My petitions").
    response = client.post("/en/track/", {"code": code, "phone": "0912345678"})
    assert response.status_code == 429 and int(response["Retry-After"]) > 0
    page = response.content.decode()
    assert "This tracking code was tried many times" in page and "/en/my/" in page


def test_a_code_written_another_way_shares_its_budget(client, case, settings):
    """The look-up reads ``PA.26.X``, ``pa_26_x`` and ``PA26X`` as one code: so does the limit."""
    settings.PORTAL_RATES = {**settings.PORTAL_RATES, "track_code": "3/h"}
    code = case.petition.tracking_code
    spellings = (code.replace("-", "."), code.replace("-", "_").lower(), code.replace("-", ""))
    for spelling, phone in zip(spellings, ("0900000001", "0900000002", "0900000003"), strict=True):
        assert client.post("/track/", {"code": spelling, "phone": phone}).status_code == 404
    assert client.post("/track/", {"code": f" {code} ", "phone": "0912345678"}).status_code == 429


def test_tracking_lookups_are_limited_per_client_address(client, case, settings):
    settings.PORTAL_RATES = {**settings.PORTAL_RATES, "track_ip": "2/h"}
    for n in range(2):
        client.post("/track/", {"code": f"PA-26-AAAAA{n}", "phone": "0912345678"})
    assert client.post("/track/", {"code": "PA-26-AAAAAZ", "phone": "0912345678"}).status_code == 429


def test_feedback_is_limited(client, case, cast, settings):
    settings.PORTAL_RATES = {**settings.PORTAL_RATES, "feedback_ip": "1/h"}
    advance(case, CaseState.RESPONDED, cast)
    client.post("/track/", {"code": case.petition.tracking_code, "phone": "0912345678"})
    url = reverse("portal:portal-feedback", args=[case.petition.tracking_code])
    assert client.post(url, {"resolved": "no", "rating": "2"}).status_code == 400
    assert client.post(url, {"resolved": "yes", "rating": "5"}).status_code == 429
