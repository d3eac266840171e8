"""PDF documents filed with a petition from the portal's form (issue 18): checked, kept across an
error elsewhere in the form, removable, claimed by the petition, and read only by its citizen and
the handling unit."""

from __future__ import annotations

from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from petitions.models import Document, Petition
from tests.conftest import Cast
from tests.petitions.test_pdfs import pdf
from tests.portal.test_submit_view import URL, _valid


def _letter(name: str = "don thu.pdf", **build: Any) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, pdf(pages=3, **build), content_type="application/pdf")


def test_a_letter_filed_with_the_petition_is_the_petitions_and_its_citizen_downloads_it(
    client: Client, tree: Any, category: Any, cast: Cast
) -> None:
    response = client.post(URL, {**_valid(tree, category), "documents": [_letter()]})
    assert response.status_code == 302
    petition = Petition.objects.get()
    document = Document.objects.get()
    assert (document.petition_id, document.event_id, document.pages) == (petition.pk, None, 3)
    assert document.name == "don thu.pdf" and document.session_key == ""  # claimed: no trace of the browser

    page = client.get(reverse("portal:portal-case", args=[petition.tracking_code])).content.decode()
    url = reverse("portal:portal-document", args=[petition.tracking_code, document.pk])
    assert url in page and "PDF, 3 trang" in page
    assert client.get(url)["Content-Disposition"] == 'attachment; filename="don thu.pdf"'
    assert Client().get(url).status_code == 404

    desk = reverse("backoffice:backoffice-case-document", args=[petition.case.pk, document.pk])
    officer = Client()
    officer.force_login(cast.officer)
    assert officer.get(desk).status_code == 200
    other = Client()
    other.force_login(cast.other_officer)
    assert other.get(desk).status_code == 404


def test_a_document_survives_an_error_elsewhere_and_is_filed_on_the_next_send(
    client: Client, tree: Any, category: Any
) -> None:
    response = client.post(URL, {**_valid(tree, category, title=""), "documents": [_letter()]})
    assert response.status_code == 400
    staged = Document.objects.get()
    body = response.content.decode()
    assert f'name="document_tokens" value="{staged.upload_token}"' in body and "don thu.pdf" in body
    assert not Petition.objects.exists()

    response = client.post(URL, {**_valid(tree, category), "document_tokens": [staged.upload_token]})
    assert response.status_code == 302
    staged.refresh_from_db()
    assert staged.petition == Petition.objects.get()


def test_a_pdf_with_active_content_is_refused_saying_so_and_nothing_is_filed(
    client: Client, tree: Any, category: Any
) -> None:
    response = client.post("/en" + URL, {**_valid(tree, category), "documents": [_letter(js=True)]})
    assert response.status_code == 400
    assert "This PDF contains JavaScript, which we do not accept." in response.content.decode()
    assert not Petition.objects.exists() and not Document.objects.exists()


def test_more_documents_than_allowed_are_refused(client: Client, tree: Any, category: Any) -> None:
    letters = [_letter(f"thu {number}.pdf") for number in range(4)]
    response = client.post("/en" + URL, {**_valid(tree, category), "documents": letters})
    assert response.status_code == 400
    assert "Attach at most 3 documents." in response.content.decode()
    assert not Petition.objects.exists()


def test_removing_a_staged_document_deletes_it(
    client: Client, tree: Any, category: Any, django_capture_on_commit_callbacks: Any
) -> None:
    client.post(URL, {**_valid(tree, category, title=""), "documents": [_letter()]})
    staged = Document.objects.get()
    stored = staged.file.name
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            URL,
            {
                **_valid(tree, category),
                "document_tokens": [staged.upload_token],
                "remove_documents": [staged.upload_token],
            },
        )
    assert response.status_code == 302
    assert not Document.objects.exists()
    assert not staged.file.storage.exists(stored)


def test_another_browser_cannot_file_a_document_staged_by_this_one(
    client: Client, tree: Any, category: Any
) -> None:
    client.post(URL, {**_valid(tree, category, title=""), "documents": [_letter()]})
    staged = Document.objects.get()
    other = Client()
    response = other.post(URL, {**_valid(tree, category), "document_tokens": [staged.upload_token]})
    # The foreign token is dropped: the petition is filed without it, and the document stays staged.
    assert response.status_code == 302
    staged.refresh_from_db()
    assert staged.petition is None
