"""The back office end to end: an officer triages and answers, a leader approves, the citizen reads it.

Real sign-in forms and passwords, the inbox tabs, the case desk's action forms; every office page
on the way is audited with axe-core like the citizen pages are in test_accessibility.py.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from petitions.models import Category
from petitions.services import Submission, petition_submit
from routing import services
from routing.models import Case, CaseState, Role
from tests.browser.conftest import DESKTOP, PHONE, NewContext, Screenshot, t
from tests.browser.test_accessibility import AXE, WCAG_TAGS, _describe
from tests.conftest import Tree, make_staff

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "x-Strong-pass-42"  # what make_staff gives every account
PHONE_NUMBER = "0912 345 678"
TITLE = "Rác thải ùn ứ trên phố Hàng Bông"
TEMPLATE_TEXT = "Ủy ban phường đã tiếp nhận và chỉ đạo đội vệ sinh môi trường xử lý."
ADDITION = "Rác trên phố Hàng Bông đã được thu gom sáng 12/5 và sẽ được thu hằng ngày."


class Audit:
    """Run axe-core on each page of the journey; collect violations and report them all at the end."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.found: list[str] = []

    def __call__(self, page: Page, name: str) -> None:
        # Evaluated through the DevTools protocol, so the page's CSP stays on.
        page.evaluate(self.source)
        result = page.evaluate(
            "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
            WCAG_TAGS,
        )
        assert any(rule["id"] == "html-has-lang" for rule in result["passes"]), name
        if result["violations"]:
            self.found.append(f"{name} ({page.url}):\n{_describe(result['violations'])}")


@pytest.fixture
def audit() -> Audit:
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run `npm ci` (make test does it)")
    return Audit(AXE.read_text(encoding="utf-8"))


def _sign_in(page: Page, username: str) -> None:
    page.goto("/office/login/")
    expect(page.get_by_role("heading", level=1)).to_have_text(t("Staff sign-in"))
    page.get_by_label(t("Username")).fill(username)
    page.get_by_label(t("Password")).fill(PASSWORD)
    page.get_by_role("button", name=t("Sign in")).click()
    expect(page).to_have_url(re.compile(r"/office/$"))


def _sign_out(page: Page) -> None:
    page.get_by_role("button", name=t("Sign out")).click()
    expect(page).to_have_url(re.compile(r"/office/login/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(t("Staff sign-in"))
    page.goto("/office/")
    expect(page).to_have_url(re.compile(r"/office/login/\?next=/office/$"))


def _tab(page: Page, label: str) -> Any:
    return page.get_by_role("navigation", name=t("Inbox tabs")).get_by_role(
        "link", name=re.compile(rf"^{re.escape(t(label))} \d+$")
    )


def _open_action(page: Page, label: str) -> Any:
    """Open an action's panel on the case desk; return the panel."""
    panel = page.locator("details.action").filter(
        has=page.locator("summary", has_text=re.compile(rf"^{re.escape(label)}$"))
    )
    expect(panel).to_have_count(1)
    if panel.get_attribute("open") is None:
        panel.locator("summary").click()
    expect(panel).to_have_attribute("open", "")
    return panel


def _sentence(message: str, **values: str) -> re.Pattern[str]:
    """The translated sentence with ``values`` filled in and any other placeholder matching anything."""
    pattern = re.escape(t(message))
    for name, value in values.items():
        pattern = pattern.replace(re.escape(f"%({name})s"), re.escape(value))
    return re.compile("^" + re.sub(r"%\\\(\w+\\\)s", ".+", pattern) + "$")


def _status(page: Page) -> Any:
    return page.locator("#state-title .badge")


def _message(page: Page) -> Any:
    return page.get_by_role("status").locator(".message")


def test_officer_answers_leader_approves_and_the_citizen_reads_the_response(
    new_context: NewContext, portal: Tree, audit: Audit, screenshot: Screenshot
) -> None:
    officer = make_staff(portal.hoan_kiem, username="can_bo_hk", first_name="Lan", last_name="Trần")
    leader = make_staff(
        portal.hoan_kiem, Role.LEADER, username="lanh_dao_hk", first_name="Minh", last_name="Lê"
    )
    template = services.response_template_save(
        actor=leader, title="Đã xử lý rác thải", text=TEMPLATE_TEXT, category=None
    )
    submission = petition_submit(
        submission=Submission(
            category=Category.objects.get(code="environment"),
            commune=portal.hoan_kiem,
            phone=PHONE_NUMBER,
            submitter_name="Nguyễn Văn An",
            title=TITLE,
            text="Rác thải sinh hoạt không được thu gom ba ngày nay, gây mùi hôi cho cả phố.",
            address="12 Hàng Bông",
        )
    )
    code = submission.petition.tracking_code
    case: Case = submission.petition.case

    # The citizen follows the private link first: waiting for triage.
    citizen = new_context().new_page()
    citizen.goto(f"/t/{submission.token}/")
    expect(citizen).to_have_url(re.compile(rf"/track/{code}/$"))
    expect(citizen.locator("#status-title .badge")).to_have_text(t(CaseState.SUBMITTED.label))

    # --- the commune officer triages and drafts -------------------------------------------
    office = new_context(**DESKTOP).new_page()
    office.goto("/office/login/")
    audit(office, "login")
    screenshot(office, "login")
    _sign_in(office, officer.username)
    expect(office.get_by_role("heading", level=1)).to_have_text(
        t("Inbox · %(unit)s", unit="Phường Hoàn Kiếm")
    )
    expect(office.locator(".who")).to_have_text("Lan Trần · Phường Hoàn Kiếm")
    expect(_tab(office, "To triage")).to_have_attribute("aria-current", "page")
    expect(_tab(office, "To triage")).to_have_text(f"{t('To triage')} 1")
    row = office.locator("table.inbox tbody tr").filter(has_text=code)
    expect(row).to_contain_text(TITLE)
    expect(row).to_contain_text(t(CaseState.SUBMITTED.label))
    audit(office, "inbox-triage")
    screenshot(office, "inbox-triage")

    row.get_by_role("link", name=code).click()
    expect(office).to_have_url(re.compile(rf"/office/cases/{case.pk}/$"))
    expect(office.get_by_role("heading", level=1)).to_have_text(TITLE)
    expect(_status(office)).to_have_text(t(CaseState.SUBMITTED.label))
    # The handling unit sees who wrote and can call them.
    contact = office.locator(".contact")
    expect(contact).to_contain_text("Nguyễn Văn An")
    expect(contact.locator('a[href="tel:+84912345678"]')).to_be_visible()
    accept = _open_action(office, t("Accept and assign"))
    expect(accept.get_by_label(t("Assign to"))).to_have_value(str(officer.pk))
    audit(office, "case-submitted-accept-open")
    screenshot(office, "case-accept")
    accept.get_by_role("button", name=f"{t('Confirm')}: {t('Accept and assign')}").click()

    expect(_message(office)).to_have_text(t("Done: %(action)s.", action=t("Accept and assign")))
    expect(_status(office)).to_have_text(t(CaseState.IN_PROGRESS.label))
    expect(office.locator(".facts")).to_contain_text("Lan Trần")
    respond = _open_action(office, t("Submit the response for approval"))
    draft = respond.get_by_label(t("Response to the citizen"))
    draft.fill(f"{ADDITION}\n\n")
    # With JavaScript the template goes in at the cursor and what was typed stays.
    respond.get_by_role("link", name=template.title).click()
    expect(draft).to_have_value(f"{ADDITION}\n\n{TEMPLATE_TEXT}")
    expect(office).not_to_have_url(re.compile(r"\?template="))
    audit(office, "case-in-progress-respond-open")
    screenshot(office, "case-draft")
    respond.get_by_role("button", name=f"{t('Confirm')}: {t('Submit the response for approval')}").click()

    expect(_message(office)).to_have_text(
        t("Done: %(action)s.", action=t("Submit the response for approval"))
    )
    expect(_status(office)).to_have_text(t(CaseState.PENDING_APPROVAL.label))
    expect(office.locator(".response")).to_contain_text(ADDITION)
    # The officer cannot approve their own draft.
    expect(
        office.locator("details.action summary", has_text=t("Approve and publish the response"))
    ).to_have_count(0)
    audit(office, "case-pending-officer")
    _sign_out(office)

    # The citizen sees that a draft waits for approval, not the draft itself.
    citizen.reload()
    expect(citizen.locator("#status-title .badge")).to_have_text(t(CaseState.PENDING_APPROVAL.label))
    expect(citizen.locator(".response-panel")).to_have_count(0)
    expect(citizen.get_by_text(ADDITION)).to_have_count(0)

    # --- the commune leader approves ------------------------------------------------------
    _sign_in(office, leader.username)
    _tab(office, "Waiting for approval").click()
    expect(_tab(office, "Waiting for approval")).to_have_attribute("aria-current", "page")
    row = office.locator("table.inbox tbody tr").filter(has_text=code)
    expect(row).to_contain_text(t(CaseState.PENDING_APPROVAL.label))
    expect(row).to_contain_text("Lan Trần")
    audit(office, "inbox-approval")
    screenshot(office, "inbox-approval")
    row.get_by_role("link", name=code).click()

    expect(_status(office)).to_have_text(t(CaseState.PENDING_APPROVAL.label))
    expect(office.locator(".response")).to_contain_text(ADDITION)
    approve = _open_action(office, t("Approve and publish the response"))
    audit(office, "case-pending-leader-approve-open")
    screenshot(office, "case-approve")
    approve.get_by_role("button", name=f"{t('Confirm')}: {t('Approve and publish the response')}").click()

    expect(_message(office)).to_have_text(
        t("Done: %(action)s.", action=t("Approve and publish the response"))
    )
    expect(_status(office)).to_have_text(t(CaseState.RESPONDED.label))
    # Nothing left for the office to do but add a note: the citizen has the next move.
    expect(office.locator("details.action:not(#add-note)")).to_have_count(0)
    audit(office, "case-responded")
    screenshot(office, "case-responded")
    _sign_out(office)

    # --- the citizen, in a new browser, finds it by code and phone ----------------------------
    reader = new_context().new_page()
    reader.goto("/track/")
    reader.get_by_label(t("Tracking code")).fill(code)
    reader.get_by_label(t("Phone number you gave")).fill(PHONE_NUMBER)
    reader.get_by_role("button", name=t("Find my petition")).click()
    expect(reader).to_have_url(re.compile(rf"/track/{code}/$"))
    expect(reader.get_by_role("heading", level=1)).to_have_text(TITLE)
    expect(reader.locator("#status-title .badge")).to_have_text(t(CaseState.RESPONDED.label))
    expect(reader.locator(".status > p")).to_have_text(
        _sentence(
            "%(unit)s has responded. Tell us by %(due)s whether this resolved your matter.",
            unit="Phường Hoàn Kiếm",
        )
    )
    response = reader.locator(".response-panel")
    expect(response).to_contain_text(TEMPLATE_TEXT)
    expect(response).to_contain_text(ADDITION)
    expect(reader.locator("#timeline li").last).to_contain_text(t("The response was published."))
    expect(reader.locator("#feedback form")).to_be_visible()
    screenshot(reader, "citizen-responded")

    # The first browser, on the private link, sees the same after a reload.
    citizen.reload()
    expect(citizen.locator(".response-panel")).to_contain_text(ADDITION)

    case.refresh_from_db()
    assert (case.state, case.assignee_id) == (CaseState.RESPONDED, officer.pk)
    assert not audit.found, "axe-core found WCAG 2.1 A/AA violations:\n" + "\n".join(audit.found)


def test_search_results_come_before_the_filters_on_a_phone_and_beside_them_on_a_desktop(
    new_context: NewContext, portal: Tree, audit: Audit, screenshot: Screenshot
) -> None:
    make_staff(portal.hoan_kiem, username="officer.search")
    for number in range(3):
        petition_submit(
            submission=Submission(
                category=Category.objects.get(code="environment"),
                commune=portal.hoan_kiem,
                phone=PHONE_NUMBER,
                submitter_name="Nguyễn Văn An",
                title=f"Rác thải ùn ứ ngõ {number}",
                text="Rác không được thu gom ba ngày nay.",
            ),
            notify=False,
        )
    for name, options in (("phone", PHONE), ("desktop", DESKTOP)):
        page = new_context(**options).new_page()
        _sign_in(page, "officer.search")
        page.goto("/office/search/")
        page.locator("#id_q").fill("rác thải")
        page.locator(".filters").get_by_role("button", name=t("Search")).click()
        expect(page.locator("#id_sort")).to_have_value("relevance")
        first_hit = page.locator(".hits li").first.bounding_box()
        filters = page.locator("#search-filters").bounding_box()
        assert first_hit and filters
        if name == "phone":
            assert first_hit["y"] < 844 and first_hit["y"] < filters["y"], (first_hit, filters)
            expect(page.get_by_role("link", name=t("Narrow the results with filters"))).to_be_visible()
        else:
            assert filters["x"] < first_hit["x"] and abs(filters["y"] - first_hit["y"]) < 100, (
                first_hit,
                filters,
            )
            expect(page.get_by_role("link", name=t("Narrow the results with filters"))).to_be_hidden()
        screenshot(page, f"search-{name}")
        audit(page, f"search-{name}")
    assert not audit.found, "\n".join(audit.found)
