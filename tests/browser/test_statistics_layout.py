"""The public statistics on a phone: the tables fit the screen and a unit's name reads on one or two lines."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from petitions.models import Category
from petitions.services import Submission, petition_submit
from routing import services
from routing.models import Role
from tests.browser.conftest import Screenshot
from tests.conftest import Tree, make_staff

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# How many lines each row header's text takes: its line boxes, counted by their distinct tops.
ROW_HEADER_LINES = """els => els.map(e => {
    const range = document.createRange();
    range.selectNodeContents(e);
    const tops = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
    return [e.textContent.trim(), tops.size];
})"""


def _answered_petition_in_each_province(portal: Tree) -> None:
    """Every column filled in, with a number of days in the median column."""
    for commune in (portal.hoan_kiem, portal.ben_thanh):
        submission = petition_submit(
            submission=Submission(
                category=Category.objects.get(code="environment"),
                commune=commune,
                phone="0912 345 678",
                submitter_name="Nguyễn Văn An",
                title="Rác thải ùn ứ trên phố",
                text="Rác thải sinh hoạt không được thu gom ba ngày nay.",
            ),
            notify=False,
        )
        case_id = submission.petition.case.pk
        officer = make_staff(commune)
        services.case_accept(case_id=case_id, actor=officer)
        services.case_submit_response(case_id=case_id, actor=officer, text="Đã thu gom rác ngày 12/5.")
        services.case_approve(case_id=case_id, actor=make_staff(commune, Role.LEADER))


@pytest.mark.parametrize("path", ["/statistics/", "/en/statistics/"])
def test_the_tables_by_province_and_topic_fit_a_phone_without_sideways_scrolling(
    page: Page, portal: Tree, path: str, screenshot: Screenshot
) -> None:
    _answered_petition_in_each_province(portal)
    page.goto(path)
    wraps = page.locator(".table-wrap")
    assert wraps.count() == 4  # by province and by topic, for 30 days and 12 months
    names = page.locator("table.data tbody th[scope='row']")
    assert "Thành phố Hà Nội" in names.all_inner_texts()
    screenshot(page, "statistics")

    # Every column is in view: no table is wider than the box it scrolls in, nor the page than the phone.
    widths = wraps.evaluate_all("els => els.map(e => [e.scrollWidth, e.clientWidth])")
    assert all(scroll <= client for scroll, client in widths), widths
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    # A unit's name takes at most two lines ("Thành phố Hà Nội" took four).
    lines = names.evaluate_all(ROW_HEADER_LINES)
    assert all(count <= 2 for _, count in lines), lines
    # Still tables with header cells in Chromium's accessibility tree, however the rows are laid out.
    cdp = page.context.new_cdp_session(page)
    roles = [
        node["role"].get("value")
        for node in cdp.send("Accessibility.getFullAXTree")["nodes"]
        if "role" in node
    ]
    assert roles.count("table") == 4, roles
    assert roles.count("columnheader") == 4 * 5
    assert roles.count("rowheader") == len(lines)
