"""PDF documents from citizens (issue 18): added with information or an answer, checked, and served
only to the citizen's browser and the handling unit, always as a download."""

from __future__ import annotations

from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from petitions.models import Document
from routing import services
from routing.models import CaseEvent, CaseState, EventKind
from tests.conftest import Cast, advance, fresh
from tests.petitions.test_pdfs import pdf

FACT = "Tôi gửi kèm biên bản của tổ dân phố."


def _follow(client: Client, case: Any) -> None:
    assert (
        client.post("/track/", {"code": case.petition.tracking_code, "phone": "0912345678"}).status_code
        == 302
    )


def _letter(name: str = "bien-ban to dan pho.pdf", **build: Any) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, pdf(pages=2, **build), content_type="application/pdf")


def test_a_letter_added_as_pdf_is_downloaded_by_the_citizen_and_the_handling_unit_only(
    client: Client, case: Any, cast: Cast
) -> None:
    _follow(client, case)
    add = reverse("portal:portal-add-info", args=[case.petition.tracking_code])
    assert client.post(add, {"text": FACT, "documents": [_letter()]}).status_code == 302
    document = Document.objects.get()
    event = CaseEvent.objects.get(case=case, kind=EventKind.CITIZEN_INFO)
    assert (document.petition_id, document.event_id, document.pages) == (case.petition_id, event.pk, 2)
    assert event.data == {"documents": 1} and document.name == "bien-ban to dan pho.pdf"

    page = client.get(reverse("portal:portal-case", args=[case.petition.tracking_code])).content.decode()
    url = reverse("portal:portal-document", args=[case.petition.tracking_code, document.pk])
    assert url in page and "PDF, 2 trang" in page
    download = client.get(url)
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"
    assert download["Content-Disposition"] == 'attachment; filename="bien-ban to dan pho.pdf"'
    assert download["X-Content-Type-Options"] == "nosniff"
    assert b"".join(download.streaming_content).startswith(b"%PDF-")  # type: ignore[attr-defined]
    assert Client().get(url).status_code == 404  # a browser without the grant

    desk_url = reverse("backoffice:backoffice-case-document", args=[case.pk, document.pk])
    officer = Client()
    officer.force_login(cast.officer)
    desk = officer.get(reverse("backoffice:backoffice-case", args=[case.pk])).content.decode()
    assert desk_url in desk
    assert '<p class="meta">Kèm 1 tài liệu.</p>' in desk  # the event says what came with it
    assert officer.get(desk_url)["Content-Disposition"].startswith("attachment;")
    for outsider in (cast.other_officer, cast.province_leader, cast.other_province_leader):
        other = Client()
        other.force_login(outsider)
        assert other.get(desk_url).status_code == 404, outsider


def test_a_pdf_with_javascript_is_refused_saying_so_and_nothing_is_kept(client: Client, case: Any) -> None:
    _follow(client, case)
    add = reverse("portal:portal-add-info", args=[case.petition.tracking_code])
    response = client.post("/en" + add, {"text": FACT, "documents": [_letter("thu.pdf", js=True)]})
    assert response.status_code == 400
    assert "This PDF contains JavaScript, which we do not accept." in response.content.decode()
    assert not Document.objects.exists()
    assert not CaseEvent.objects.filter(case=case, kind=EventKind.CITIZEN_INFO).exists()


def test_an_answer_carries_a_document(client: Client, case: Any, cast: Cast) -> None:
    advance(case, "in_progress", cast)
    services.case_ask_citizen(case_id=case.pk, actor=cast.officer, question="Xin gửi biên bản.")
    _follow(client, case)
    answer = reverse("portal:portal-answer", args=[case.petition.tracking_code])
    assert client.post(answer, {"text": "Biên bản đính kèm.", "documents": [_letter()]}).status_code == 302
    assert fresh(case).state == CaseState.IN_PROGRESS
    event = CaseEvent.objects.get(case=case, kind=EventKind.CITIZEN_ANSWER)
    assert event.documents.count() == 1 and event.data == {"documents": 1}


def test_the_timeline_counts_the_documents_beside_the_photos(client: Client, case: Any) -> None:
    from tests.portal.test_submit_view import _jpeg

    _follow(client, case)
    add = reverse("portal:portal-add-info", args=[case.petition.tracking_code])
    assert client.post(add, {"text": FACT, "documents": [_letter()]}).status_code == 302
    assert client.post(add, {"text": FACT, "photos": [_jpeg()], "documents": [_letter()]}).status_code == 302
    page = client.get(reverse("portal:portal-case", args=[case.petition.tracking_code])).content.decode()
    assert "Bạn đã bổ sung thông tin, kèm 1 tài liệu." in page
    assert "Bạn đã bổ sung thông tin, kèm 1 ảnh và 1 tài liệu." in page
    english = client.get("/en" + reverse("portal:portal-case", args=[case.petition.tracking_code])).content
    assert "You added information, with 1 photo and 1 document." in english.decode()


def test_files_added_with_a_missing_text_are_kept_and_the_page_opens_at_the_form(
    client: Client, case: Any
) -> None:
    from tests.portal.test_submit_view import _jpeg

    _follow(client, case)
    add = reverse("portal:portal-add-info", args=[case.petition.tracking_code])
    refused = client.post(add, {"text": "", "photos": [_jpeg()], "documents": [_letter()]})
    assert refused.status_code == 400
    body = refused.content.decode()
    from petitions.models import Attachment

    document, photo = Document.objects.get(), Attachment.objects.get()
    assert f'name="document_tokens" value="{document.upload_token}"' in body
    assert f'name="photo_tokens" value="{photo.upload_token}"' in body
    assert f'action="{add}#add-info"' in body and 'id="add-info" open' in body

    sent = client.post(
        add, {"text": FACT, "photo_tokens": [photo.upload_token], "document_tokens": [document.upload_token]}
    )
    assert sent.status_code == 302
    event = CaseEvent.objects.get(case=case, kind=EventKind.CITIZEN_INFO)
    assert event.data == {"photos": 1, "documents": 1}


def test_a_photo_sent_with_a_refused_pdf_is_kept_for_the_answer(
    client: Client, case: Any, cast: Cast
) -> None:
    from petitions.models import Attachment
    from tests.portal.test_submit_view import _jpeg

    advance(case, "in_progress", cast)
    services.case_ask_citizen(case_id=case.pk, actor=cast.officer, question="Xin gửi ảnh.")
    _follow(client, case)
    answer = reverse("portal:portal-answer", args=[case.petition.tracking_code])
    refused = client.post(answer, {"text": "Ảnh đây.", "photos": [_jpeg()], "documents": [_letter(js=True)]})
    assert refused.status_code == 400
    photo = Attachment.objects.get()
    assert f'name="photo_tokens" value="{photo.upload_token}"' in refused.content.decode()
    assert fresh(case).state == CaseState.AWAITING_CITIZEN
    assert client.post(answer, {"text": "Ảnh đây.", "photo_tokens": [photo.upload_token]}).status_code == 302
    assert fresh(case).state == CaseState.IN_PROGRESS
