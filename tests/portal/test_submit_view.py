"""The public submission form: success, every validation error, the no-JavaScript steps, spam defences."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse
from django.utils.translation import override as translation_override
from PIL import Image

from notifications.transports.sms import LocmemSmsBackend
from petitions.models import Attachment, Petition
from portal.forms import sign_started
from routing.models import Case, CaseEvent

URL = "/submit/"


def _valid(tree: Any, category: Any, **overrides: Any) -> dict[str, Any]:
    data = {
        "category": str(category.pk),
        "province": tree.hanoi.code,
        "commune": tree.hoan_kiem.code,
        "address": "12 Hàng Bông",
        "title": "Đèn đường hỏng trên phố Hàng Bông",
        "text": "Ba cột đèn đường không sáng từ tuần trước, buổi tối rất tối và nguy hiểm.",
        "submitter_name": "Nguyễn Văn An",
        "phone": "0912 345 678",
        "email": "",
        "latitude": "",
        "longitude": "",
        "started": sign_started(),
        "website": "",
    }
    data.update(overrides)
    return data


def _jpeg(name: str = "photo.jpg") -> io.BytesIO:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(buffer, "JPEG")
    buffer.seek(0)
    buffer.name = name
    return buffer


def _counts() -> tuple[int, int, int]:
    return Petition.objects.count(), Case.objects.count(), CaseEvent.objects.count()


def test_form_lists_provinces_and_asks_for_the_province_first(client, tree, category):
    response = client.get(URL)
    assert response.status_code == 200
    body = response.content.decode()
    assert "Thành phố Hà Nội" in body
    assert "Phường Hoàn Kiếm" not in body


def test_choosing_a_province_without_javascript_lists_its_communes(client, tree, category):
    data = _valid(tree, category, commune="", choose_province="1", title="Giữ nguyên tiêu đề")
    response = client.post(URL, data)
    assert response.status_code == 200
    body = response.content.decode()
    assert "Phường Hoàn Kiếm" in body and "Phường Cửa Nam" in body
    assert "Phường Bến Thành" not in body
    assert "Giữ nguyên tiêu đề" in body
    assert 'id="error-summary"' not in body
    assert Petition.objects.count() == 0


def test_communes_json_lists_the_communes_of_a_province(client, tree):
    response = client.get(reverse("portal:portal-communes", args=["P01"]))
    assert response.status_code == 200
    codes = {item["code"] for item in response.json()["communes"]}
    assert codes == {"W00070", "W00073"}
    assert client.get(reverse("portal:portal-communes", args=["W00070"])).status_code == 404


def test_valid_submission_creates_the_petition_and_shows_the_receipt(client, tree, category):
    response = client.post(URL, _valid(tree, category))
    assert response.status_code == 302
    assert response["Location"].endswith(reverse("portal:portal-submitted"))
    petition = Petition.objects.get()
    assert petition.case.unit == tree.hoan_kiem
    assert petition.phone == "+84912345678"

    receipt = client.get(response["Location"])
    body = receipt.content.decode()
    assert petition.tracking_code in body
    assert "/t/" in body
    assert "Phường Hoàn Kiếm" in body


def test_the_form_flow_reads_only_what_is_the_citizens(client, tree, category, django_assert_num_queries):
    from routing.reference import sla_policies

    client.get(URL)  # the categories, units and policies are read once per process, then held
    sla_policies()
    with django_assert_num_queries(0):
        assert client.get(URL).status_code == 200
    # The form's key (a resend?), the same text from the same phone lately (a reload?), then the
    # petition, case, event and receipt; the session with the receipt (created: it had none).
    # No session before the petition for a form without files, no category or commune read.
    # (The test's transaction turns the service's and the session's into savepoints: 4 more.)
    with django_assert_num_queries(12):
        response = client.post(URL, _valid(tree, category))
    assert response.status_code == 302
    # The session, and the petition it was granted.
    with django_assert_num_queries(2):
        assert client.get(response["Location"]).status_code == 200


def test_receipt_is_sent_by_sms_with_code_and_link(
    client, tree, category, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(URL, _valid(tree, category))
    petition = Petition.objects.get()
    [message] = LocmemSmsBackend.outbox
    assert message.to == "+84912345678"
    assert petition.tracking_code in message.body
    assert "/t/" in message.body


def test_the_secret_link_on_the_receipt_opens_the_tracking_page(client, tree, category):
    client.post(URL, _valid(tree, category))
    petition = Petition.objects.get()
    receipt = client.get(reverse("portal:portal-submitted")).content.decode()
    link = receipt.split('id="tracking-link">')[1].split("<")[0]
    assert link.startswith("http://testserver/t/")  # the address the browser used
    path = link.removeprefix("http://testserver")

    other = client.__class__()
    response = other.get(path)
    assert response.status_code == 302
    page = other.get(response["Location"])
    assert page.status_code == 200
    assert petition.title in page.content.decode()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("phone", "12345", "Enter a valid phone number"),
        ("phone", "", "Enter a valid phone number"),
        ("title", "", "Give your petition a short title."),
        ("text", "", "Describe the matter."),
        ("text", "ngắn", "at least 10 characters"),
        ("commune", "", "Choose a commune, ward or special zone from the list."),
        ("submitter_name", "", "Enter your name."),
        ("email", "not-an-email", "Enter a valid email address."),
        ("latitude", "99", "The map point must be in Viet Nam."),
        ("title", "x" * 201, "Ensure this value has at most 200 characters"),
    ],
)
def test_each_invalid_field_gets_a_message_and_nothing_is_written(
    client, tree, category, field, value, message
):
    before = _counts()
    data = _valid(tree, category, **{field: value})
    if field == "latitude":
        data["longitude"] = "105.85"
    response = client.post("/en" + URL, data)
    assert response.status_code == 400
    body = response.content.decode()
    assert message in body
    assert 'id="error-summary"' in body
    assert _counts() == before
    # What the citizen typed comes back.
    assert "Đèn đường hỏng trên phố Hàng Bông" in body or field == "title"
    assert "Ba cột đèn đường không sáng" in body or field == "text"


def test_errors_are_in_vietnamese_by_default(client, tree, category):
    response = client.post(URL, _valid(tree, category, title=""))
    assert response.status_code == 400
    body = response.content.decode()
    assert "Give your petition a short title." not in body
    assert 'lang="vi"' in body


def test_anonymous_where_the_topic_does_not_allow_it_is_refused(client, tree, db):
    from petitions.models import Category

    land = Category.objects.get(code="land-housing")
    response = client.post("/en" + URL, _valid(tree, land, is_anonymous="on", submitter_name=""))
    assert response.status_code == 400
    assert "This category needs your name." in response.content.decode()
    assert Petition.objects.count() == 0


def test_anonymous_where_allowed_keeps_no_name(client, tree, category):
    response = client.post(URL, _valid(tree, category, is_anonymous="on", submitter_name="Tên bị bỏ"))
    assert response.status_code == 302
    petition = Petition.objects.get()
    assert petition.is_anonymous and petition.submitter_name == ""


def test_honeypot_submission_is_refused(client, tree, category):
    response = client.post(URL, _valid(tree, category, website="http://spam.example"))
    assert response.status_code == 400
    assert Petition.objects.count() == 0


def test_a_form_sent_faster_than_a_person_can_files_nothing_but_keeps_the_input(
    client, tree, category, settings
):
    settings.PORTAL_MIN_FORM_SECONDS = 30
    response = client.post("/en" + URL, _valid(tree, category))
    assert response.status_code == 400
    body = response.content.decode()
    assert "Please check what you typed and send the form again." in body
    assert "Đèn đường hỏng trên phố Hàng Bông" in body
    assert Petition.objects.count() == 0


def test_an_expired_form_comes_back_filled_in_instead_of_being_lost(client, tree, category):
    response = client.post("/en" + URL, _valid(tree, category, started="forged"))
    assert response.status_code == 400
    body = response.content.decode()
    assert "Please check what you typed and send the form again." in body
    assert "Đèn đường hỏng trên phố Hàng Bông" in body
    assert Petition.objects.count() == 0
    # The page carries a fresh stamp, so sending it again works.
    fresh_stamp = body.split('name="started" value="')[1].split('"')[0]
    again = client.post(URL, _valid(tree, category, started=fresh_stamp))
    assert again.status_code == 302


def test_photos_survive_an_error_elsewhere_and_are_attached_on_success(client, tree, category):
    response = client.post(URL, {**_valid(tree, category, title=""), "photos": [_jpeg()]})
    assert response.status_code == 400
    staged = Attachment.objects.get()
    assert staged.petition is None
    body = response.content.decode()
    assert f'name="photo_tokens" value="{staged.upload_token}"' in body
    thumb = client.get(reverse("portal:portal-staged-photo", args=[staged.upload_token]))
    assert thumb.status_code == 200 and thumb["Content-Type"] == "image/jpeg"

    response = client.post(URL, {**_valid(tree, category), "photo_tokens": [staged.upload_token]})
    assert response.status_code == 302
    staged.refresh_from_db()
    assert staged.petition == Petition.objects.get()


def test_a_file_that_is_not_a_photo_is_refused_with_a_message(client, tree, category):
    fake = io.BytesIO(b"GIF89a not really" * 10)
    fake.name = "photo.jpg"
    response = client.post("/en" + URL, {**_valid(tree, category), "photos": [fake]})
    assert response.status_code == 400
    assert "photo.jpg" in response.content.decode()
    assert Petition.objects.count() == 0
    assert Attachment.objects.count() == 0


def test_another_browser_cannot_see_or_use_a_staged_photo(client, tree, category):
    client.post(URL, {**_valid(tree, category, title=""), "photos": [_jpeg()]})
    staged = Attachment.objects.get()
    other = client.__class__()
    assert other.get(reverse("portal:portal-staged-photo", args=[staged.upload_token])).status_code == 404
    response = other.post("/en" + URL, {**_valid(tree, category), "photo_tokens": [staged.upload_token]})
    # Unknown tokens are dropped: the petition is filed without the stranger's photo.
    assert response.status_code == 302
    staged.refresh_from_db()
    assert staged.petition is None


def test_removing_a_staged_photo_deletes_it(client, tree, category):
    client.post(URL, {**_valid(tree, category, title=""), "photos": [_jpeg()]})
    staged = Attachment.objects.get()
    response = client.post(
        URL,
        {
            **_valid(tree, category),
            "photo_tokens": [staged.upload_token],
            "remove_photos": [staged.upload_token],
        },
    )
    assert response.status_code == 302
    assert not Attachment.objects.filter(pk=staged.pk).exists()


def test_forms_need_a_csrf_token(tree, category):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    response = client.post(URL, _valid(tree, category))
    assert response.status_code == 403
    assert Petition.objects.count() == 0


def test_pages_carry_a_content_security_policy_allowing_only_own_scripts(client, db):
    response = client.get("/")
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "default-src 'self'" in policy
    assert "unsafe-inline" not in policy


def test_user_text_is_escaped(client, tree, category):
    client.post(URL, _valid(tree, category, title="<script>alert(1)</script> đèn hỏng"))
    petition = Petition.objects.get()
    page = client.get(reverse("portal:portal-case", args=[petition.tracking_code])).content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_an_empty_form_reports_every_missing_field_at_once(client, tree, category):
    response = client.post("/en" + URL, {"started": sign_started()})
    assert response.status_code == 400
    body = response.content.decode()
    for message in (
        "Choose a topic.",
        "Choose a province or city.",
        "Choose a commune, ward or special zone from the list.",
        "Give your petition a short title.",
        "Describe the matter.",
        "Enter your name.",
        "Enter a valid phone number",
    ):
        assert message in body, message
    assert Petition.objects.count() == 0


def test_the_name_is_marked_required_and_says_when_it_may_be_left_out(client, db):
    body = client.get("/en" + URL).content.decode()
    label = re.search(r'<label for="id_submitter_name">(.*?)</label>', body, re.S)
    assert label and "(required)" in label.group(1)
    hint = re.search(r'<p class="hint" id="id_submitter_name_helptext">(.*?)</p>', body, re.S)
    assert hint
    assert "Send without my name" in hint.group(1)
    # The topics that refuse anonymous petitions are named; the others are not.
    assert "Land and housing" in hint.group(1) and "Social welfare" in hint.group(1)
    assert "Environment and sanitation" not in hint.group(1)
    assert re.search(
        r'<input[^>]*name="submitter_name"[^>]*aria-describedby="id_submitter_name_helptext"', body
    )


def test_a_name_left_out_without_asking_for_anonymity_is_refused_under_its_required_mark(
    client, tree, category
):
    response = client.post("/en" + URL, _valid(tree, category, submitter_name=""))
    assert response.status_code == 400
    body = response.content.decode()
    field = body[body.index('<label for="id_submitter_name">') :]
    assert field.index("(required)") < field.index("Enter your name.")


# --- issue 16 ----------------------------------------------------------------------------


def test_a_bad_photo_does_not_hide_the_other_errors(client, tree, category):
    fake = io.BytesIO(b"GIF89a not really" * 10)
    fake.name = "photo.jpg"
    data = _valid(tree, category, phone="12345", email="not-an-email")
    response = client.post("/en" + URL, {**data, "photos": [fake]})
    assert response.status_code == 400
    body = response.content.decode()
    for message in ("photo.jpg", "Enter a valid phone number", "Enter a valid email address."):
        assert message in body, message
    assert Petition.objects.count() == 0


def test_a_missing_field_does_not_hide_what_the_intake_service_finds_wrong(client, tree, category):
    response = client.post("/en" + URL, _valid(tree, category, title="", phone="12345", text="ngắn"))
    assert response.status_code == 400
    body = response.content.decode()
    for message in (
        "Give your petition a short title.",
        "Enter a valid phone number",
        "at least 10 characters",
    ):
        assert message in body, message
    # A field the form refused already gets its message once, not the service's too.
    assert body.count("Give your petition a short title.") == 2  # the summary and the field


def _provinces(body: str) -> list[str]:
    select = body[body.index('name="province"') : body.index("</select>", body.index('name="province"'))]
    return [name for name in re.findall(r"<option value=\"P\d+\"[^>]*>([^<]+)</option>", select)]


def test_provinces_are_sorted_by_name_without_their_type(client, tree, category):
    from routing.models import Level, Unit

    for code, name in (("P04", "Tỉnh Cao Bằng"), ("P11", "Tỉnh Điện Biên"), ("P92", "Thành phố Cần Thơ")):
        Unit.objects.create(code=code, name=name, level=Level.PROVINCE, parent=tree.central)
    body = client.get(URL).content.decode()
    assert _provinces(body) == [
        "Tỉnh Cao Bằng",
        "Thành phố Cần Thơ",
        "Tỉnh Điện Biên",
        "Thành phố Hà Nội",
        "Thành phố Hồ Chí Minh",
    ]


def test_communes_are_sorted_by_name_without_their_type(client, tree, category):
    from portal.forms import commune_choices
    from routing.models import Level, Unit

    Unit.objects.create(code="W00004", name="Xã Ba Vì", level=Level.COMMUNE, parent=tree.hanoi)
    Unit.objects.create(code="W00008", name="Đặc khu Bạch Long Vĩ", level=Level.COMMUNE, parent=tree.hanoi)
    names = [name for _code, name in commune_choices(tree.hanoi.code)]
    assert names == ["Xã Ba Vì", "Đặc khu Bạch Long Vĩ", "Phường Cửa Nam", "Phường Hoàn Kiếm"]


def test_the_commune_list_has_a_labelled_filter_box_that_needs_javascript(client, tree, category):
    body = client.get("/en" + URL + "?province=" + tree.hanoi.code).content.decode()
    box = re.search(r"<div class=\"field commune-filter\"[^>]*>(.*?)</div>", body, re.S)
    assert box and " hidden" in box.group(0)  # shown by submit.js; without it the select is enough
    assert '<label for="commune-filter">' in box.group(1) and 'id="commune-filter"' in box.group(1)
    assert 'aria-controls="id_commune"' in box.group(1)
    assert "name=" not in box.group(1)  # never sent with the form
    script = Path(__file__).resolve().parents[2] / "static" / "portal" / "submit.js"
    assert "data-commune-filter" in script.read_text(encoding="utf-8")


def test_the_anonymity_choice_reads_naturally_in_vietnamese(client, db):
    body = client.get(URL).content.decode()
    assert "Gửi không ghi họ tên" not in body
    assert "Gửi ẩn danh" in body


def _fields(body: str) -> str:
    """The form's fields: the page without its per-visitor CSRF token and stamp."""
    body = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", body)
    return re.sub(r'name="started" value="[^"]+"', "", body)


def test_the_blank_forms_fields_are_rendered_once_and_kept(client, tree, category, django_assert_num_queries):
    from django.core.cache import cache

    cache.clear()
    first = client.get(URL).content.decode()
    second = client.get(URL, HTTP_COOKIE="").content.decode()
    assert _fields(first) == _fields(second)
    assert "Thành phố Hà Nội" in second and category.name in second
    # Each visitor still gets a token and a stamp of their own.
    assert re.search(r'name="started" value="[^"]+"', second)
    with translation_override("en"):
        english = client.get("/en" + URL).content.decode()
    assert category.name_en in english and "choose a province" in english


def test_a_new_topic_is_in_the_blank_form_at_once(client, tree, category, django_capture_on_commit_callbacks):
    from petitions.models import Category

    client.get(URL)
    with django_capture_on_commit_callbacks(execute=True):  # the version moves when the change commits
        Category.objects.create(code="new-topic", name="Chủ đề mới", name_en="New topic")
    assert "Chủ đề mới" in client.get(URL).content.decode()


def test_a_form_with_errors_is_never_served_from_the_kept_fields(client, tree, category):
    client.get(URL)
    response = client.post(URL, _valid(tree, category, title="", province=tree.hanoi.code))
    body = response.content.decode()
    assert response.status_code == 400
    assert "Phường Hoàn Kiếm" in body  # the chosen province's communes, not the blank form's
    assert "Nguyễn Văn An" in body  # what was typed is kept
