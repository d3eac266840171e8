"""The case desk's map of nearby open cases, in a real browser (no tiles: offline)."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import expect

from petitions.models import Category
from tests.backoffice.test_case_nearby import _at
from tests.browser.conftest import DESKTOP, PHONE, Daphne, NewContext, t
from tests.browser.test_map_point import _assert_no_axe_violations
from tests.conftest import Tree, file_petition, make_staff
from tests.routing.test_geodata import place_units

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def server_url(asgi_server: Daphne) -> str:
    """Daphne: the desk opens its live socket, which the plain test server would refuse (a console error)."""
    return asgi_server.url


def test_the_desk_map_marks_the_nearby_cases_listed_beside_it(
    new_context: NewContext, portal: Tree, server_url: str
) -> None:
    place_units(portal.hanoi, portal.hoan_kiem, portal.cua_nam)
    category = Category.objects.get(code="environment")

    def submit(title: str, **point: Any) -> Any:
        return file_petition(
            category=category,
            commune=portal.hoan_kiem,
            phone="0912 345 678",
            submitter_name="Nguyễn Văn An",
            title=title,
            text="Rác thải sinh hoạt không được thu gom ba ngày nay, gây mùi hôi.",
            **point,
        ).petition.case

    case = submit("Rác thải ùn ứ trên phố Hàng Bông", **_at())
    submit("Rác ở đầu ngõ", **_at(north_m=80))
    submit("Rác cạnh chợ", **_at(east_m=-150))
    submit("Rác xa hơn", **_at(north_m=700))
    officer = make_staff(portal.hoan_kiem)
    client = Client()
    client.force_login(officer)
    context = new_context(**DESKTOP)
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": server_url,
            }
        ]
    )
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.goto(f"/office/cases/{case.pk}/")
    section = page.locator("section[aria-labelledby=nearby-title]")
    expect(section.locator("tbody tr")).to_have_count(2)
    expect(page.get_by_role("region", name=t("Map of the petition's location"))).to_be_visible()
    # The radius and one circle marker per nearby case (the case's own point is the pin).
    expect(page.locator(".case-map path.leaflet-interactive")).to_have_count(2)
    expect(page.locator(".case-map path")).to_have_count(3)

    page.locator("#nearby-radius").select_option("1000")
    section.get_by_role("button").click()
    expect(section.locator("tbody tr")).to_have_count(3)
    expect(page.locator(".case-map path.leaflet-interactive")).to_have_count(3)
    _assert_no_axe_violations(page)
    assert not errors, errors

    # On a phone, in English (longer words), the page is no wider than the screen: the table
    # scrolls in its own box (it made the page 12 px too wide).
    phone = new_context(**PHONE)
    phone.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": server_url,
            }
        ]
    )
    small = phone.new_page()
    small.goto(f"/en/office/cases/{case.pk}/?radius=1000")
    expect(small.locator("section[aria-labelledby=nearby-title] tbody tr")).to_have_count(3)
    assert small.evaluate("document.documentElement.scrollWidth") <= PHONE["viewport"]["width"]
