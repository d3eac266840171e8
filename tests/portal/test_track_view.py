"""Tracking a petition: by code + phone, by the secret link; the case page, photos, feedback and withdrawal."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from PIL import Image

from petitions.attachments import attachment_stage
from routing import services
from routing.models import CaseState
from tests.conftest import advance, fresh


def _case_url(case: Any) -> str:
    return reverse("portal:portal-case", args=[case.petition.tracking_code])


def _follow(client: Client, case: Any) -> None:
    """Prove this browser may follow the case, as the citizen does with code + phone."""
    response = client.post("/track/", {"code": case.petition.tracking_code, "phone": "0912345678"})
    assert response.status_code == 302


def test_code_and_phone_in_any_format_open_the_case(client, case):
    response = client.post(
        "/track/", {"code": case.petition.tracking_code.lower(), "phone": "+84 912 345 678"}
    )
    assert response.status_code == 302
    assert response["Location"].endswith(_case_url(case))
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert case.petition.title in page.content.decode()


@pytest.mark.parametrize("wrong", ["code", "phone"])
def test_a_wrong_code_or_phone_gets_one_neutral_message(client, case, wrong):
    data = {"code": case.petition.tracking_code, "phone": "0912345678"}
    data[wrong] = "PA-26-ZZZZZZ" if wrong == "code" else "0987654321"
    response = client.post("/en/track/", data)
    assert response.status_code == 404
    assert "We could not find a petition with this code and phone number." in response.content.decode()
    assert client.get(_case_url(case)).status_code == 404


def test_the_secret_link_grants_access_and_a_wrong_one_does_not(client, submit):
    result = submit()
    response = client.get(f"/t/{result.token}/")
    assert response.status_code == 302
    assert client.get(response["Location"]).status_code == 200

    stranger = Client()
    assert stranger.get(f"/t/{result.token}x/").status_code == 404
    assert stranger.get(response["Location"]).status_code == 404


def test_the_case_page_needs_a_grant(client, case):
    assert client.get(_case_url(case)).status_code == 404


def test_the_timeline_shows_public_events_and_hides_internal_notes(client, case, cast):
    services.case_accept(case_id=case.pk, actor=cast.officer)
    services.case_add_note(case_id=case.pk, actor=cast.officer, text="Ghi chú nội bộ bí mật", is_public=False)
    services.case_add_note(
        case_id=case.pk, actor=cast.officer, text="Chúng tôi sẽ kiểm tra tại chỗ.", is_public=True
    )
    _follow(client, case)
    body = client.get(_case_url(case)).content.decode()
    assert "Chúng tôi sẽ kiểm tra tại chỗ." in body
    assert "Ghi chú nội bộ bí mật" not in body
    assert "Phường Hoàn Kiếm" in body
    # The citizen's own contact details are not repeated on the page.
    assert "+84912345678" not in body


def test_the_response_appears_once_published(client, case, cast):
    services.case_accept(case_id=case.pk, actor=cast.officer)
    services.case_submit_response(case_id=case.pk, actor=cast.officer, text="Đã thay bóng đèn mới.")
    _follow(client, case)
    assert "Đã thay bóng đèn mới." not in client.get(_case_url(case)).content.decode()
    services.case_approve(case_id=case.pk, actor=cast.leader)
    assert "Đã thay bóng đèn mới." in client.get(_case_url(case)).content.decode()


def test_case_page_query_count_is_bounded(client, case, cast, django_assert_max_num_queries):
    advance(case, CaseState.RESPONDED, cast)
    for n in range(5):
        services.case_add_note(case_id=case.pk, actor=cast.officer, text=f"Cập nhật {n}", is_public=True)
    _follow(client, case)
    with django_assert_max_num_queries(8):
        response = client.get(_case_url(case))
    assert response.status_code == 200


def test_satisfied_feedback_closes_the_case(client, case, cast):
    advance(case, CaseState.RESPONDED, cast)
    _follow(client, case)
    response = client.post(
        reverse("portal:portal-feedback", args=[case.petition.tracking_code]),
        {"resolved": "yes", "rating": "5", "comment": ""},
    )
    assert response.status_code == 302
    closed = fresh(case)
    assert closed.state == CaseState.CLOSED and closed.rating == 5


def test_unsatisfied_feedback_needs_a_comment_then_reopens(client, case, cast):
    advance(case, CaseState.RESPONDED, cast)
    _follow(client, case)
    url = reverse("portal:portal-feedback", args=[case.petition.tracking_code])
    response = client.post("/en" + url, {"resolved": "no", "rating": "2", "comment": ""})
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    assert fresh(case).state == CaseState.RESPONDED
    response = client.post(url, {"resolved": "no", "rating": "2", "comment": "Đèn vẫn chưa sáng."})
    assert response.status_code == 302
    assert fresh(case).state == CaseState.IN_PROGRESS


def test_feedback_before_a_response_is_refused_clearly(client, case):
    _follow(client, case)
    response = client.post(
        "/en" + reverse("portal:portal-feedback", args=[case.petition.tracking_code]),
        {"resolved": "yes", "rating": "5"},
    )
    assert response.status_code == 400
    assert "not possible" in response.content.decode()
    assert fresh(case).state == CaseState.SUBMITTED


def test_feedback_needs_the_grant(client, case, cast):
    advance(case, CaseState.RESPONDED, cast)
    response = client.post(
        reverse("portal:portal-feedback", args=[case.petition.tracking_code]),
        {"resolved": "yes", "rating": "5"},
    )
    assert response.status_code == 404
    assert fresh(case).state == CaseState.RESPONDED


def test_withdrawal_needs_confirmation(client, case):
    _follow(client, case)
    url = reverse("portal:portal-withdraw", args=[case.petition.tracking_code])
    response = client.post("/en" + url, {"reason": "Đã tự giải quyết"})
    assert response.status_code == 400
    assert "Tick the box to confirm." in response.content.decode()
    assert fresh(case).state == CaseState.SUBMITTED
    response = client.post(url, {"reason": "Đã tự giải quyết", "confirm": "on"})
    assert response.status_code == 302
    assert fresh(case).state == CaseState.WITHDRAWN


def test_photos_are_served_only_to_a_browser_that_follows_the_case(client, submit, settings):
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (10, 120, 30)).save(buffer, "PNG")
    buffer.seek(0)
    buffer.name = "a.png"
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("a.png", buffer.getvalue(), content_type="image/png")
    staged = attachment_stage(upload=upload, session_key="s1")
    result = submit(attachment_tokens=[staged.upload_token], session_key="s1")
    code = result.petition.tracking_code
    url = reverse("portal:portal-photo", args=[code, staged.pk, "thumb"])

    assert Client().get(url).status_code == 404
    client.get(f"/t/{result.token}/")
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert "private" in response["Cache-Control"]
    assert client.get(reverse("portal:portal-photo", args=[code, staged.pk, "huge"])).status_code == 404
