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
