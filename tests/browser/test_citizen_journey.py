"""A citizen on a phone: submit with a photo, follow the private link, read the response, rate it."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from playwright.sync_api import Page, expect

from petitions.models import Category, Petition
from routing import services
from routing.models import CaseState, Role
from tests.browser.conftest import NewContext, Screenshot, t
from tests.conftest import Tree, make_staff

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CODE = re.compile(r"^PA-\d{2}-[0-9A-Z]{6}$")
RESPONSE = "Đội vệ sinh môi trường đã thu gom rác trên phố Hàng Bông sáng 12/5 và sẽ thu hằng ngày."


def _photo(directory: Path) -> Path:
    path = directory / "rac-thai.jpg"
    Image.new("RGB", (640, 480), (90, 140, 60)).save(path, "JPEG", quality=80)
    return path


def _fill_about_the_matter(page: Page) -> None:
    page.locator("#id_title").fill("Rác thải ùn ứ trên phố Hàng Bông")
    page.locator("#id_text").fill(
        "Rác thải sinh hoạt không được thu gom ba ngày nay, gây mùi hôi cho cả phố."
    )
    page.locator("#id_submitter_name").fill("Nguyễn Văn An")
    page.locator("#id_phone").fill("0912 345 678")


def test_citizen_submits_from_a_phone_follows_the_private_link_and_rates_the_response(
    page: Page,
    new_context: NewContext,
    portal: Tree,
    live_server: Any,
    screenshot: Screenshot,
    tmp_path: Path,
) -> None:
    environment = Category.objects.get(code="environment")

    page.goto("/")
    expect(page.locator("html")).to_have_attribute("lang", "vi")
    # The live server serves the stylesheet: the header has the brand colour.
    expect(page.locator(".site-header")).to_have_css("background-color", "rgb(11, 79, 138)")
    screenshot(page, "home")

    page.get_by_role("main").get_by_role("link", name=t("Submit a petition"), exact=True).click()
    expect(page).to_have_url(re.compile(r"/submit/$"))
    # submit.js ran: the page is in its JavaScript mode and the no-JavaScript button is hidden.
    expect(page.locator("html")).to_have_class(re.compile(r"\bjs\b"))
    expect(page.get_by_role("button", name=t("Show the communes of this province"))).to_be_hidden()

    page.locator("#id_category").select_option(str(environment.pk))
    page.locator("#id_province").select_option("P01")
    # The commune list is filled from /units/P01/communes.json; Playwright waits for the option.
    page.locator("#id_commune").select_option("W00070")
    expect(page.locator("#id_commune option")).to_have_text(
        [re.compile("."), "Phường Cửa Nam", "Phường Hoàn Kiếm"]
    )
    _fill_about_the_matter(page)
    page.locator("#id_photos").set_input_files(_photo(tmp_path))
    screenshot(page, "form-filled")
    page.get_by_role("button", name=t("Send petition")).click()

    expect(page).to_have_url(re.compile(r"/submit/received/$"))
    code = page.locator("#tracking-code").inner_text().strip()
    assert CODE.match(code), code
    link = page.locator("#tracking-link").get_attribute("href") or ""
    assert link.startswith(f"{live_server.url}/t/"), link
    screenshot(page, "receipt")

    # The private link works in another browser, with no session of the submission.
    citizen = new_context().new_page()
    citizen.goto(link)
    expect(citizen).to_have_url(re.compile(rf"/track/{code}/$"))
    expect(citizen.get_by_role("heading", level=1)).to_have_text("Rác thải ùn ứ trên phố Hàng Bông")
    timeline = citizen.locator("#timeline li")
    expect(timeline).to_have_count(1)
    expect(timeline).to_contain_text(t("Petition received and sent to %(unit)s.", unit="Phường Hoàn Kiếm"))
    thumbnail = citizen.locator(".thumbs img")
    expect(thumbnail).to_be_visible()
    assert thumbnail.evaluate("img => img.complete && img.naturalWidth > 0")
    expect(citizen.locator("#feedback")).to_have_count(0)
    screenshot(citizen, "tracking-received")

    case = Petition.objects.get(tracking_code=code).case
    officer = make_staff(portal.hoan_kiem)
    leader = make_staff(portal.hoan_kiem, Role.LEADER)
    services.case_accept(case_id=case.pk, actor=officer)
    services.case_submit_response(case_id=case.pk, actor=officer, text=RESPONSE)
    services.case_approve(case_id=case.pk, actor=leader)

    citizen.reload()
    expect(citizen.locator(".response-panel")).to_contain_text(RESPONSE)
    expect(citizen.locator("#status-title .badge")).to_have_text(t(CaseState.RESPONDED.label))
    screenshot(citizen, "responded")
    feedback = citizen.locator("#feedback")
    feedback.locator("input[name=resolved][value=yes]").check()
    feedback.locator("input[name=rating][value='4']").check()
    feedback.get_by_role("button", name=t("Send my feedback")).click()

    expect(citizen).to_have_url(re.compile(rf"/track/{code}/#timeline$"))
    expect(citizen.locator("#status-title .badge")).to_have_text(t(CaseState.CLOSED.label))
    expect(citizen.locator("#timeline li").last).to_contain_text(
        t("You said the matter was resolved (rating %(rating)s/5).", rating=4)
    )
    expect(citizen.locator("#feedback")).to_have_count(0)
    screenshot(citizen, "closed")
    case.refresh_from_db()
    assert (case.state, case.rating) == (CaseState.CLOSED, 4)


def test_citizen_without_javascript_picks_the_province_then_its_communes(
    new_context: NewContext, portal: Tree, screenshot: Screenshot
) -> None:
    page = new_context(java_script_enabled=False).new_page()
    page.goto("/submit/")
    expect(page.locator("html")).not_to_have_class(re.compile(r"\bjs\b"))
    expect(page.locator("#id_commune option")).to_have_count(1)

    page.locator("#id_category").select_option(str(Category.objects.get(code="transport").pk))
    page.locator("#id_province").select_option("P01")
    page.locator("#id_title").fill("Đèn đường hỏng")
    page.get_by_role("button", name=t("Show the communes of this province")).click()

    # The same form again, with what was typed and the communes of Hà Nội only.
    expect(page.locator("#id_title")).to_have_value("Đèn đường hỏng")
    expect(page.locator("#id_province")).to_have_value("P01")
    expect(page.locator("#id_commune option")).to_have_count(3)
    expect(page.locator("#error-summary")).to_have_count(0)
    screenshot(page, "communes-listed")
    page.locator("#id_commune").select_option("W00073")
    _fill_about_the_matter(page)
    page.get_by_role("button", name=t("Send petition")).click()

    expect(page).to_have_url(re.compile(r"/submit/received/$"))
    code = page.locator("#tracking-code").inner_text().strip()
    assert CODE.match(code), code
    screenshot(page, "receipt")
    petition = Petition.objects.select_related("case__unit").get(tracking_code=code)
    assert petition.case.unit == portal.cua_nam


def test_citizen_switches_to_english_and_it_stays_english(
    page: Page, portal: Tree, live_server: Any, screenshot: Screenshot
) -> None:
    page.goto("/")
    expect(page.locator("html")).to_have_attribute("lang", "vi")
    page.get_by_role("button", name="English").click()

    expect(page).to_have_url(f"{live_server.url}/en/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        t("Tell us what needs fixing in your area", "en")
    )
    screenshot(page, "home-en")

    page.get_by_role("navigation").get_by_role("link", name=t("Submit", "en"), exact=True).click()
    expect(page).to_have_url(f"{live_server.url}/en/submit/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_have_text(t("Submit a petition", "en"))


def test_citizen_switches_back_to_vietnamese_from_an_english_page(
    page: Page, portal: Tree, live_server: Any
) -> None:
    page.goto("/en/submit/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.get_by_role("button", name="Tiếng Việt").click()

    expect(page).to_have_url(f"{live_server.url}/submit/", timeout=2_000)
    expect(page.locator("html")).to_have_attribute("lang", "vi")


def test_citizen_typing_a_short_title_sees_an_answered_petition_and_reads_its_whole_response(
    page: Page, portal: Tree, screenshot: Screenshot
) -> None:
    from petitions.services import Submission, petition_submit

    whole = (
        "Phường đã thay nắp hố ga mới ngay trong ngày. "
        + "Tổ công tác đã kiểm tra toàn tuyến đường và thay thêm ba nắp đã nứt. " * 4
        + "Đơn vị thi công bảo hành trong 12 tháng."
    )
    case = petition_submit(
        submission=Submission(
            category=Category.objects.get(code="transport"),
            commune=portal.hoan_kiem,
            phone="0912 345 678",
            submitter_name="Nguyễn Văn An",
            title="Nắp hố ga vỡ giữa lòng đường",
            text="Nắp hố ga trước số 12 Hàng Bông bị vỡ, xe máy dễ sụt bánh.",
            consent_publish=True,
        ),
        notify=False,
    ).petition.case
    officer = make_staff(portal.hoan_kiem)
    services.case_accept(case_id=case.pk, actor=officer)
    services.case_submit_response(case_id=case.pk, actor=officer, text=whole)
    services.case_approve(case_id=case.pk, actor=make_staff(portal.hoan_kiem, Role.LEADER))

    page.goto("/submit/")
    page.locator("#id_title").fill("Nắp hố ga bị vỡ")  # "hố", "ga", "vỡ": two letters each
    suggestion = page.locator("#similar-answered li")
    expect(suggestion).to_have_count(1)
    expect(suggestion.locator("strong")).to_have_text("Nắp hố ga vỡ giữa lòng đường")
    expect(suggestion.locator(".excerpt")).to_contain_text("…")
    expect(suggestion).not_to_contain_text("Nguyễn Văn An")
    details = suggestion.locator("details")
    details.locator("summary").click()
    expect(details).to_contain_text("Đơn vị thi công bảo hành trong 12 tháng.")
    expect(suggestion.locator(".excerpt")).to_be_hidden()
    screenshot(page, "similar-answered-unfolded")
