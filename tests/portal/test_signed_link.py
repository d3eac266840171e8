"""The signed link of the question, reminder and response messages (``/t/s/<signed>/``, portal.links).

It opens the petition in any browser as the receipt's secret link does, for
``texts.SIGNED_LINK_MAX_AGE``; an old, altered or foreign link shows the look-up page with a
message, the same whether the petition exists or not.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.core import signing
from django.test import Client
from django.urls import reverse

from notifications import texts
from petitions.grants import granted_ids

EXPIRED = "This link has expired or is not valid."


def _path(url: str) -> str:
    return url.removeprefix(texts.base_url())


def _signed(value: str, *, age: float = 0, salt: str = texts.SIGNED_LINK_SALT) -> str:
    """A link signed ``age`` seconds ago (or with another salt)."""

    class Then(signing.TimestampSigner):
        def timestamp(self) -> str:
            return signing.b62_encode(int(time.time() - age))

    return f"/en/t/s/{Then(salt=salt, sep='.').sign(value)}/"


def test_the_signed_link_grants_the_petition_and_opens_its_page_without_the_link(case: Any) -> None:
    browser = Client()
    url = texts.signed_case_url(case.petition.pk)
    assert _path(url).startswith("/t/s/") and url == texts.base_url() + reverse(
        "portal:portal-signed-link", args=[_path(url)[5:-1]]
    )
    response = browser.get(_path(url))
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:portal-case", args=[case.petition.tracking_code])
    page = browser.get(response["Location"])
    assert page.status_code == 200 and case.petition.title in page.content.decode()
    # As the secret link: a grant for the session's life.
    assert granted_ids(browser.session) == [case.petition.pk]


def test_the_link_keeps_the_citizens_language(submit: Any) -> None:
    petition = submit(language="en").petition
    url = texts.signed_case_url(petition.pk, "en")
    response = Client().get(_path(url))
    assert _path(url).startswith("/en/t/s/")
    assert response.status_code == 302 and response["Location"] == f"/en/track/{petition.tracking_code}/"


def test_an_expired_link_asks_for_the_phone_number_with_the_code_filled_in(case: Any) -> None:
    browser = Client()
    old = _signed(str(case.petition.pk), age=texts.SIGNED_LINK_MAX_AGE.total_seconds() + 60)
    response = browser.get(old)
    body = response.content.decode()
    assert response.status_code == 200 and EXPIRED in body
    assert f'value="{case.petition.tracking_code}"' in body and case.petition.title not in body
    assert granted_ids(browser.session) == []
    # A day younger, it opens the petition.
    fresh = _signed(str(case.petition.pk), age=texts.SIGNED_LINK_MAX_AGE.total_seconds() - 86400)
    assert browser.get(fresh).status_code == 302


@pytest.mark.parametrize(
    "link",
    [
        "altered",
        "another_petition",
        "no_petition",
        "other_salt",
        "not_a_number",
        "garbage",
    ],
)
def test_an_altered_or_foreign_link_shows_the_look_up_page_and_says_nothing_of_the_petition(
    submit: Any, link: str
) -> None:
    petition = submit().petition
    other = submit(phone="0987 654 321").petition
    good = _signed(str(petition.pk))
    paths = {
        "altered": good[:-3] + ("A" if good[-3] != "A" else "B") + good[-2:],
        # The signature of one petition with the id of another.
        "another_petition": good.replace(f"/s/{petition.pk}.", f"/s/{other.pk}.", 1),
        "no_petition": _signed("987654321"),
        "other_salt": _signed(str(petition.pk), salt="portal.something-else"),
        "not_a_number": _signed("-1"),
        "garbage": "/en/t/s/not-a-link/",
    }
    browser = Client()
    response = browser.get(paths[link])
    body = response.content.decode()
    assert response.status_code == 200 and EXPIRED in body
    for shown in (petition, other):
        assert shown.tracking_code not in body and shown.title not in body
    assert granted_ids(browser.session) == []


def test_the_message_is_translated(case: Any) -> None:
    body = Client().get("/t/s/1.abc.def/").content.decode()
    assert "Đường dẫn này đã hết hạn hoặc không hợp lệ." in body


def test_the_signed_link_is_refused_to_other_methods(case: Any) -> None:
    url = _path(texts.signed_case_url(case.petition.pk))
    assert Client().post(url).status_code == 405
