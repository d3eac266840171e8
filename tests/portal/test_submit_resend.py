"""A petition form sent again after its answer was lost files nothing new.

The form's signed stamp carries a key of its own; the portal files with it as the
petition's idempotency key. Found by ``bench/crash.py``: a browser that lost the answer
(a dropped connection, a killed server, a reload) sent the form again and filed twice.
"""

from __future__ import annotations

import io
from typing import Any

from django.core import signing
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from PIL import Image

from petitions.models import Attachment, Petition
from portal.forms import form_submission_key, seconds_since_started, sign_started
from routing.models import Case, CaseEvent
from tests.portal.test_submit_view import URL, _valid


def _photo(colour: tuple[int, int, int]) -> io.BytesIO:
    buffer = io.BytesIO()
    Image.new("RGB", (80, 60), colour).save(buffer, "JPEG")
    buffer.seek(0)
    buffer.name = "photo.jpg"
    return buffer


def test_every_form_gets_a_key_of_its_own() -> None:
    first, second = sign_started(), sign_started()
    assert form_submission_key(first) != form_submission_key(second)
    assert (form_submission_key(first) or "").startswith("portal-")
    assert form_submission_key("forged") is None


def test_a_form_sent_twice_files_one_petition_and_answers_both_times(
    client: Client, tree: Any, category: Any
) -> None:
    data = _valid(tree, category)
    first = client.post(URL, data)
    # The answer was lost: another connection, no session cookie, the same form.
    second = Client().post(URL, data)
    assert first.status_code == second.status_code == 302
    assert Petition.objects.count() == Case.objects.count() == CaseEvent.objects.count() == 1
    petition = Petition.objects.get()
    assert petition.idempotency_key == form_submission_key(data["started"])
    assert first["Location"] == second["Location"]
    # The browser that lost its answer is shown the receipt of the petition it filed.
    receipt = Client().post(URL, data, follow=True)
    assert petition.tracking_code in receipt.content.decode()
    assert Petition.objects.count() == 1


def test_a_form_with_photos_sent_twice_keeps_one_set_of_photos(
    client: Client, tree: Any, category: Any
) -> None:
    data = _valid(tree, category)
    assert client.post(URL, {**data, "photos": [_photo((200, 0, 0)), _photo((0, 0, 200))]}).status_code == 302
    resent = Client().post(URL, {**data, "photos": [_photo((200, 0, 0)), _photo((0, 0, 200))]})
    assert resent.status_code == 302
    petition = Petition.objects.get()
    assert petition.attachments.count() == 2
    # The resent copies are not even stored: the form is known to have filed already.
    assert Attachment.objects.count() == 2


def test_the_same_form_sent_again_with_other_content_files_nothing_and_asks_again(
    client: Client, tree: Any, category: Any
) -> None:
    data = _valid(tree, category)
    assert client.post(URL, data).status_code == 302
    with translation.override("en"):
        url = reverse("portal:portal-submit")
    edited = client.post(url, {**data, "title": "Vỉa hè bị lấn chiếm trên phố Hàng Bông"})
    assert edited.status_code == 400
    body = edited.content.decode()
    assert "You already sent this form once" in body
    assert Petition.objects.count() == 1
    assert "Vỉa hè bị lấn chiếm" in body  # nothing typed is lost
    fresh = body.split('name="started" value="')[1].split('"')[0]
    assert form_submission_key(fresh) not in (None, form_submission_key(data["started"]))
    # Sent again as shown, it is a petition of its own.
    resent = client.post(url, {**data, "title": "Vỉa hè bị lấn chiếm trên phố Hàng Bông", "started": fresh})
    assert resent.status_code == 302
    assert Petition.objects.count() == 2


def test_a_stamp_without_a_key_from_before_this_change_still_files(
    client: Client, tree: Any, category: Any
) -> None:
    old = signing.TimestampSigner(salt="portal.form-started").sign(str(int(timezone.now().timestamp()) - 60))
    assert seconds_since_started(old) is not None and form_submission_key(old) is None
    assert client.post(URL, _valid(tree, category, started=old)).status_code == 302
    assert Petition.objects.get().idempotency_key is None


def test_a_form_whose_photos_came_from_an_earlier_round_trip_sent_again_files_nothing(
    client: Client, tree: Any, category: Any
) -> None:
    data = _valid(tree, category)
    # A mistake first: the photo is staged and the page carries its token from then on.
    refused = client.post(URL, {**data, "title": "", "photos": [_photo((0, 150, 0))]})
    assert refused.status_code == 400
    token = Attachment.objects.get().upload_token
    sent = {**data, "photo_tokens": [token]}
    assert client.post(URL, sent).status_code == 302
    # The answer was lost; the browser sends the same page again.
    again = client.post(URL, sent)
    assert again.status_code == 302
    petition = Petition.objects.get()
    assert [a.upload_token for a in petition.attachments.all()] == [token]
    assert Attachment.objects.count() == 1  # nothing staged again


def test_a_resent_form_is_not_counted_against_the_phone_limit(
    client: Client, tree: Any, category: Any, settings: Any
) -> None:
    settings.PORTAL_RATES = {**settings.PORTAL_RATES, "submit_phone": "1/h"}
    data = _valid(tree, category)
    assert client.post(URL, data).status_code == 302
    for _ in range(3):  # a bad connection: the same form, again and again
        assert Client().post(URL, data).status_code == 302
    assert Petition.objects.count() == 1
    # A new petition from the same phone is limited as before.
    assert client.post(URL, _valid(tree, category, title="Một phản ánh khác về đèn đường")).status_code == 429


def test_the_same_petition_from_a_form_reloaded_on_back_is_not_filed_twice(
    client: Client, tree: Any, category: Any
) -> None:
    # Back reloaded the page: the browser restored what was typed, not the hidden stamp.
    assert client.post(URL, _valid(tree, category)).status_code == 302
    again = client.post(URL, _valid(tree, category))  # a new stamp, the same petition
    assert again.status_code == 302
    assert Petition.objects.count() == 1
    # Another petition from the same phone is filed as usual.
    assert (
        client.post(URL, _valid(tree, category, title="Vỉa hè bị lấn chiếm trên phố Hàng Bông")).status_code
        == 302
    )
    assert Petition.objects.count() == 2


def test_the_form_shown_again_after_a_conflict_can_be_sent_at_once(
    client: Client, tree: Any, category: Any, settings: Any
) -> None:
    settings.PORTAL_MIN_FORM_SECONDS = 3
    data = _valid(tree, category, started=sign_started(seconds_ago=10))
    assert client.post(URL, data).status_code == 302
    edited = client.post(URL, {**data, "title": "Vỉa hè bị lấn chiếm trên phố Hàng Bông"})
    assert edited.status_code == 400
    fresh = edited.content.decode().split('name="started" value="')[1].split('"')[0]
    confirmed = client.post(
        URL, {**data, "title": "Vỉa hè bị lấn chiếm trên phố Hàng Bông", "started": fresh}
    )
    assert confirmed.status_code == 302  # not refused as "too fast"
    assert Petition.objects.count() == 2
