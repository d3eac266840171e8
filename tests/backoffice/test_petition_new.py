"""Officer-entered petitions go through the same intake service, with the channel recorded."""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone

from petitions.models import Channel, Petition

URL = "/office/petitions/new/"


def _data(tree, category, **overrides):
    data = {
        "category": str(category.pk),
        "province": tree.hanoi.code,
        "commune": tree.hoan_kiem.code,
        "title": "Phản ánh qua điện thoại về tiếng ồn",
        "text": "Người dân gọi điện phản ánh quán karaoke hát to sau 23 giờ.",
        "submitter_name": "Hoàng Văn Long",
        "phone": "0913 222 333",
        "received_via": "phone",
        "received_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
    }
    data.update(overrides)
    return data


def test_an_officer_files_a_petition_received_by_phone(client, cast, tree, category):
    client.force_login(cast.officer)
    form = client.get(URL)
    assert form.status_code == 200
    assert 'value="W00070" selected' in form.content.decode()
    response = client.post(URL, _data(tree, category))
    assert response.status_code == 302
    petition = Petition.objects.get()
    assert petition.channel == Channel.OFFICER and petition.entered_by == cast.officer
    assert response["Location"] == reverse("backoffice:backoffice-case", args=[petition.case.pk])


def test_invalid_input_is_shown_and_nothing_is_filed(client, cast, tree, category):
    client.force_login(cast.officer)
    response = client.post("/en" + URL, _data(tree, category, phone="123"))
    assert response.status_code == 400
    assert "Enter a valid phone number" in response.content.decode()
    assert Petition.objects.count() == 0


def test_a_petition_for_another_commune_is_filed_and_routed_there(client, cast, tree, category):
    client.force_login(cast.officer)
    response = client.post(URL, _data(tree, category, commune=tree.cua_nam.code))
    assert response.status_code == 302
    petition = Petition.objects.get()
    assert petition.case.unit == tree.cua_nam
    # The officer cannot open the other commune's case: back to the inbox with a message.
    assert response["Location"] == reverse("backoffice:backoffice-inbox")


def test_only_staff_can_enter_petitions(client, cast, tree, category):
    assert client.get(URL).status_code == 302
    client.force_login(cast.outsider)
    assert client.post(URL, _data(tree, category)).status_code == 403
    assert Petition.objects.count() == 0


def test_the_citizens_name_is_marked_required_as_on_the_portal(client, cast, db):
    client.force_login(cast.officer)
    body = client.get("/en" + URL).content.decode()
    label = body[body.index('<label for="id_submitter_name">') :]
    assert label[: label.index("</label>")].endswith('<span class="req">(required)</span>')
    # The hint names the anonymity box as this form labels it, not as the portal does.
    hint = body[body.index('id="id_submitter_name_helptext"') :]
    assert "The citizen does not want their name recorded" in hint[: hint.index("</")]
    assert "Send without my name" not in body


def test_every_error_is_reported_at_once(client, cast, tree, category):
    client.force_login(cast.officer)
    response = client.post("/en" + URL, _data(tree, category, title="", phone="123"))
    assert response.status_code == 400
    body = response.content.decode()
    assert "Give your petition a short title." in body and "Enter a valid phone number" in body


def test_the_officer_form_sorts_provinces_by_name_and_filters_long_commune_lists(client, cast, tree):
    from routing.models import Level, Unit

    Unit.objects.create(code="P04", name="Tỉnh Cao Bằng", level=Level.PROVINCE, parent=tree.central)
    client.force_login(cast.officer)
    body = client.get(URL).content.decode()
    assert body.index("Tỉnh Cao Bằng") < body.index("Thành phố Hà Nội")
    assert '<label for="commune-filter">' in body and "data-commune-filter" in body


def _at(moment):
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def test_the_deadlines_count_from_when_the_unit_received_it(client, cast, tree, category):
    import datetime as dt

    from routing.deadlines import add_working_days, policy_for
    from routing.models import CaseEvent, EventKind

    client.force_login(cast.officer)
    received = (timezone.now() - dt.timedelta(days=2)).replace(second=0, microsecond=0)
    response = client.post(URL, _data(tree, category, received_via="letter", received_at=_at(received)))
    assert response.status_code == 302
    petition = Petition.objects.get()
    assert (petition.received_via, petition.received_at) == ("letter", received)
    case = petition.case
    assert case.submitted_at == received  # when it was received, not when it was typed in
    assert case.triage_due_at == add_working_days(received, policy_for("commune", category.pk).triage_days)
    event = CaseEvent.objects.get(case=case, kind=EventKind.SUBMITTED)
    assert event.data["received_via"] == "letter" and event.created_at > received


def test_a_petition_entered_late_says_why(client, cast, tree, category):
    import datetime as dt

    client.force_login(cast.officer)
    received = _at(timezone.now() - dt.timedelta(days=6))
    late = client.post("/en" + URL, _data(tree, category, received_via="letter", received_at=received))
    assert late.status_code == 400
    assert "It was received more than 3 days ago: say why it is entered only now." in late.content.decode()
    assert not Petition.objects.exists()
    reason = "Thư gửi qua bưu điện, văn thư chuyển đến chậm."
    filed = client.post(
        URL, _data(tree, category, received_via="letter", received_at=received, late_entry_reason=reason)
    )
    assert filed.status_code == 302 and Petition.objects.get().late_entry_reason == reason
    desk = client.get(filed["Location"]).content.decode()
    assert "Thư, văn bản" in desk and reason in desk  # the handling unit sees how and why


def test_a_receipt_in_the_future_or_without_its_channel_is_refused(client, cast, tree, category):
    import datetime as dt

    client.force_login(cast.officer)
    future = client.post(
        "/en" + URL, _data(tree, category, received_at=_at(timezone.now() + dt.timedelta(days=1)))
    )
    assert future.status_code == 400 and "cannot be in the future" in future.content.decode()
    missing = client.post("/en" + URL, _data(tree, category, received_via=""))
    assert missing.status_code == 400 and "Say how the petition was received." in missing.content.decode()
    assert not Petition.objects.exists()


def test_only_an_officer_entered_petition_has_a_receipt(tree, category):
    import pytest
    from django.core.exceptions import ValidationError

    from petitions.services import Receipt
    from tests.conftest import file_petition

    with pytest.raises(ValidationError) as refused:
        file_petition(
            **{k: v for k, v in _data(tree, category).items() if not k.startswith("received")},
            received=Receipt(via="phone", at=timezone.now()),
        )
    assert "received_via" in refused.value.message_dict
    assert not Petition.objects.exists()


def test_the_scanned_letter_and_photos_the_citizen_brought_are_attached(client, cast, tree, category):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from petitions.models import Attachment, Document
    from tests.petitions.test_pdfs import pdf
    from tests.portal.test_submit_view import _jpeg

    client.force_login(cast.officer)
    letter = SimpleUploadedFile("don cua ong Long.pdf", pdf(pages=2), content_type="application/pdf")
    # Something else is wrong first: the files are kept (staged) and shown, not chosen again.
    refused = client.post(
        URL, {**_data(tree, category, title=""), "documents": [letter], "photos": [_jpeg()]}
    )
    assert refused.status_code == 400
    staged_document, staged_photo = Document.objects.get(), Attachment.objects.get()
    body = refused.content.decode()
    assert f'name="document_tokens" value="{staged_document.upload_token}"' in body
    assert f'name="photo_tokens" value="{staged_photo.upload_token}"' in body

    response = client.post(
        URL,
        {
            **_data(tree, category),
            "document_tokens": [staged_document.upload_token],
            "photo_tokens": [staged_photo.upload_token],
        },
    )
    assert response.status_code == 302
    petition = Petition.objects.get()
    assert list(petition.documents.values_list("name", "event")) == [("don cua ong Long.pdf", None)]
    assert petition.attachments.count() == 1
    desk = client.get(reverse("backoffice:backoffice-case", args=[petition.case.pk])).content.decode()
    assert "don cua ong Long.pdf" in desk


def test_a_pdf_with_active_content_is_refused_on_the_officers_form(client, cast, tree, category):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.petitions.test_pdfs import pdf

    client.force_login(cast.officer)
    letter = SimpleUploadedFile("thu.pdf", pdf(js=True), content_type="application/pdf")
    response = client.post("/en" + URL, {**_data(tree, category), "documents": [letter]})
    assert response.status_code == 400
    assert "This PDF contains JavaScript, which we do not accept." in response.content.decode()
    assert not Petition.objects.exists()


def test_the_citizen_reads_when_the_letter_was_received_and_that_the_review_is_late(
    client, cast, tree, category
):
    import datetime as dt

    from django.test import Client

    client.force_login(cast.officer)
    received = timezone.localtime() - dt.timedelta(days=16)
    client.post(
        URL,
        _data(
            tree,
            category,
            received_via="letter",
            received_at=received.strftime("%Y-%m-%dT%H:%M"),
            late_entry_reason="Văn thư chuyển đến chậm.",
        ),
    )
    petition = Petition.objects.get()
    citizen = Client()
    assert (
        citizen.post("/en/track/", {"code": petition.tracking_code, "phone": "0913222333"}).status_code == 302
    )
    page = citizen.get(f"/en/track/{petition.tracking_code}/").content.decode()
    assert f"{received:%d/%m/%Y %H:%M} · Letter" in page
    assert f"Petition received on {received:%d/%m/%Y} and sent to" in page
    assert "and is late." in page  # 16 days: past the 3 working days to review it
