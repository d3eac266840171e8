"""Live updates in the browser: pages change the moment a change commits, without a reload.

A citizen's tracking page and an officer's inbox stay open while the officer acts in another
tab and another citizen files a petition from a third browser. Everything goes through daphne
(``asgi_server``): HTTP for the pages and forms, WebSockets for the pushes. Changes are made
through the browsers, not by calling services from the test: the in-memory channel layer only
reaches sockets from inside the server's event loop, as in production.
"""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from petitions.models import Category, Petition
from petitions.services import Submission, petition_submit
from routing.models import Case, CaseState
from tests.browser.conftest import DESKTOP, Daphne, NewContext, Screenshot, t
from tests.conftest import Tree, make_staff

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "x-Strong-pass-42"
TITLE = "Rác thải ùn ứ trên phố Hàng Bông"
NEW_TITLE = "Cây đổ chắn ngang phố Hàng Gai"
#: "Within a second or two" (milliseconds): the time a page has to show a change without reload.
LIVE = 2_000


@pytest.fixture
def server_url(asgi_server: Daphne) -> str:
    return asgi_server.url


def _live(page: Page) -> Any:
    return page.locator(".live-status")


def _wait_until_listening(page: Page) -> None:
    expect(_live(page)).to_have_attribute("data-live-state", "open")


def _mark(page: Page) -> None:
    """Leave a mark in the page's memory: gone if the page reloads."""
    page.evaluate("window.__notReloaded = true")


def _not_reloaded(page: Page) -> bool:
    return bool(page.evaluate("window.__notReloaded === true"))


def _tab(page: Page, label: str) -> Any:
    return page.get_by_role("navigation", name=t("Inbox tabs")).get_by_role(
        "link", name=re.compile(rf"^{re.escape(t(label))} \d+$")
    )


def test_the_citizens_page_and_the_officers_inbox_change_without_a_reload(
    new_context: NewContext, portal: Tree, screenshot: Screenshot
) -> None:
    officer = make_staff(portal.hoan_kiem, username="can_bo_hk", first_name="Lan", last_name="Trần")
    environment = Category.objects.get(code="environment")
    submission = petition_submit(
        submission=Submission(
            category=environment,
            commune=portal.hoan_kiem,
            phone="0912 345 678",
            submitter_name="Nguyễn Văn An",
            title=TITLE,
            text="Rác thải sinh hoạt không được thu gom ba ngày nay, gây mùi hôi cho cả phố.",
        )
    )
    code = submission.petition.tracking_code
    case: Case = submission.petition.case

    # The citizen opens the private link and keeps the tracking page open.
    citizen = new_context().new_page()
    citizen.goto(f"/t/{submission.token}/")
    expect(citizen).to_have_url(re.compile(rf"/track/{code}/$"))
    expect(citizen.locator("#status-title .badge")).to_have_text(t(CaseState.SUBMITTED.label))
    _wait_until_listening(citizen)
    _mark(citizen)

    # The officer signs in and keeps the inbox open in one tab ...
    office = new_context(**DESKTOP)
    inbox = office.new_page()
    inbox.goto("/office/login/")
    inbox.get_by_label(t("Username")).fill(officer.username)
    inbox.get_by_label(t("Password")).fill(PASSWORD)
    inbox.get_by_role("button", name=t("Sign in")).click()
    expect(inbox).to_have_url(re.compile(r"/office/$"))
    expect(_tab(inbox, "To triage")).to_have_text(f"{t('To triage')} 1")
    _wait_until_listening(inbox)
    _mark(inbox)
    # Connecting fetched the snapshot once; nothing had changed, so nothing was announced.
    inbox.wait_for_timeout(500)
    expect(_live(inbox)).to_have_text("")
    # The officer ticks the case for a bulk action, then deals with it on its own instead.
    ticked = inbox.locator(f"#select-{case.pk}")
    ticked.check()
    seen_as = ticked.input_value()

    # ... and accepts the case in another.
    desk = office.new_page()
    desk.goto(f"/office/cases/{case.pk}/")
    panel = desk.locator("details.action").filter(
        has=desk.locator("summary", has_text=t("Accept and assign"))
    )
    panel.locator("summary").click()
    started = time.monotonic()
    panel.get_by_role("button", name=f"{t('Confirm')}: {t('Accept and assign')}").click()

    # The citizen's page shows it, without a reload, and says so politely.
    expect(citizen.locator("#status-title .badge")).to_have_text(t(CaseState.IN_PROGRESS.label), timeout=LIVE)
    citizen_seconds = time.monotonic() - started
    expect(citizen.locator("#timeline li").last).to_contain_text(
        t("Accepted for handling by %(unit)s.", unit="Phường Hoàn Kiếm"), timeout=LIVE
    )
    expect(_live(citizen)).to_have_text(t("Updated just now."), timeout=LIVE)
    assert _not_reloaded(citizen)
    screenshot(citizen, "citizen-updated-live")

    # The inbox moved the case from "To triage" to "Mine".
    expect(_tab(inbox, "To triage")).to_have_text(f"{t('To triage')} 0", timeout=LIVE)
    expect(_tab(inbox, "Mine")).to_have_text(f"{t('Mine')} 1", timeout=LIVE)
    expect(inbox.locator("table.inbox tbody")).to_contain_text(t("No cases here."), timeout=LIVE)
    expect(_live(inbox)).to_have_text(
        f"{t('Updated just now.')} {t('A case you ticked changed or left this list: it stays selected as you saw it, and the results will say it was left alone.')}"
    )
    # The case left the list, but not the selection: the bulk form still sends it as the officer saw
    # it, so the results page reports it as left alone instead of dropping it unseen.
    kept = inbox.locator("form.bulk input[type=hidden][name=cases]")
    expect(kept).to_have_count(1)
    assert kept.input_value() == seen_as

    # Meanwhile another citizen files a petition from their phone.
    other = new_context().new_page()
    other.goto("/submit/")
    other.locator("#id_category").select_option(str(environment.pk))
    other.locator("#id_province").select_option("P01")
    other.locator("#id_commune").select_option("W00070")
    other.locator("#id_title").fill(NEW_TITLE)
    other.locator("#id_text").fill("Một cây lớn đổ chắn ngang phố Hàng Gai sau cơn giông tối qua.")
    other.locator("#id_submitter_name").fill("Phạm Thị Mai")
    other.locator("#id_phone").fill("0987 654 321")
    started = time.monotonic()
    other.get_by_role("button", name=t("Send petition")).click()

    # The officer's inbox lists it, without a reload.
    row = inbox.locator("table.inbox tbody tr").filter(has_text=NEW_TITLE)
    expect(row).to_have_count(1, timeout=LIVE)
    inbox_seconds = time.monotonic() - started
    expect(_tab(inbox, "To triage")).to_have_text(f"{t('To triage')} 1")
    new_code = Petition.objects.get(title=NEW_TITLE).tracking_code
    expect(row.get_by_role("link", name=new_code)).to_be_visible()
    expect(_live(inbox)).to_have_text(t("Updated just now."))
    assert _not_reloaded(inbox)
    screenshot(inbox, "inbox-updated-live")

    # Only the petition's own page heard of it: the first citizen's page is as it was.
    assert _not_reloaded(citizen)
    expect(citizen.locator("#timeline li")).to_have_count(2)
    print(f"live update seen after {citizen_seconds:.2f} s (citizen), {inbox_seconds:.2f} s (inbox)")


def test_a_page_without_websocket_support_still_works_with_reloads(
    new_context: NewContext, portal: Tree
) -> None:
    submission = petition_submit(
        submission=Submission(
            category=Category.objects.get(code="environment"),
            commune=portal.hoan_kiem,
            phone="0912 345 678",
            submitter_name="Nguyễn Văn An",
            title=TITLE,
            text="Rác thải sinh hoạt không được thu gom ba ngày nay, gây mùi hôi cho cả phố.",
        )
    )
    context = new_context()
    context.add_init_script("delete window.WebSocket;")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"/t/{submission.token}/")
    expect(page.locator("#status-title .badge")).to_have_text(t(CaseState.SUBMITTED.label))
    page.wait_for_load_state("networkidle")
    expect(_live(page)).not_to_have_attribute("data-live-state", re.compile("."))
    expect(_live(page)).to_have_text("")
    assert errors == []
