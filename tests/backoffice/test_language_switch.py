"""The back office's language switch: both languages in the header, the current one marked, no JavaScript needed."""

from __future__ import annotations

import re

from django.conf import settings

from tests.conftest import Cast


def _switch(body: str) -> dict[str, tuple[str, bool]]:
    """language → (the address it goes to, whether it is marked as current), from the header's forms."""
    found = {}
    for form in re.findall(
        r'<form class="lang-switch" action="/i18n/setlang/" method="post">(.*?)</form>', body, re.S
    ):
        assert 'name="csrfmiddlewaretoken"' in form
        next_url = re.search(r'name="next" type="hidden" value="([^"]*)"', form)
        button = re.search(r'<button type="submit" name="language" value="(\w+)"[^>]*>', form)
        assert next_url and button
        found[button.group(1)] = (next_url.group(1), 'aria-current="true"' in button.group(0))
    return found


def test_the_office_header_offers_both_languages_with_the_current_one_marked(client, cast: Cast):
    client.force_login(cast.officer)
    body = client.get("/office/").content.decode()
    assert 'role="group" aria-label="Ngôn ngữ"' in body or 'role="group" aria-label="Language"' in body
    assert _switch(body) == {"vi": ("/office/", True), "en": ("/en/office/", False)}
    english = client.get("/en/office/search/?q=ngap&sort=oldest").content.decode()
    assert _switch(english) == {
        "vi": ("/office/search/?q=ngap&amp;sort=oldest", False),
        "en": ("/en/office/search/?q=ngap&amp;sort=oldest", True),
    }


def test_the_sign_in_page_has_the_switch_too(client):
    assert _switch(client.get("/en/office/login/").content.decode())["vi"] == ("/office/login/", False)


def test_choosing_english_in_the_office_opens_the_english_office(client, cast: Cast):
    client.force_login(cast.officer)
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/en/office/"})
    assert response.status_code == 302 and response["Location"] == "/en/office/"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    page = client.get(response["Location"]).content.decode()
    assert '<html lang="en">' in page and ">Inbox<" in page


def test_the_chosen_language_is_kept_for_the_officer_on_direct_addresses_in_a_new_browser(cast: Cast):
    from django.test import Client

    from routing.models import Membership

    first = Client()
    first.force_login(cast.officer)
    first.post("/i18n/setlang/", {"language": "en", "next": "/en/office/"})
    assert Membership.objects.get(user=cast.officer).language == "en"

    # Another browser, no language cookie: a bookmark or a link to /office/... opens in English.
    other = Client()
    other.force_login(cast.officer)
    response = other.get("/office/search/?q=ngap")
    assert response.status_code == 302 and response["Location"] == "/en/office/search/?q=ngap"
    page = other.get(response["Location"]).content.decode()
    assert '<html lang="en">' in page
    # An explicit prefix is left as it is, and other staff keep the default.
    assert other.get("/en/office/").status_code == 200
    colleague = Client()
    colleague.force_login(cast.officer2)
    assert colleague.get("/office/").status_code == 200


def test_choosing_vietnamese_again_makes_office_addresses_vietnamese_again(client, cast: Cast):
    client.force_login(cast.officer)
    client.post("/i18n/setlang/", {"language": "en", "next": "/en/office/"})
    assert client.get("/office/")["Location"] == "/en/office/"
    client.post("/i18n/setlang/", {"language": "vi", "next": "/office/"})
    page = client.get("/office/")
    assert page.status_code == 200 and '<html lang="vi">' in page.content.decode()


def test_the_language_is_applied_after_signing_in(client, cast: Cast):
    from routing.models import Membership

    Membership.objects.filter(user=cast.officer).update(language="en")
    response = client.post(
        "/office/login/", {"username": "officer", "password": "x-Strong-pass-42"}, follow=True
    )
    assert response.redirect_chain[-1][0] == "/en/office/"
    assert '<html lang="en">' in response.content.decode()


def test_citizens_and_anonymous_visitors_switch_as_before(client):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/en/"})
    assert response.status_code == 302 and response["Location"] == "/en/"
    assert client.get("/office/")["Location"].startswith("/office/login/")
