"""The petition's PDF documents through the API (issue 18): listed and downloaded by the handling
unit (case detail) and by the citizen (tracking token), always as an attachment; nobody else."""

from __future__ import annotations

from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from petitions.attachments import document_stage
from petitions.models import Document
from routing import services
from routing.actors import CitizenActor
from tests.conftest import Cast, advance
from tests.petitions.test_pdfs import pdf

NAME = "bien-ban to dan pho.pdf"


def add_letter(case: Any) -> Document:
    upload = SimpleUploadedFile(NAME, pdf(pages=2), content_type="application/pdf")
    staged = document_stage(upload=upload, session_key="s1")
    services.case_citizen_add_info(
        case_id=case.pk,
        actor=CitizenActor(petition_id=case.petition_id),
        text="Tôi gửi kèm biên bản.",
        document_tokens=[staged.upload_token],
        session_key="s1",
    )
    return Document.objects.get(pk=staged.pk)


def assert_attachment(response: Any) -> None:
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="{NAME}"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content).startswith(b"%PDF-")


def test_the_handling_unit_lists_the_documents_and_downloads_them_as_attachments(
    client_for: Any, case: Any, cast: Cast
) -> None:
    advance(case, "in_progress", cast)
    document = add_letter(case)
    officer = client_for(cast.officer)
    detail = officer.get(f"/api/v1/cases/{case.pk}/").json()
    [listed] = detail["documents"]
    assert (listed["id"], listed["name"], listed["pages"], listed["size"]) == (
        document.pk,
        NAME,
        2,
        document.size,
    )
    assert listed["event"] == document.event_id
    assert listed["url"].endswith(f"/api/v1/cases/{case.pk}/documents/{document.pk}/")
    assert_attachment(officer.get(listed["url"], HTTP_ACCEPT="application/pdf"))


def test_another_units_staff_find_nothing_and_a_leader_above_may_not_download(
    client_for: Any, case: Any, cast: Cast
) -> None:
    document = add_letter(case)
    url = f"/api/v1/cases/{case.pk}/documents/{document.pk}/"
    for outsider in (cast.other_officer, cast.other_commune_leader, cast.other_province_leader):
        response = client_for(outsider).get(url)
        assert response.status_code == 404, outsider
        assert response.json()["error"]["code"] == "not_found"
    above = client_for(cast.province_leader)
    assert above.get(f"/api/v1/cases/{case.pk}/").json()["documents"] is None
    refused = above.get(url)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "permission_denied"
    assert (
        client_for(cast.officer).get(f"/api/v1/cases/{case.pk}/documents/{document.pk + 99}/").status_code
        == 404
    )


def test_the_citizen_lists_and_downloads_the_documents_with_the_tracking_token(
    api: APIClient, submit: Any, cast: Cast
) -> None:
    result = submit()
    document = add_letter(result.petition.case)
    code = result.petition.tracking_code
    body = api.get(f"/api/v1/track/{code}/", HTTP_X_TRACKING_TOKEN=result.token).json()
    [listed] = body["documents"]
    assert listed["url"].endswith(f"/api/v1/track/{code}/documents/{document.pk}/")
    assert_attachment(api.get(listed["url"], HTTP_X_TRACKING_TOKEN=result.token))
    for headers in ({}, {"HTTP_X_TRACKING_TOKEN": "sai"}):
        assert api.get(listed["url"], **headers).status_code == 404
    # Another petition's token does not open this one's documents.
    other = submit(title="Một phản ánh khác")
    url = f"/api/v1/track/{other.petition.tracking_code}/documents/{document.pk}/"
    assert api.get(url, HTTP_X_TRACKING_TOKEN=other.token).status_code == 404
