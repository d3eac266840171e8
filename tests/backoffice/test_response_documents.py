"""The response's documents (issue 18): the officer attaches the signed reply letter to the draft;
the citizen can download it only once a leader approved the response."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from petitions.models import Document
from routing import services
from routing.models import CaseEvent, EventKind
from tests.conftest import Cast, advance, fresh
from tests.petitions.test_pdfs import pdf

REPLY = "UBND phường đã chỉ đạo thu gom rác; công văn trả lời đính kèm."


def _letter(name: str = "cong van tra loi.pdf", **build: Any) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, pdf(pages=1, **build), content_type="application/pdf")


def _draft(client: Client, case: Any, **extra: Any) -> Any:
    url = reverse("backoffice:backoffice-case-act", args=[case.pk, "submit_response"])
    return client.post(
        url, {"submit_response-version": fresh(case).version, "submit_response-text": REPLY, **extra}
    )


def _citizen(case: Any) -> Client:
    client = Client()
    code = case.petition.tracking_code
    assert client.post("/track/", {"code": code, "phone": "0912345678"}).status_code == 302
    return client


def test_the_reply_letter_reaches_the_citizen_only_once_the_response_is_approved(
    client: Client, case: Any, cast: Cast
) -> None:
    advance(case, "in_progress", cast)
    client.force_login(cast.officer)
    desk = client.get(reverse("backoffice:backoffice-case", args=[case.pk])).content.decode()
    assert 'enctype="multipart/form-data"' in desk and 'name="submit_response-documents"' in desk
    assert _draft(client, case, **{"submit_response-documents": [_letter()]}).status_code == 302

    document = Document.objects.get()
    draft = CaseEvent.objects.get(case=case, kind=EventKind.SUBMIT_RESPONSE)
    assert (document.petition_id, document.event_id) == (case.petition_id, draft.pk)
    assert not draft.is_public and draft.data == {"documents": 1}

    citizen = _citizen(case)
    page_url = reverse("portal:portal-case", args=[case.petition.tracking_code])
    download = reverse("portal:portal-document", args=[case.petition.tracking_code, document.pk])
    assert "cong van tra loi.pdf" not in citizen.get(page_url).content.decode()
    assert citizen.get(download).status_code == 404  # a draft is the unit's

    services.case_approve(case_id=case.pk, actor=cast.leader)
    document.refresh_from_db()
    approved = CaseEvent.objects.get(case=case, kind=EventKind.APPROVE)
    assert document.event_id == approved.pk and approved.is_public
    page = citizen.get(page_url).content.decode()
    # In the response's panel, not among the citizen's own files.
    start = page.index('class="panel response-panel"')
    response_panel = page[start : page.index("</section>", start)]
    assert download in response_panel and "Tài liệu kèm câu trả lời" in response_panel
    assert page.count(download) == 1
    response = citizen.get(download)
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="cong van tra loi.pdf"'


def test_a_draft_sent_back_keeps_its_letter_internal_and_the_next_draft_carries_its_own(
    case: Any, cast: Cast
) -> None:
    advance(case, "pending_approval", cast)  # a draft without documents
    services.case_send_back(case_id=case.pk, actor=cast.leader, note="Sửa lại công văn.")
    key = "desk-test"
    from petitions.attachments import document_stage

    first = document_stage(upload=_letter("ban 1.pdf"), session_key=key)
    services.case_submit_response(
        case_id=case.pk, actor=cast.officer, text=REPLY, document_tokens=[first.upload_token], session_key=key
    )
    services.case_send_back(case_id=case.pk, actor=cast.leader, note="Thiếu chữ ký.")
    second = document_stage(upload=_letter("ban 2.pdf"), session_key=key)
    services.case_submit_response(
        case_id=case.pk,
        actor=cast.officer,
        text=REPLY,
        document_tokens=[second.upload_token],
        session_key=key,
    )
    services.case_approve(case_id=case.pk, actor=cast.leader)

    citizen_sees = set(fresh(case).petition.documents.for_citizen().values_list("name", flat=True))
    assert citizen_sees == {"ban 2.pdf"}
    assert set(Document.objects.values_list("name", flat=True)) == {"ban 1.pdf", "ban 2.pdf"}


def test_a_refused_pdf_refuses_the_draft_and_changes_nothing(client: Client, case: Any, cast: Cast) -> None:
    advance(case, "in_progress", cast)
    client.force_login(cast.officer)
    version = fresh(case).version
    response = client.post(
        "/en" + reverse("backoffice:backoffice-case-act", args=[case.pk, "submit_response"]),
        {
            "submit_response-version": version,
            "submit_response-text": REPLY,
            "submit_response-documents": [_letter(js=True)],
        },
    )
    assert response.status_code == 400
    assert "This PDF contains JavaScript, which we do not accept." in response.content.decode()
    assert fresh(case).version == version and fresh(case).state == "in_progress"
    assert not Document.objects.filter(petition__isnull=False).exists()


def test_more_than_three_documents_with_a_response_are_refused(case: Any, cast: Cast) -> None:
    advance(case, "in_progress", cast)
    with pytest.raises(ValidationError) as refused:
        services.case_submit_response(
            case_id=case.pk, actor=cast.officer, text=REPLY, document_tokens=["a", "b", "c", "d"]
        )
    assert "documents" in refused.value.message_dict


def test_another_units_officer_cannot_draft_with_documents(client: Client, case: Any, cast: Cast) -> None:
    advance(case, "in_progress", cast)
    client.force_login(cast.other_officer)
    response = _draft(client, case, **{"submit_response-documents": [_letter()]})
    assert response.status_code == 404
    assert not Document.objects.filter(petition__isnull=False).exists()
    assert fresh(case).state == "in_progress"


def test_a_draft_refused_for_a_placeholder_keeps_its_letter_for_the_next_send(
    client: Client, case: Any, cast: Cast
) -> None:
    advance(case, "in_progress", cast)
    client.force_login(cast.officer)
    refused = _draft(
        client,
        case,
        **{
            "submit_response-text": "Kính gửi [họ tên], phường đã xử lý.",
            "submit_response-documents": [_letter()],
        },
    )
    assert refused.status_code == 400
    staged = Document.objects.get()
    body = refused.content.decode()
    assert f'name="submit_response-document_tokens" value="{staged.upload_token}"' in body
    assert "cong van tra loi.pdf" in body and staged.petition_id is None

    sent = _draft(client, case, **{"submit_response-document_tokens": [staged.upload_token]})
    assert sent.status_code == 302
    staged.refresh_from_db()
    draft = CaseEvent.objects.get(case=case, kind=EventKind.SUBMIT_RESPONSE)
    assert (staged.petition_id, staged.event_id) == (case.petition_id, draft.pk)


def test_another_officer_cannot_claim_a_letter_staged_by_this_one(
    client: Client, case: Any, cast: Cast
) -> None:
    from tests.conftest import make_staff

    advance(case, "in_progress", cast)
    client.force_login(cast.officer)
    _draft(client, case, **{"submit_response-text": "[họ tên]", "submit_response-documents": [_letter()]})
    staged = Document.objects.get()
    colleague = make_staff(case.unit)
    services.case_reassign(case_id=case.pk, actor=cast.leader, officer=colleague)
    other = Client()
    other.force_login(colleague)
    assert (
        _draft(other, case, **{"submit_response-document_tokens": [staged.upload_token]}).status_code == 302
    )
    staged.refresh_from_db()
    assert staged.petition_id is None  # another session's token is dropped
