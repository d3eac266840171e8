"""axe-core finds no WCAG 2.1 A/AA violations on the citizen pages, on a phone and on a desktop."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from PIL import Image
from playwright.sync_api import Page, expect

from petitions.grants import TRACKED_SESSION_KEY
from petitions.models import Category
from petitions.services import SubmissionResult
from portal.views import RECEIPT_SESSION_KEY
from routing import services
from routing.models import Role
from tests.browser.conftest import DESKTOP, PHONE, NewContext, Screenshot, t
from tests.conftest import Tree, file_petition, make_staff

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = Path(settings.BASE_DIR) / "node_modules" / "axe-core" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
VIEWPORTS = {"phone": PHONE, "desktop": DESKTOP}


@pytest.fixture(scope="module")
def axe_source() -> str:
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run `npm ci` (make test does it)")
    return AXE.read_text(encoding="utf-8")


@dataclass
class World:
    tree: Tree
    submitted: SubmissionResult  # a fresh petition, for the receipt page
    responded: SubmissionResult  # answered and waiting for the citizen's rating
    files: Path  # a scratch directory


def _submit(tree: Tree, **overrides: Any) -> SubmissionResult:
    fields: dict[str, Any] = {
        "category": Category.objects.get(code="environment"),
        "commune": tree.hoan_kiem,
        "phone": "0912 345 678",
        "submitter_name": "Nguyễn Văn An",
        "title": "Rác thải ùn ứ trên phố Hàng Bông",
        "text": "Rác thải sinh hoạt không được thu gom ba ngày nay, gây mùi hôi.",
    }
    return file_petition(**{**fields, **overrides})


@pytest.fixture
def world(portal: Tree, tmp_path: Path) -> World:
    submitted = _submit(portal, address="12 Hàng Bông")
    responded = _submit(portal, title="Đèn đường hỏng trên phố Hàng Gai", consent_publish=True)
    officer = make_staff(portal.hoan_kiem)
    case_id = responded.petition.case.pk
    services.case_accept(case_id=case_id, actor=officer)
    services.case_submit_response(
        case_id=case_id, actor=officer, text="Điện lực Hoàn Kiếm đã thay bóng đèn ngày 12/5."
    )
    services.case_approve(case_id=case_id, actor=make_staff(portal.hoan_kiem, Role.LEADER))
    return World(portal, submitted, responded, tmp_path)


def _receipt(page: Page, world: World) -> None:
    # The receipt belongs to the browser that sent the form: give this browser that session.
    store = importlib.import_module(settings.SESSION_ENGINE).SessionStore()
    petition = world.submitted.petition
    store[TRACKED_SESSION_KEY] = [petition.pk]
    store[RECEIPT_SESSION_KEY] = {"code": petition.tracking_code, "token": world.submitted.token}
    store.save()
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": store.session_key, "url": settings.PUBLIC_BASE_URL}]
    )
    page.goto("/submit/received/")
    expect(page.locator("#tracking-code")).to_have_text(petition.tracking_code)


def _submit_with_errors(page: Page, world: World) -> None:
    page.goto("/submit/")
    page.get_by_role("button", name=t("Send petition")).click()
    expect(page.locator("#error-summary")).to_be_visible()


def _submit_with_errors_and_a_photo(page: Page, world: World) -> None:
    # Topic and province chosen, a photo attached, the rest forgotten: the photo waits, staged.
    photo = world.files / "photo.jpg"
    Image.new("RGB", (320, 240), (90, 140, 60)).save(photo, "JPEG")
    page.goto("/submit/")
    page.locator("#id_category").select_option(str(Category.objects.get(code="environment").pk))
    page.locator("#id_province").select_option(world.tree.hanoi.code)
    page.locator("#id_photos").set_input_files(photo)
    page.get_by_role("button", name=t("Send petition")).click()
    expect(page.locator("#error-summary")).to_be_visible()
    expect(page.locator(".staged img")).to_be_visible()


def _track_not_found(page: Page, world: World) -> None:
    page.goto("/track/")
    page.locator("#id_code").fill("PA-26-ZZZZZZ")
    page.locator("#id_phone").fill("0912 345 678")
    page.get_by_role("button", name=t("Find my petition")).click()
    expect(page.locator("#error-summary")).to_be_visible()


def _responded_case(page: Page, world: World) -> None:
    page.goto(f"/t/{world.responded.token}/")
    expect(page.locator("#feedback form")).to_be_visible()


def _opener(path: str) -> Callable[[Page, World], None]:
    def open_page(page: Page, world: World) -> None:
        page.goto(path)

    return open_page


PAGES: dict[str, Callable[[Page, World], None]] = {
    "home": _opener("/"),
    "home-en": _opener("/en/"),
    "submit": _opener("/submit/"),
    "submit-errors": _submit_with_errors,
    "submit-errors-photo": _submit_with_errors_and_a_photo,
    "receipt": _receipt,
    "track": _opener("/track/"),
    "track-not-found": _track_not_found,
    "case-responded": _responded_case,
    "statistics": _opener("/statistics/"),
}


def _describe(violations: list[dict[str, Any]]) -> str:
    lines = []
    for violation in violations:
        lines.append(
            f"{violation['id']} [{violation['impact']}] {violation['help']} ({violation['helpUrl']})"
        )
        for node in violation["nodes"]:
            target = " ".join(str(part) for part in node["target"])
            summary = " ".join(node.get("failureSummary", "").split())
            lines.append(f"    {target}: {summary}")
    return "\n".join(lines)


@pytest.mark.parametrize("viewport", VIEWPORTS)
@pytest.mark.parametrize("name", PAGES)
def test_page_has_no_wcag21_aa_violations(
    name: str, viewport: str, new_context: NewContext, world: World, axe_source: str, screenshot: Screenshot
) -> None:
    page = new_context(**VIEWPORTS[viewport]).new_page()
    PAGES[name](page, world)
    screenshot(page, viewport)
    # Evaluated through the DevTools protocol, so the page's CSP (own scripts only) stays on.
    page.evaluate(axe_source)
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
        WCAG_TAGS,
    )
    # The audit really ran with these rules on this page.
    assert any(rule["id"] == "html-has-lang" for rule in result["passes"]), result["passes"]
    violations = result["violations"]
    assert not violations, f"{name} at {viewport} width:\n{_describe(violations)}"
