"""The maps of places: monitoring's proportional symbols lead down to a place, and the public map of
published petitions shows communes only, on a phone and on a desktop (no tiles: offline), with axe."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.utils import translation
from playwright.sync_api import BrowserContext, Page, expect

from petitions.models import Category
from petitions.services import SubmissionResult
from routing import services
from routing.models import Role
from tests.browser.conftest import DESKTOP, PHONE, NewContext, Screenshot, t
from tests.conftest import Tree, file_petition, make_staff
from tests.routing.test_geodata import place_units

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = Path(settings.BASE_DIR) / "node_modules" / "axe-core" / "axe.min.js"
VIEWPORTS = {"phone": PHONE, "desktop": DESKTOP}


def _assert_no_axe_violations(page: Page) -> None:
    page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
        ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"],
    )
    violations = [(v["id"], [n["target"] for n in v["nodes"]]) for v in result["violations"]]
    assert not violations, violations


def _submit(portal: Tree, commune: Any, **extra: Any) -> SubmissionResult:
    return file_petition(
        category=Category.objects.get(code="environment"),
        commune=commune,
        phone="0912 345 678",
        submitter_name="Nguyễn Văn An",
        title="Rác thải ùn ứ trên phố",
        text="Rác thải sinh hoạt không được thu gom ba ngày nay.",
        notify=False,
        **extra,
    )


def _signed_in(context: BrowserContext, user: Any, live_server: Any) -> None:
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": cookie.value, "url": live_server.url}]
    )


def _plural(singular: str, plural: str, *, n: int, **values: Any) -> str:
    """A plural message as the Vietnamese page shows it."""
    with translation.override("vi"):
        return translation.ngettext(singular, plural, n) % {"n": n, **values}


def _radius(symbol: Any) -> float:
    """A circle's radius in pixels, from its SVG path ("M x,y a r,r 0 1,0 ..."): not disturbed by zooming."""
    found = re.search(r"a([\d.]+),", symbol.get_attribute("d") or "")
    assert found, symbol.get_attribute("d")
    return float(found.group(1))


def _click(page: Page, symbol: Any, viewport: str) -> None:
    if viewport == "phone":
        symbol.tap()
    else:
        symbol.click()


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_a_leader_drills_down_from_a_province_symbol_to_its_communes(
    viewport: str, new_context: NewContext, portal: Tree, live_server: Any, screenshot: Screenshot
) -> None:
    place_units(portal.hanoi, portal.hcm, portal.hoan_kiem, portal.cua_nam, portal.ben_thanh)
    for _n in range(3):
        _submit(portal, portal.hoan_kiem)
    _submit(portal, portal.cua_nam)
    _submit(portal, portal.ben_thanh)
    context = new_context(**VIEWPORTS[viewport])
    _signed_in(context, make_staff(portal.central, Role.LEADER), live_server)
    page = context.new_page()
    tile_requests: list[str] = []
    page.on("request", lambda request: tile_requests.append(request.url) if "tile" in request.url else None)

    page.goto("/office/monitoring/")
    place_map = page.get_by_role(
        "region", name=t("Map of petitions per place; the list below has the same numbers and links")
    )
    expect(place_map).to_be_visible()
    symbols = place_map.locator(".place-symbol")
    expect(symbols).to_have_count(2)
    hanoi, hcm = (place_map.locator(f".place-symbol[data-code='{code}']") for code in ("P01", "P79"))
    # Areas proportional to the counts: 4 petitions against 1, twice the radius.
    assert _radius(hanoi) == pytest.approx(2 * _radius(hcm), abs=1)  # whole pixels
    _assert_no_axe_violations(page)
    screenshot(page, f"monitoring-map-{viewport}")

    _click(page, hanoi, viewport)
    popup = page.locator(".symbol-popup")
    expect(popup).to_contain_text(
        _plural("%(place)s: %(n)s petition", "%(place)s: %(n)s petitions", place="Thành phố Hà Nội", n=4)
    )
    expect(popup.get_by_role("link", name=t("Cases at this unit"))).to_have_attribute(
        "href", re.compile(r"/office/units/P01/cases/\?since=")
    )
    # Leaflet fades the popup in: audit it once it is opaque.
    expect(page.locator(".leaflet-popup")).to_have_css("opacity", "1")
    _assert_no_axe_violations(page)
    popup.get_by_role("link", name=t("Public opinion in this place")).click()
    expect(page).to_have_url(re.compile(r"/office/monitoring/\?unit=P01&period=30$"))

    # The province's page: its communes, Hoàn Kiếm three times Cửa Nam's area.
    symbols = page.locator(".place-symbol")
    expect(symbols).to_have_count(2)
    hoan_kiem, cua_nam = (page.locator(f".place-symbol[data-code='{code}']") for code in ("W00070", "W00073"))
    assert _radius(hoan_kiem) == pytest.approx(3**0.5 * _radius(cua_nam), abs=1)  # whole pixels
    assert not tile_requests, tile_requests


def _answered(portal: Tree, commune: Any, latitude: Decimal, longitude: Decimal) -> None:
    case_id = _submit(
        portal, commune, consent_publish=True, latitude=latitude, longitude=longitude
    ).petition.case.pk
    officer = make_staff(commune)
    services.case_accept(case_id=case_id, actor=officer)
    services.case_submit_response(case_id=case_id, actor=officer, text="Đã thu gom rác ngày 12/5.")
    services.case_approve(case_id=case_id, actor=make_staff(commune, Role.LEADER))


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_the_public_map_shows_published_petitions_by_commune(
    viewport: str, new_context: NewContext, portal: Tree, screenshot: Screenshot
) -> None:
    place_units(portal.hanoi, portal.hcm, portal.hoan_kiem, portal.ben_thanh)
    for unit in (portal.hoan_kiem, portal.ben_thanh):
        unit.refresh_from_db()
        assert unit.latitude is not None and unit.longitude is not None
        _answered(portal, unit, unit.latitude + Decimal("0.002468"), unit.longitude - Decimal("0.001357"))
    page = new_context(**VIEWPORTS[viewport]).new_page()
    page.goto("/statistics/")
    public_map = page.get_by_role(
        "region", name=t("Map of published petitions by commune; the same numbers are in the table below it")
    )
    expect(public_map).to_be_visible()
    expect(public_map.locator(".place-symbol")).to_have_count(2)
    assert "0.002468" not in page.content()
    hoan_kiem = public_map.locator(".place-symbol[data-code='W00070']")
    hoan_kiem.hover() if viewport == "desktop" else hoan_kiem.tap()
    expect(page.locator(".leaflet-tooltip")).to_have_text(
        _plural(
            "%(place)s: %(n)s published petition",
            "%(place)s: %(n)s published petitions",
            place="Phường Hoàn Kiếm, Thành phố Hà Nội",
            n=1,
        )
    )
    page.get_by_text(t("Show as a table")).last.click()
    expect(page.get_by_role("row", name=re.compile("Phường Bến Thành"))).to_be_visible()
    _assert_no_axe_violations(page)
    screenshot(page, f"statistics-map-{viewport}")
