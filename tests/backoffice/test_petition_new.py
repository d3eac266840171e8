"""Officer-entered petitions go through the same intake service, with the channel recorded."""

from __future__ import annotations

from django.urls import reverse

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
    assert "Send without my name" in body


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
