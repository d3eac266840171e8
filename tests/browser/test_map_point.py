"""Filing a petition with a point picked on the map, on a phone and on a desktop (no tiles: offline)."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from playwright.sync_api import Page, expect

from petitions.models import Category, Petition
from routing.geodata import commune_nearest
from tests.browser.conftest import DESKTOP, PHONE, NewContext, Screenshot, t
from tests.conftest import Tree
from tests.routing.test_geodata import place_units

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = Path(settings.BASE_DIR) / "node_modules" / "axe-core" / "axe.min.js"
VIEWPORTS = {"phone": PHONE, "desktop": DESKTOP}


def _point(page: Page) -> tuple[Decimal, Decimal]:
    return (
        Decimal(page.locator("#id_latitude").input_value()),
        Decimal(page.locator("#id_longitude").input_value()),
    )


def _assert_no_axe_violations(page: Page) -> None:
    page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
        ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"],
    )
    violations = [(v["id"], [n["target"] for n in v["nodes"]]) for v in result["violations"]]
    assert not violations, violations


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_citizen_files_a_petition_with_a_point_picked_on_the_map(
    viewport: str, new_context: NewContext, portal: Tree, screenshot: Screenshot
) -> None:
    place_units(portal.hanoi, portal.hcm, portal.hoan_kiem, portal.cua_nam, portal.ben_thanh)
    page = new_context(**VIEWPORTS[viewport]).new_page()
    refused: list[str] = []
    page.on("console", lambda message: refused.append(message.text) if message.type == "error" else None)
    tile_requests: list[str] = []
    page.on("request", lambda request: tile_requests.append(request.url) if "tile" in request.url else None)

    page.goto("/submit/")
    page.locator("#id_category").select_option(str(Category.objects.get(code="environment").pk))
    page.locator("#id_province").select_option("P01")
    expect(page.locator("#id_commune option")).to_have_count(3)  # the communes have loaded
    page.get_by_text(t("Add the exact location (optional)")).click()
    point_map = page.get_by_role("region", name=t("Map for choosing the location"))
    expect(point_map).to_be_visible()

    # A tap (a click on the desktop) in the middle of the map, which shows Hà Nội.
    box = point_map.bounding_box()
    assert box is not None
    middle = {"x": box["width"] / 2, "y": box["height"] / 2}
    if viewport == "phone":
        point_map.tap(position=middle)
    else:
        point_map.click(position=middle)
    expect(page.locator("#id_latitude")).not_to_have_value("")
    picked = _point(page)
    expected = commune_nearest(latitude=picked[0], longitude=picked[1], province=portal.hanoi)
    assert expected is not None
    # The commune was empty: the point chose it, and says so.
    expect(page.locator("#id_commune")).to_have_value(expected.commune.code)
    # In the page's language (these words were shown in English on the Vietnamese page).
    chosen = t("{commune} was chosen from the point. Check it in the list above.")
    expect(page.locator("#point-suggestion")).to_contain_text(chosen.format(commune=expected.commune.name))

    # Dragging the marker moves the point.
    marker = page.get_by_alt_text(t("The chosen location"))
    expect(marker).to_be_visible()
    marker_box = marker.bounding_box()
    assert marker_box is not None
    x, y = marker_box["x"] + marker_box["width"] / 2, marker_box["y"] + marker_box["height"] - 4
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 30, y + 20, steps=5)
    page.mouse.up()
    expect(page.locator("#id_longitude")).not_to_have_value(str(picked[1]))
    dragged = _point(page)
    assert dragged[1] > picked[1] and dragged[0] < picked[0]  # east and south

    # axe: the map and its controls pass WCAG 2.1 AA.
    _assert_no_axe_violations(page)
    screenshot(page, f"map-point-{viewport}")

    page.locator("#id_title").fill("Ổ gà lớn giữa đường")
    page.locator("#id_text").fill("Ổ gà sâu giữa đường gây nguy hiểm cho xe máy vào buổi tối.")
    page.locator("#id_submitter_name").fill("Nguyễn Văn An")
    page.locator("#id_phone").fill("0912 345 678")
    page.get_by_role("button", name=t("Send petition")).click()
    expect(page).to_have_url(re.compile(r"/submit/received/$"))

    petition = Petition.objects.get()
    assert (petition.latitude, petition.longitude) == dragged
    assert petition.commune is not None and petition.commune.parent == portal.hanoi

    # The citizen's case page shows their own point, on a map with its marker.
    page.locator("#tracking-link").click()
    case_map = page.get_by_role("region", name=t("Map of the petition's location"))
    expect(case_map).to_be_visible()
    expect(page.get_by_alt_text(t("The petition's location"))).to_be_visible()
    expect(page.locator(".case-point .coords")).to_have_text(f"{dragged[0]}, {dragged[1]}")
    _assert_no_axe_violations(page)
    screenshot(page, f"case-point-{viewport}")
    assert not tile_requests, tile_requests  # no tile server configured: nothing fetched
    assert not [text for text in refused if "Content Security Policy" in text], refused


def test_the_number_boxes_move_the_marker_and_work_without_the_map(
    new_context: NewContext, portal: Tree
) -> None:
    place_units(portal.hanoi, portal.hoan_kiem, portal.cua_nam)
    page = new_context(**DESKTOP).new_page()
    page.goto("/submit/")
    page.get_by_text(t("Add the exact location (optional)")).click()
    marker = page.get_by_alt_text(t("The chosen location"))
    expect(marker).to_have_count(0)
    page.locator("#id_latitude").fill(str(portal.cua_nam.latitude))
    page.locator("#id_longitude").fill(str(portal.cua_nam.longitude))
    page.locator("#id_longitude").press("Tab")
    expect(marker).to_be_visible()
    # Typed, the point says which commune it is in, as a tap does (the province was not chosen yet).
    chosen = t("{commune} was chosen from the point. Check it in the list above.")
    expect(page.locator("#point-suggestion")).to_contain_text(chosen.format(commune=portal.cua_nam.name))
    expect(page.locator("#id_commune")).to_have_value(portal.cua_nam.code)


def test_the_officer_picks_the_point_on_the_map(
    new_context: NewContext, portal: Tree, live_server: Any
) -> None:
    from tests.conftest import make_staff

    place_units(portal.hanoi, portal.hoan_kiem, portal.cua_nam)
    officer = make_staff(portal.hoan_kiem)
    context = new_context(**DESKTOP)
    page = context.new_page()
    from django.test import Client

    client = Client()
    client.force_login(officer)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": cookie.value, "url": live_server.url}]
    )
    page.goto("/office/petitions/new/")
    page.get_by_text(t("Add the exact location (optional)")).click()
    point_map = page.get_by_role("region", name=t("Map for choosing the location"))
    point_map.click()
    expect(page.locator("#id_latitude")).not_to_have_value("")
    expect(page.locator("#point-suggestion")).not_to_be_empty()
