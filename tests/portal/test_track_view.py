"""Tracking a petition: by code + phone, by the secret link; the case page, photos, feedback and withdrawal."""

from __future__ import annotations

import datetime as dt
import io
import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from petitions.attachments import attachment_stage
from routing import services
from routing.models import CaseState
from tests.conftest import advance, fresh, shape


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
    assert case.petition.title not in client.get(_case_url(case)).content.decode()


def test_the_secret_link_grants_access_and_a_wrong_one_does_not(client, submit):
    result = submit()
    response = client.get(f"/t/{result.token}/")
    assert response.status_code == 302
    assert client.get(response["Location"]).status_code == 200

    stranger = Client()
    assert stranger.get(f"/t/{result.token}x/").status_code == 404
    assert result.petition.title not in stranger.get(response["Location"]).content.decode()


def test_the_case_page_needs_a_grant(client, case):
    body = client.get(_case_url(case)).content.decode()
    assert case.petition.title not in body and 'name="phone"' in body
    live = reverse("portal:portal-case-live", args=[case.petition.tracking_code])
    assert client.get(live).status_code == 404


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
    assert "Tell us what is still wrong." in response.content.decode()
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


# --- issue 16: what the tracking link allows after the case ends, and without a grant -------


def test_the_tracking_page_in_a_new_browser_asks_for_the_phone_with_the_code_filled_in(client, case):
    code = case.petition.tracking_code
    response = client.get("/en" + _case_url(case))
    assert response.status_code == 200
    body = response.content.decode()
    assert "enter the phone number you gave" in body
    assert f'value="{code}"' in body and 'name="phone"' in body
    assert f'action="{reverse("portal:portal-track")}"' in body
    assert case.petition.title not in body
    # The phone number opens it, through the look-up and its limits.
    response = client.post("/track/", {"code": code, "phone": "0912345678"})
    assert response["Location"].endswith(_case_url(case))
    assert case.petition.title in client.get(_case_url(case)).content.decode()


def test_the_phone_form_does_not_tell_whether_a_code_exists(client, case):
    real = client.get(_case_url(case))
    made_up = client.get(reverse("portal:portal-case", args=["PA-26-ZZZZZZ"]))
    assert real.status_code == made_up.status_code == 200

    def shown(response: Any, code: str) -> str:
        body = response.content.decode().replace(code, "CODE")
        return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", body)

    assert shown(real, case.petition.tracking_code) == shown(made_up, "PA-26-ZZZZZZ")


def test_the_phone_form_on_the_tracking_page_keeps_the_per_code_limit(client, case, settings):
    settings.PORTAL_RATES = {**settings.PORTAL_RATES, "track_code": "2/h"}
    code = case.petition.tracking_code
    assert client.get(_case_url(case)).status_code == 200
    for phone in ("0900000001", "0900000002"):
        assert client.post("/track/", {"code": code, "phone": phone}).status_code == 404
    assert client.post("/track/", {"code": code, "phone": "0912345678"}).status_code == 429


def test_withdrawal_is_not_offered_or_accepted_once_the_response_is_published(client, case, cast):
    advance(case, CaseState.RESPONDED, cast)
    _follow(client, case)
    body = client.get(_case_url(case)).content.decode()
    assert reverse("portal:portal-withdraw", args=[case.petition.tracking_code]) not in body
    assert reverse("portal:portal-feedback", args=[case.petition.tracking_code]) in body
    response = client.post(
        "/en" + reverse("portal:portal-withdraw", args=[case.petition.tracking_code]),
        {"reason": "Thôi", "confirm": "on"},
    )
    assert response.status_code == 400
    assert "not possible" in response.content.decode()
    assert fresh(case).state == CaseState.RESPONDED


def test_feedback_is_not_offered_after_the_feedback_window(client, case, cast):
    from routing.models import Case

    advance(case, CaseState.RESPONDED, cast)
    Case.objects.filter(pk=case.pk).update(feedback_due_at=timezone.now() - dt.timedelta(minutes=1))
    _follow(client, case)
    body = client.get(_case_url(case)).content.decode()
    assert reverse("portal:portal-feedback", args=[case.petition.tracking_code]) not in body
    response = client.post(
        reverse("portal:portal-feedback", args=[case.petition.tracking_code]),
        {"resolved": "yes", "rating": "5"},
    )
    assert response.status_code == 400
    assert "Đã hết thời hạn đánh giá câu trả lời này." in response.content.decode()
    assert fresh(case).state == CaseState.RESPONDED


@pytest.mark.parametrize("state", [CaseState.CLOSED, CaseState.WITHDRAWN, CaseState.REJECTED])
def test_an_ended_case_is_read_only_on_its_page(client, case, cast, state):
    advance(case, state, cast)
    _follow(client, case)
    response = client.get("/en" + _case_url(case))
    body = response.content.decode()
    assert "nothing can be changed any more" in body
    code = case.petition.tracking_code
    for url in ("portal-withdraw", "portal-feedback", "portal-sms-updates"):
        assert reverse(f"portal:{url}", args=[code]) not in body, url
    # Nor does the settings form accept a change sent anyway.
    response = client.post(f"/en/track/{code}/sms/", {"sms": "off"}, follow=True)
    assert "no more updates are sent" in response.content.decode()
    assert fresh(case).petition.sms_opt_out is False


def _photo_case(submit: Any) -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (10, 120, 30)).save(buffer, "PNG")
    upload = SimpleUploadedFile("a.png", buffer.getvalue(), content_type="image/png")
    staged = attachment_stage(upload=upload, session_key="s1")
    result = submit(
        attachment_tokens=[staged.upload_token],
        session_key="s1",
        address="12 Hàng Bông",
        text="Cống tràn nước ra đường. Gọi tôi: 0912 345 678.",
    )
    return result, staged


def test_past_the_retention_period_the_link_shows_no_photos_or_personal_data_and_says_why(
    client, submit, cast, settings
):
    settings.RETENTION_DAYS = 30
    result, staged = _photo_case(submit)
    case = advance(result.petition.case, CaseState.WITHDRAWN, cast)
    code = case.petition.tracking_code
    client.get(f"/t/{result.token}/")
    photo_url = reverse("portal:portal-photo", args=[code, staged.pk, "thumb"])
    body = client.get(_case_url(case)).content.decode()
    assert photo_url in body and "12 Hàng Bông" in body  # within the period: still shown

    shape(case, closed_at=timezone.now() - dt.timedelta(days=31))  # the nightly job has not run yet
    response = client.get("/en" + _case_url(case))
    assert response.status_code == 200
    body = response.content.decode()
    assert "data-retention rule" in body and "30 days" in body
    assert photo_url not in body and "12 Hàng Bông" not in body
    assert "0912 345 678" not in body and "ending in 678" not in body
    assert case.petition.title in body  # the record itself stays readable
    assert client.get(photo_url).status_code == 404


def test_a_closed_case_within_the_retention_period_still_shows_its_photos(client, submit, cast):
    result, staged = _photo_case(submit)
    case = advance(result.petition.case, CaseState.CLOSED, cast)
    client.get(f"/t/{result.token}/")
    url = reverse("portal:portal-photo", args=[case.petition.tracking_code, staged.pk, "thumb"])
    assert url in client.get(_case_url(case)).content.decode()
    assert client.get(url).status_code == 200


# --- issue 16: every error at once, and words -----------------------------------------------


def test_the_rating_form_reports_every_missing_answer_at_once(client, case, cast):
    advance(case, CaseState.RESPONDED, cast)
    _follow(client, case)
    url = "/en" + reverse("portal:portal-feedback", args=[case.petition.tracking_code])
    body = client.post(url, {"resolved": "no"}).content.decode()
    assert "Choose a rating from 1 to 5." in body
    assert "Tell us what is still wrong." in body
    assert fresh(case).state == CaseState.RESPONDED


def test_an_error_summary_does_not_double_the_punctuation_of_a_label(client, case):
    _follow(client, case)
    url = reverse("portal:portal-withdraw", args=[case.petition.tracking_code])
    body = client.post(url, {"reason": ""}).content.decode()
    assert "hoàn tác.:" not in body
    assert "Thao tác này không thể hoàn tác. " in body


def test_a_special_zone_is_not_called_a_commune_or_ward(client, submit, tree, cast):
    from routing.models import Level, Unit

    danang = Unit.objects.create(
        code="P48", name="Thành phố Đà Nẵng", level=Level.PROVINCE, parent=tree.central
    )
    hoang_sa = Unit.objects.create(
        code="W20333", name="Đặc khu Hoàng Sa", level=Level.COMMUNE, parent=danang, division_type="đặc khu"
    )
    result = submit(commune=hoang_sa.pk)
    client.get(f"/t/{result.token}/")
    url = _case_url(result.petition.case)
    body = client.get(url).content.decode()
    assert "Đặc khu Hoàng Sa" in body and "Xã/phường" not in body
    assert "Đặc khu Hoàng Sa (special zone)" in client.get("/en" + url).content.decode()
