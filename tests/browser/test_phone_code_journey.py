"""On a phone: "My petitions" and co-signing with an SMS code, accessible (axe) and without JavaScript."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import Page, expect

from notifications.models import Notification
from notifications.transports.sms import LocmemSmsBackend
from petitions.models import Category, CoSigner
from routing.models import CaseState
from tests.browser.conftest import NewContext, Screenshot, t
from tests.browser.test_map_point import _assert_no_axe_violations
from tests.conftest import Tree, file_petition, shape


def _code_sent_to(phone: str) -> str:
    codes = {
        f"notification-{pk}"
        for pk in Notification.objects.filter(template="phone_code").values_list("pk", flat=True)
    }
    sms = [m for m in LocmemSmsBackend.outbox if m.to == phone and m.reference in codes][-1]
    [code] = re.findall(r"\b\d{6}\b", sms.body)
    return code


def _file(portal: Tree, **fields: Any) -> Any:
    return file_petition(
        category=Category.objects.get(code="environment"),
        commune=portal.hoan_kiem,
        phone="0912 345 678",
        submitter_name="Nguyễn Văn An",
        title="Rác thải ùn ứ trên phố Hàng Bông",
        text="Rác thải sinh hoạt không được thu gom ba ngày nay, gây mùi hôi.",
        **fields,
    ).petition


def _no_horizontal_scroll(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_a_citizen_sees_their_petitions_after_an_sms_code(
    new_context: NewContext, portal: Tree, screenshot: Screenshot
) -> None:
    mine = _file(portal)
    page = new_context(java_script_enabled=False).new_page()
    page.goto("/")
    page.get_by_role("navigation", name=t("Main")).get_by_role("link", name=t("My petitions")).click()
    page.get_by_label(t("Your phone number")).fill("0912 345 678")
    page.get_by_role("button", name=t("Send me a code")).click()
    expect(page.get_by_label(t("Code from the SMS"))).to_be_visible()
    page.get_by_label(t("Code from the SMS")).fill(_code_sent_to("+84912345678"))
    page.get_by_role("button", name=t("See my petitions")).click()
    expect(page.get_by_role("link", name=mine.title)).to_be_visible()
    _no_horizontal_scroll(page)
    screenshot(page, "my-petitions")
    page.get_by_role("link", name=mine.title).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(mine.title)
    page.goto("/my/")
    page.get_by_role("button", name=t("Sign out of my petitions")).click()
    expect(page.get_by_label(t("Your phone number"))).to_be_visible()


def test_the_phone_code_pages_have_no_accessibility_violations(new_context: NewContext, portal: Tree) -> None:
    petition = _file(portal, consent_publish=True)
    shape(petition.case, state=CaseState.IN_PROGRESS)  # accepted by its unit: published
    page = new_context().new_page()
    for url in ("/my/", "/petitions/", f"/petitions/{petition.tracking_code}/"):
        page.goto(url)
        _assert_no_axe_violations(page)
    page.goto("/my/")
    page.get_by_role("button", name=t("Send me a code")).click()  # empty: errors linked to the field
    expect(page.locator("#error-summary")).to_be_visible()
    _assert_no_axe_violations(page)
    page.get_by_label(t("Your phone number")).fill("0912 345 678")
    page.get_by_role("button", name=t("Send me a code")).click()
    _assert_no_axe_violations(page)


def test_a_citizen_cosigns_a_published_petition_on_a_phone(
    new_context: NewContext, portal: Tree, screenshot: Screenshot
) -> None:
    petition = _file(portal, consent_publish=True)
    shape(petition.case, state=CaseState.IN_PROGRESS)  # accepted by its unit: published
    page = new_context(java_script_enabled=False).new_page()
    page.goto("/petitions/")
    page.get_by_role("link", name=petition.title).click()
    page.get_by_label(t("Your phone number")).fill("0987 654 321")
    page.get_by_label(t("Send me an SMS when the response is published.")).check()
    page.get_by_role("button", name=t("Send me a code to co-sign")).click()
    page.get_by_label(t("Code from the SMS")).fill(_code_sent_to("+84987654321"))
    page.get_by_role("button", name=t("Co-sign"), exact=True).click()
    expect(page.get_by_text(t("Thank you: your co-signature was recorded."))).to_be_visible()
    _no_horizontal_scroll(page)
    screenshot(page, "cosigned")
    [row] = CoSigner.objects.all()
    assert row.phone == "+84987654321" and row.notify
