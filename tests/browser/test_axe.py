"""WCAG 2.1 AA checks with axe-core (from the npm registry) on every citizen page, phone and desktop."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page

from petitions.services import petition_submit
from routing import services
from tests.browser.conftest import DESKTOP, PHONE, NewContext
from tests.conftest import Tree, make_staff

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def violations(page: Page) -> list[dict[str, Any]]:
    if not AXE.exists():
        pytest.fail(f"axe-core is missing at {AXE}: run `npm ci` (make test does)")
    # Evaluated, not injected as a <script>: the site's CSP rightly allows only its own scripts.
    page.evaluate(AXE.read_text())
    result: list[dict[str, Any]] = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}}).then(r => r.violations)", TAGS
    )
    return result


def describe(found: list[dict[str, Any]]) -> str:
    lines = []
    for v in found:
        targets = ", ".join(str(node["target"]) for node in v["nodes"][:5])
        lines.append(f"{v['id']} ({v['impact']}): {v['help']} — {targets}")
    return "\n".join(lines)


@pytest.fixture
def responded_case(portal: Tree) -> Any:
    officer = make_staff(portal.hoan_kiem, username="a11y.officer")
    leader = make_staff(portal.hoan_kiem, "leader", username="a11y.leader")
    from petitions.models import Category

    result = petition_submit(
        category=Category.objects.get(code="environment"),
        commune=portal.hoan_kiem,
        phone="0912 345 678",
        submitter_name="Nguyễn Văn An",
        title="Rác thải ùn ứ trên phố Hàng Bông",
        text="Rác thải sinh hoạt không được thu gom ba ngày nay, gây mùi hôi.",
        consent_publish=True,
    )
    case = result.petition.case
    services.case_accept(case_id=case.pk, actor=officer)
    services.case_submit_response(case_id=case.pk, actor=officer, text="Đã thu gom xong, sẽ tăng tần suất.")
    services.case_approve(case_id=case.pk, actor=leader)
    return result


@pytest.mark.parametrize("device", ["phone", "desktop"])
def test_citizen_pages_have_no_wcag_aa_violations(
    new_context: NewContext, responded_case: Any, device: str
) -> None:
    context = new_context(**(PHONE if device == "phone" else DESKTOP))
    page = context.new_page()
    found: dict[str, str] = {}

    def check(name: str) -> None:
        result = violations(page)
        if result:
            found[name] = describe(result)

    for path in ("/", "/en/", "/submit/", "/track/", "/statistics/"):
        page.goto(path)
        check(path)

    page.goto("/en/submit/")
    page.locator("button.button-primary.button-large").click()
    page.locator("#error-summary").wait_for()
    check("submit with errors")

    page.goto("/track/")
    page.fill("#id_code", "PA-26-ZZZZZZ")
    page.fill("#id_phone", "0987654321")
    page.locator("form button.button-primary").click()
    page.locator("#error-summary").wait_for()
    check("track not found")

    page.goto(f"/t/{responded_case.token}/")
    page.locator("#feedback").wait_for()
    check("case page with the feedback form")

    assert not found, "\n\n".join(f"{name}:\n{text}" for name, text in found.items())


def test_the_receipt_page_has_no_wcag_aa_violations(new_context: NewContext, portal: Tree) -> None:
    page = new_context().new_page()
    page.goto("/submit/")
    page.select_option("#id_category", label="Môi trường, vệ sinh")
    page.select_option("#id_province", "P01")
    page.locator("#id_commune option[value=W00070]").wait_for(state="attached")
    page.select_option("#id_commune", "W00070")
    page.fill("#id_title", "Đèn đường hỏng")
    page.fill("#id_text", "Ba cột đèn đường không sáng từ tuần trước.")
    page.fill("#id_submitter_name", "Trần Thị Bình")
    page.fill("#id_phone", "0912345678")
    page.locator("button.button-primary.button-large").click()
    page.locator("#tracking-code").wait_for()
    result = violations(page)
    assert not result, describe(result)
