"""Issue 17's journey, on a phone and on a desktop: public opinion a leader can see.

A citizen files a petition about ``ngập lụt`` with a point picked on the map; the rest of a flood
burst (as in tests/alerts) lands in the same province on a quiet background, and detection runs.
The province leader then signs in, sees the alert on the dashboard, opens it and finds the
citizen's case among its cases, reads the synthesis (``ngập lụt`` leads the week's topics, as
news) and drills down from a commune's symbol on the monitoring map to that commune's monitoring.
axe-core audits every page on the way (WCAG 2.1 A/AA), and the map's keyboard alternative, the
list of places, holds the same places and numbers. Maps draw without tiles: nothing is fetched.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Page, expect

from alerts.models import Alert, AlertState
from alerts.services import alerts_detect
from alerts.simulation import background, flood_burst
from petitions.models import Category, Petition
from routing.models import Role
from tests.alerts.conftest import write
from tests.browser.conftest import PHONE, NewContext, Screenshot, t
from tests.browser.test_accessibility import AXE
from tests.browser.test_office_journey import Audit, _sign_in
from tests.conftest import Tree, make_staff
from tests.routing.test_geodata import place_units

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VIEWPORTS: dict[str, dict[str, Any]] = {
    "phone": PHONE,
    "desktop": {"viewport": {"width": 1366, "height": 900}},
}
TERM = "ngập lụt"
#: The citizen's petition is one of the burst's: the database gets the others.
BURST = 40
TITLE = "Đường ngập lụt sâu sau mưa lớn"
TEXT = "Sau trận mưa lớn đêm qua, đường trước chợ ngập sâu nửa mét, xe máy không đi qua được."


@pytest.fixture
def audit() -> Audit:
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run `npm ci` (make test does it)")
    return Audit(AXE.read_text(encoding="utf-8"))


def _watching_tiles(page: Page, requests: list[str]) -> Page:
    page.on("request", lambda request: requests.append(request.url) if "tile" in request.url else None)
    return page


def _file_with_a_point(page: Page, viewport: str) -> Petition:
    """The citizen's side, as in test_map_point: a tap (a click on the desktop) picks the point."""
    page.goto("/submit/")
    page.locator("#id_category").select_option(str(Category.objects.get(code="environment").pk))
    page.locator("#id_province").select_option("P01")
    expect(page.locator("#id_commune option")).to_have_count(3)  # the communes have loaded
    page.get_by_text(t("Add the exact location (optional)")).click()
    point_map = page.get_by_role("region", name=t("Map for choosing the location"))
    expect(point_map).to_be_visible()
    box = point_map.bounding_box()
    assert box is not None
    middle = {"x": box["width"] / 2, "y": box["height"] / 2}
    if viewport == "phone":
        point_map.tap(position=middle)
    else:
        point_map.click(position=middle)
    expect(page.locator("#id_latitude")).not_to_have_value("")
    expect(page.locator("#id_commune")).not_to_have_value("")  # the point chose the commune
    page.locator("#id_title").fill(TITLE)
    page.locator("#id_text").fill(TEXT)
    page.locator("#id_submitter_name").fill("Nguyễn Văn An")
    page.locator("#id_phone").fill("0912 345 678")
    page.get_by_role("button", name=t("Send petition")).click()
    expect(page).to_have_url(re.compile(r"/submit/received/$"))
    petition = Petition.objects.get()
    assert petition.latitude is not None and petition.longitude is not None
    return petition


def _quiet_background_and_the_burst(portal: Tree, now: dt.datetime) -> None:
    """Nine weeks of ordinary traffic in the three communes, without floods, and 39 more flood petitions.

    No flood in the nine weeks before: the synthesis must call ``ngập lụt`` new. The burst spreads
    round the province's two communes in the 48 hours before ``now``, so it is the province's.
    """
    places = {
        portal.hanoi.pk: [portal.hoan_kiem.pk, portal.cua_nam.pk],
        portal.hcm.pk: [portal.ben_thanh.pk],
    }
    categories = dict(Category.objects.values_list("code", "pk"))
    start = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0) - dt.timedelta(weeks=9)
    rows = [
        row
        for row in background(
            places=places, categories=categories, start=start, days=63, per_commune_per_day=2, seed=7
        )
        if row.submitted_at < now - dt.timedelta(minutes=5) and TERM not in row.title.lower()
    ]
    burst = flood_burst(
        province=portal.hanoi.pk,
        communes=places[portal.hanoi.pk],
        category=categories["environment"],
        end=now - dt.timedelta(minutes=5),
        count=BURST - 1,
        hours=48,
        first_pk=100_000,  # after the background's, some of which the filter left out
    )
    write([*rows, *burst])


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_a_leader_sees_the_flood_a_citizen_reported_on_the_map_as_an_alert_a_new_topic_and_a_place(
    viewport: str,
    new_context: NewContext,
    portal: Tree,
    audit: Audit,
    screenshot: Screenshot,
) -> None:
    place_units(portal.hanoi, portal.hcm, portal.hoan_kiem, portal.cua_nam, portal.ben_thanh)
    leader = make_staff(portal.hanoi, Role.LEADER, username="leader.hanoi")
    tile_requests: list[str] = []

    # The citizen files, with a point on the map.
    citizen = _watching_tiles(new_context(**VIEWPORTS[viewport]).new_page(), tile_requests)
    petition = _file_with_a_point(citizen, viewport)
    assert petition.province == portal.hanoi and petition.commune is not None

    # The rest of the burst, then the scheduled detection run.
    _quiet_background_and_the_burst(portal, timezone.now())
    report = alerts_detect()
    assert len(report.raised) == 1, report
    alert = Alert.objects.get()
    assert alert.place == portal.hanoi and alert.state == AlertState.OPEN
    assert TERM in [alert.term, *alert.related]

    # The province leader signs in and sees the banner on the dashboard.
    page = _watching_tiles(new_context(**VIEWPORTS[viewport]).new_page(), tile_requests)
    _sign_in(page, leader.username)
    page.goto(reverse("backoffice:backoffice-dashboard"))
    banner = page.locator(".alerts-banner")
    expect(banner.get_by_role("heading", level=2)).to_have_text(t("Emerging issues in your area"))
    expect(banner.get_by_role("link", name=f"{alert.subject_label} · {portal.hanoi.name}")).to_be_visible()
    audit(page, "dashboard with the alerts banner")
    screenshot(page, f"dashboard-{viewport}")

    # All alerts, then this one: its cases, the citizen's among them.
    banner.get_by_role("link", name=t("All alerts")).click()
    expect(page).to_have_url(re.compile(r"/office/alerts/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(t("Emerging-issue alerts"))
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name=alert.subject_label))
    expect(row).to_have_count(1)
    expect(row).to_contain_text(portal.hanoi.name)
    audit(page, "alerts list")
    _no_table_scrolls(page)
    screenshot(page, f"alerts-{viewport}")
    row.get_by_role("link", name=alert.subject_label).click()
    expect(page).to_have_url(re.compile(rf"/office/alerts/{alert.pk}/$"))
    cases = page.get_by_role("table", name=t("Cases behind this alert"))
    expect(cases.locator("tbody tr")).to_have_count(alert.observed)
    assert alert.observed >= BURST
    mine = cases.get_by_role("row").filter(has=page.get_by_role("link", name=petition.tracking_code))
    expect(mine).to_contain_text(TITLE)
    expect(mine).to_contain_text(petition.commune.name)
    expect(page.get_by_role("button", name=t("Acknowledge"))).to_be_visible()
    audit(page, "alert")
    _no_table_scrolls(page)
    screenshot(page, f"alert-{viewport}")

    # The week's synthesis: the flood leads the period's topics as news, the citizen's petition first.
    page.goto(reverse("backoffice:backoffice-synthesis"))
    topic = page.locator("article.topic").first
    expect(topic.get_by_role("heading", level=3)).to_contain_text(TERM)
    # New: no flood in the eight weeks before (words merged into the topic bring only flood petitions).
    expect(topic.locator(".badge")).to_have_text(t("New"))
    expect(page.locator(".synthesis-news li").nth(0)).to_contain_text(f"{TERM} (")
    numbers = topic.locator(".topic-numbers dd")
    assert int(numbers.nth(0).inner_text()) >= BURST
    assert float(numbers.nth(1).inner_text().replace(",", ".")) == 0  # expected from the 8 weeks before
    expect(topic.locator(".examples li").first).to_contain_text(f"{petition.tracking_code} {TITLE}")
    # The printable page's Print button shows where JavaScript runs (it never did on office pages).
    expect(page.get_by_role("button", name=t("Print"))).to_be_visible()
    # The chart's legend marks every topic with a filled shape (a cross drew nothing on bars).
    # (Not wait_for_function: its polling evaluates a string, which the page's CSP refuses.)
    for _ in range(100):
        if page.evaluate(
            "() => !!(window.Chart && Chart.getChart(document.querySelector('canvas[data-chart]')))"
        ):
            break
        page.wait_for_timeout(50)
    styles = page.evaluate(
        "Chart.getChart(document.querySelector('canvas[data-chart]')).legend.legendItems.map(i => i.pointStyle)"
    )
    assert styles and not {"crossRot", "star", "cross", "line", "dash"} & set(styles), styles
    audit(page, "synthesis")
    screenshot(page, f"synthesis-{viewport}")

    # Monitoring: a symbol per commune with petitions, and the same places in the list of tiles.
    page.goto(reverse("backoffice:backoffice-monitoring"))
    place_map = page.get_by_role(
        "region", name=t("Map of petitions per place; the list below has the same numbers and links")
    )
    expect(place_map).to_be_visible()
    places: list[dict[str, Any]] = json.loads(page.locator("#data-place-map").text_content() or "[]")
    assert {place["code"] for place in places} == {portal.hoan_kiem.code, portal.cua_nam.code}
    expect(place_map.locator(".place-symbol")).to_have_count(len(places))
    tiles = page.locator("ul.tiles li a")
    expect(tiles).to_have_count(len(places))
    for place in places:
        tile = tiles.filter(has_text=place["name"])
        expect(tile.locator(".tile-count")).to_have_text(str(place["count"]))
        expect(tile).to_have_attribute("href", re.compile(rf"\?unit={place['code']}&"))
    audit(page, "monitoring with the map")
    screenshot(page, f"monitoring-{viewport}")

    # The keyboard alternative: a tile is a link in the tab order, followed with Enter.
    first = tiles.first
    first.focus()
    expect(first).to_be_focused()
    assert first.get_attribute("tabindex") in (None, "0")
    first_code = places[0]["code"]
    first.press("Enter")
    expect(page).to_have_url(re.compile(rf"/office/monitoring/\?unit={first_code}&period=30$"))
    page.go_back()

    # The drill-down: the symbol drawn last (on top, where two circles overlap) opens its links.
    place = places[-1]
    symbol = place_map.locator(f".place-symbol[data-code='{place['code']}']")
    symbol.tap() if viewport == "phone" else symbol.click()
    popup = page.locator(".symbol-popup")
    expect(popup).to_contain_text(place["label"])
    expect(page.locator(".leaflet-popup")).to_have_css("opacity", "1")  # faded in: audit it now
    audit(page, "monitoring with a symbol's popup")
    popup.get_by_role("link", name=t("Public opinion in this place")).click()
    expect(page).to_have_url(re.compile(rf"/office/monitoring/\?unit={place['code']}&period=30$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(
        t("Public opinion · %(unit)s", unit=place["name"])
    )
    expect(page.locator(".place-symbol")).to_have_count(1)
    audit(page, "a commune's monitoring")
    screenshot(page, f"monitoring-commune-{viewport}")

    assert not audit.found, "\n\n".join(audit.found)
    assert not tile_requests, tile_requests  # no tile server configured: nothing fetched


def _no_table_scrolls(page: Any) -> None:
    """Every column is in view: on a phone the alerts' tables read as cards, nothing cut to scroll to."""
    widths = page.locator(".table-wrap").evaluate_all("els => els.map(e => [e.scrollWidth, e.clientWidth])")
    assert all(scroll <= client + 1 for scroll, client in widths), widths
    # Nor the page itself (the odds of a very small p-value were a 40-digit number).
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
