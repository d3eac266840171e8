"""Published petitions' public pages and co-signing them with an SMS code, without JavaScript."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.urls import reverse

from notifications.models import Notification
from notifications.transports.sms import LocmemSmsBackend
from petitions.models import CoSigner, Petition, PhoneChallenge
from routing import services
from tests.conftest import advance
from tests.petitions.test_cosign import accepted


def page_url(petition: Petition, name: str = "portal-petition") -> str:
    return reverse(f"portal:{name}", kwargs={"code": petition.tracking_code})


def code_sent(to: str) -> str:
    codes = {
        f"notification-{pk}"
        for pk in Notification.objects.filter(template="phone_code").values_list("pk", flat=True)
    }
    sms = [m for m in LocmemSmsBackend.outbox if m.to == to and m.reference in codes][-1]
    [code] = re.findall(r"\b\d{6}\b", sms.body)
    return code


@pytest.fixture
def published(submit: Any) -> Petition:
    return accepted(
        submit(consent_publish=True, text="Rác ùn ứ ba ngày nay. Gọi tôi: 0912 345 678 hoặc an@example.vn.")
    )


def test_a_citizen_cosigns_a_published_petition_with_an_sms_code(
    client: Any, published: Petition, django_capture_on_commit_callbacks: Any
) -> None:
    page = client.get(page_url(published)).content.decode()
    assert published.title in page and "0 người dân cùng gặp vấn đề này" in page
    assert 'name="notify"' in page and 'name="phone"' in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            page_url(published, "portal-cosign"), {"phone": "0987 654 321", "notify": "on"}
        )
    assert response.status_code == 302 and response["Location"].endswith("#cosign")
    page = client.get(page_url(published)).content.decode()
    assert "đuôi 321" in page and 'autocomplete="one-time-code"' in page
    response = client.post(page_url(published, "portal-cosign-confirm"), {"code": code_sent("+84987654321")})
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "Cảm ơn bạn" in page and "1 người dân cùng gặp vấn đề này" in page
    assert "Bạn đã cùng kiến nghị phản ánh này." in page and 'name="phone"' not in page
    [row] = CoSigner.objects.all()
    assert (row.petition_id, row.phone, row.notify) == (published.pk, "+84987654321", True)
    # The public page shows no phone number, the filer's, the co-signer's, or one written in the text.
    for digits in ("0912", "345 678", "987", "654 321", "an@example.vn", published.submitter_name):
        assert digits not in page


def test_the_public_page_is_in_english_too(client: Any, published: Petition) -> None:
    page = client.get("/en" + page_url(published)).content.decode()
    assert "Do you have the same problem?" in page and "0 citizens with the same problem" in page


def test_a_petition_not_published_has_no_public_page_and_cannot_be_cosigned(
    client: Any, submit: Any, cast: Any
) -> None:
    private = submit().petition
    withdrawn = advance(submit(consent_publish=True).petition.case, "withdrawn", cast).petition
    for petition in (private, withdrawn):
        assert client.get(page_url(petition)).status_code == 404
        assert client.post(page_url(petition, "portal-cosign"), {"phone": "0987654321"}).status_code == 404
    assert not PhoneChallenge.objects.exists()


def test_a_rejected_petition_is_not_public(client: Any, submit: Any, cast: Any) -> None:
    petition = advance(submit(consent_publish=True).petition.case, "rejected", cast).petition
    assert client.get(page_url(petition)).status_code == 404
    assert client.post(page_url(petition, "portal-cosign"), {"phone": "0987654321"}).status_code == 404
    assert not PhoneChallenge.objects.exists()


def test_a_petition_no_unit_accepted_yet_is_not_public(client: Any, submit: Any) -> None:
    waiting = submit(consent_publish=True, title="Chưa ai đọc phản ánh này").petition
    assert client.get(page_url(waiting)).status_code == 404
    assert "Chưa ai đọc phản ánh này" not in client.get("/petitions/").content.decode()


@pytest.mark.parametrize("state", ["closed"])
def test_a_petition_that_ended_shows_no_form_and_refuses_a_cosignature(
    state: str, client: Any, submit: Any, cast: Any
) -> None:
    petition = advance(submit(consent_publish=True).petition.case, state, cast).petition
    page = client.get(page_url(petition)).content.decode()
    assert "không thể cùng kiến nghị nữa" in page and 'name="phone"' not in page
    response = client.post(page_url(petition, "portal-cosign"), {"phone": "0987654321"})
    assert response.status_code == 400 and not PhoneChallenge.objects.exists()


def test_the_citizen_who_filed_it_is_told_once_the_code_proves_the_number(
    client: Any, published: Petition, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(page_url(published, "portal-cosign"), {"phone": "0912 345 678"})
    assert response.status_code == 302
    response = client.post(
        page_url(published, "portal-cosign-confirm"), {"code": code_sent("+84912345678")}, follow=True
    )
    assert "Bạn là người gửi phản ánh này" in response.content.decode()
    published.refresh_from_db()
    assert published.cosigner_count == 0


def test_a_code_sent_for_one_petition_does_not_cosign_another(
    client: Any, published: Petition, submit: Any, django_capture_on_commit_callbacks: Any
) -> None:
    other = accepted(submit(consent_publish=True, title="Đèn đường hỏng"))
    with django_capture_on_commit_callbacks(execute=True):
        client.post(page_url(published, "portal-cosign"), {"phone": "0987654321"})
    response = client.post(page_url(other, "portal-cosign-confirm"), {"code": code_sent("+84987654321")})
    assert response.status_code == 302 and not CoSigner.objects.exists()


def test_a_wrong_code_is_reported_on_its_field(
    client: Any, published: Petition, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        client.post(page_url(published, "portal-cosign"), {"phone": "0987654321"})
    wrong = f"{(int(code_sent('+84987654321')) + 1) % 1_000_000:06d}"
    response = client.post(page_url(published, "portal-cosign-confirm"), {"code": wrong})
    page = response.content.decode()
    assert response.status_code == 400 and 'href="#id_code"' in page and 'aria-invalid="true"' in page
    assert not CoSigner.objects.exists()


def test_the_list_shows_open_published_petitions_with_their_cosigners_in_bounded_queries(
    client: Any, submit: Any, cast: Any, django_assert_max_num_queries: Any
) -> None:
    shown = accepted(submit(consent_publish=True, title="Cống tắc đường Lý Thái Tổ"))
    Petition.objects.filter(pk=shown.pk).update(cosigner_count=7)
    hidden = submit(title="Không công khai").petition
    ended = advance(submit(consent_publish=True, title="Đã bị từ chối").petition.case, "rejected", cast)
    with django_assert_max_num_queries(3) as few:
        page = client.get(reverse("portal:portal-petitions")).content.decode()
    assert shown.title in page and "7 người cùng kiến nghị" in page
    assert hidden.title not in page and ended.petition.title not in page
    for n in range(25):
        accepted(submit(consent_publish=True, title=f"Phản ánh công khai {n}"))
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(reverse("portal:portal-petitions")).content.decode()
    assert "Trang 1/2" in page


def test_the_response_shows_on_the_public_page_and_statistics_link_to_it(
    client: Any, published: Petition, cast: Any
) -> None:
    advance(published.case, "responded", cast)
    assert "Đã xử lý xong." in client.get(page_url(published)).content.decode()
    assert page_url(published) in client.get(reverse("portal:portal-statistics")).content.decode()


def test_a_duplicate_links_to_its_original_only_when_that_is_published(
    client: Any, submit: Any, cast: Any
) -> None:
    original = accepted(submit(consent_publish=True, phone="0911000001"))
    duplicate = submit(consent_publish=True, phone="0911000002", title="Trùng").petition
    services.case_mark_duplicate(case_id=duplicate.case.pk, actor=cast.officer, original_id=original.case.pk)
    page = client.get(page_url(duplicate)).content.decode()
    assert page_url(original) in page and 'name="phone"' not in page


def test_no_public_page_shows_a_phone_number_or_email_written_in_the_petition(
    client: Any, submit: Any, cast: Any
) -> None:
    title = "Gọi 0912 345 678 hoặc an@example.com về rác"
    listed = accepted(submit(consent_publish=True, title=title))
    answered = submit(consent_publish=True, title=title, text=f"{title}: rác ùn ứ ba ngày nay.").petition
    advance(answered.case, "pending_approval", cast)
    services.case_approve(case_id=answered.case.pk, actor=cast.leader)
    for url in ("/petitions/", f"/petitions/{listed.tracking_code}/", "/statistics/"):
        page = client.get(url).content.decode()
        assert "0912 345 678" not in page and "an@example.com" not in page, url
        assert "về rác" in page, url
    suggested = client.get("/submit/similar.json", {"title": "Gọi về rác"}).content.decode()
    assert "về rác" in suggested
    assert "0912 345 678" not in suggested


def test_the_public_list_counts_no_further_than_its_cap(
    client: Any, submit: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import portal.cosign

    monkeypatch.setattr(portal.cosign, "LIST_CAP", 3)
    monkeypatch.setattr(portal.cosign, "PAGE_SIZE", 2)
    for number in range(5):
        accepted(submit(consent_publish=True, title=f"Đèn đường hỏng số {number}"))
    page = client.get("/en/petitions/").content.decode()
    assert "Page 1 of 2" in page  # 3 counted, not 5
    assert "Đèn đường hỏng số 4" in page and "Đèn đường hỏng số 3" in page  # newest first
