"""The office on a common laptop screen (1366 px): two header rows that never wrap, charts as wide as their row."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import Page

from petitions.models import Category
from petitions.services import petition_submit
from routing.models import Role
from tests.browser.conftest import NewContext, Screenshot
from tests.conftest import Tree, make_staff

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LAPTOP: dict[str, Any] = {"viewport": {"width": 1366, "height": 768}}


def _signed_in(new_context: NewContext, server_url: str, user: Any) -> Page:
    """A desktop page with ``user``'s session (the sign-in form has tests of its own)."""
    client = Client()
    client.force_login(user)
    context = new_context(**LAPTOP)
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": server_url,
            }
        ]
    )
    return context.new_page()


def _lines(page: Page, selector: str) -> set[int]:
    """The distinct rows (rounded tops) the elements matching ``selector`` sit on."""
    tops = page.locator(selector).evaluate_all(
        "els => els.map(e => { const r = e.getBoundingClientRect(); return Math.round(r.top + r.height / 2); })"
    )
    return {round(top / 8) for top in tops}


def test_the_header_rows_each_fit_on_one_line_at_1366_pixels(
    new_context: NewContext, portal: Tree, server_url: str, screenshot: Screenshot
) -> None:
    # Every link the header can show: a leader who is also staff of the admin, with a long name.
    leader = make_staff(
        portal.hanoi,
        Role.LEADER,
        username="lanh.dao.ha.noi",
        first_name="Nguyễn Thị Phương Thảo",
        is_staff=True,
    )
    for language in ("vi", "en"):
        page = _signed_in(new_context, server_url, leader)
        page.goto("/office/" if language == "vi" else "/en/office/")
        assert page.locator(".site-nav a").count() == 9
        screenshot(page, f"header-{language}")
        # Brand, account and languages on one row; every link of the navigation on the next one.
        rows = _lines(page, ".office-header .header-row > *")
        assert len(rows) == 1, (language, page.locator(".office-header").bounding_box())
        assert len(_lines(page, ".office-header .site-nav a")) == 1, language
        header = page.locator(".office-header").bounding_box()
        assert header and header["height"] < 110, (language, header)
        # Nothing is cut off: the header is not wider than the window.
        assert page.evaluate("document.documentElement.scrollWidth") <= 1366


def test_a_lone_dashboard_chart_fills_its_row(
    new_context: NewContext, portal: Tree, server_url: str, screenshot: Screenshot
) -> None:
    leader = make_staff(portal.hoan_kiem, Role.LEADER, username="lanh.dao.hk")
    petition_submit(
        category=Category.objects.get(code="environment"),
        commune=portal.hoan_kiem,
        phone="0912 345 678",
        submitter_name="Nguyễn Văn An",
        title="Rác thải ùn ứ",
        text="Rác không được thu gom ba ngày nay.",
        notify=False,
    )
    page = _signed_in(new_context, server_url, leader)
    page.goto("/office/dashboard/")
    charts = page.locator(".charts .chart")
    assert charts.count() == 1  # a commune has no units below it to compare
    row = page.locator(".charts").bounding_box()
    chart = charts.first.bounding_box()
    canvas = page.locator("#chart-volume").bounding_box()
    screenshot(page, "dashboard")
    assert row and chart and canvas
    assert chart["width"] >= row["width"] - 2, (chart, row)
    assert canvas["width"] >= 0.9 * row["width"], (canvas, row)
