"""Two-way case handling on a phone (issue 18): the officer asks, the citizen hears by SMS and answers
with a photo and a PDF, the clock resumes, the leader edits the draft and approves, the citizen reads the final
text and rates it. Every step through the pages; axe (WCAG 2.1 AA) on the pages of the new steps.

The citizen's answer carries a photo and a PDF (a scanned record), downloadable by the officer.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.utils import translation
from PIL import Image
from playwright.sync_api import BrowserContext, Page, expect

from notifications.sending import drain
from notifications.transports.sms import LocmemSmsBackend
from petitions.models import Category
from petitions.services import Submission, petition_submit
from routing import services
from routing.models import CaseEvent, CaseState, EventKind, Role
from routing.wording import files_phrase
from tests.browser.conftest import PHONE, NewContext, Screenshot, t
from tests.browser.test_map_point import _assert_no_axe_violations
from tests.conftest import Tree, fresh, make_staff
from tests.petitions.test_pdfs import pdf

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

QUESTION = "Xin ông chụp ảnh chỗ rác và cho biết rác tồn từ ngày nào?"
ANSWER = "Rác tồn từ thứ Hai, ở đầu ngõ 12 Hàng Bông. Ảnh đính kèm."
DRAFT = "Đã thu gom rác."
FINAL = "Đội vệ sinh đã thu gom rác ở đầu ngõ 12 Hàng Bông sáng nay và sẽ thu hằng ngày."


def _staff_context(new_context: NewContext, user: Any, server_url: str) -> BrowserContext:
    client = Client()
    client.force_login(user)
    context = new_context(**PHONE)
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": server_url,
            }
        ]
    )
    return context


def _act(page: Page, action: str, files: Any = None, **fields: str) -> None:
    """Open an action of the desk, fill its fields (and choose its documents) and confirm it."""
    box = page.locator(f"#action-{action}")
    box.locator("summary").click()
    for name, value in fields.items():
        box.locator(f"[name={action}-{name}]").fill(value)
    if files is not None:
        box.locator(f"input[name={action}-documents]").set_input_files(files)
    box.locator("button[type=submit]").click()


def test_the_officer_asks_the_citizen_answers_the_leader_edits_and_the_citizen_rates(
    new_context: NewContext, portal: Tree, server_url: str, screenshot: Screenshot, tmp_path: Path
) -> None:
    LocmemSmsBackend.outbox.clear()
    filed = petition_submit(
        submission=Submission(
            category=Category.objects.get(code="environment"),
            commune=portal.hoan_kiem,
            phone="0912 345 678",
            submitter_name="Nguyễn Văn An",
            title="Rác thải ùn ứ trên phố Hàng Bông",
            text="Rác thải sinh hoạt không được thu gom ba ngày nay.",
        )
    )
    case = filed.petition.case
    officer = make_staff(portal.hoan_kiem, username="can.bo")
    leader = make_staff(portal.hoan_kiem, Role.LEADER, username="lanh.dao")
    services.case_accept(case_id=case.pk, actor=officer)
    accepted = fresh(case)

    # The officer asks from the desk, on a phone.
    desk = _staff_context(new_context, officer, server_url).new_page()
    desk.goto(f"/office/cases/{case.pk}/")
    _act(desk, "ask_citizen", question=QUESTION)
    expect(desk.locator("#state-title .badge")).to_have_text(t(CaseState.AWAITING_CITIZEN.label))
    screenshot(desk, "desk-asked")

    # The citizen hears the question by SMS, with the link to answer.
    drain()
    [sms] = [m for m in LocmemSmsBackend.outbox if "Xin ong chup anh cho rac" in m.body]
    assert sms.to == "+84912345678" and "/t/s/" in sms.body

    citizen = new_context(**PHONE).new_page()
    # The citizen opens the link in the SMS (signed for this petition), not the receipt's.
    link = re.search(r"/t/s/\S+/", sms.body)
    assert link is not None
    citizen.goto(link.group(0))
    question = citizen.get_by_role("region", name=t("A question for you"))
    expect(question).to_contain_text(QUESTION)
    _assert_no_axe_violations(citizen)
    screenshot(citizen, "citizen-asked")
    photo = tmp_path / "rac.jpg"
    Image.new("RGB", (800, 600), (120, 110, 60)).save(photo, "JPEG", quality=80)
    question.get_by_label(t("Your answer")).fill(ANSWER)
    question.locator("input[name=photos]").set_input_files(photo)
    letter = tmp_path / "bien-ban.pdf"
    letter.write_bytes(pdf(pages=2))
    question.locator("input[name=documents]").set_input_files(letter)
    question.get_by_role("button", name=t("Send my answer")).click()
    expect(citizen).to_have_url(re.compile(r"#timeline$"))
    with translation.override("vi"):
        files = files_phrase({"photos": 1, "documents": 1})
    assert files == "1 ảnh và 1 tài liệu"
    expect(citizen.locator("#timeline")).to_contain_text(t("You answered, with %(files)s.", files=files))
    expect(citizen.get_by_role("region", name=t("A question for you"))).to_have_count(0)
    answered = fresh(case)
    assert answered.state == CaseState.IN_PROGRESS and answered.resolution_due_at is not None
    assert accepted.resolution_due_at is not None
    assert answered.resolution_due_at >= accepted.resolution_due_at  # the clock resumed, never shortened
    answer = CaseEvent.objects.get(case=case, kind=EventKind.CITIZEN_ANSWER)
    assert answer.attachments.count() == 1 and answer.documents.count() == 1
    expect(citizen.get_by_role("link", name="bien-ban.pdf")).to_be_visible()

    # The officer sees the answer and drafts; the leader edits the draft and approves, on a phone.
    desk.reload()
    expect(desk.locator(".timeline")).to_contain_text(ANSWER)
    with desk.expect_download() as download:
        desk.get_by_role("link", name="bien-ban.pdf").click()
    assert download.value.suggested_filename == "bien-ban.pdf"
    reply = tmp_path / "cong-van-tra-loi.pdf"
    reply.write_bytes(pdf(pages=1))
    _act(desk, "submit_response", files=reply, text=DRAFT)
    lead = _staff_context(new_context, leader, server_url).new_page()
    lead.goto(f"/office/cases/{case.pk}/")
    box = lead.locator("#action-approve")
    box.locator("summary").click()
    expect(box.locator("textarea")).to_have_value(DRAFT)
    _assert_no_axe_violations(lead)
    box.locator("textarea").fill(FINAL)
    box.locator("button[type=submit]").click()
    expect(lead.locator("#state-title .badge")).to_have_text(t(CaseState.RESPONDED.label))
    expect(lead.locator(".edit-diff ins").first).to_contain_text("Đội vệ sinh")
    expect(lead.locator(".edit-diff del").first).to_contain_text("Đã")
    screenshot(lead, "leader-edited")

    # The citizen reads the final text, never the draft, and rates it.
    citizen.reload()
    expect(citizen.locator(".response-panel")).to_contain_text(FINAL)
    assert DRAFT not in citizen.locator(".response-panel").inner_text()
    # With the unit's signed reply letter, which the citizen could not download while it was a draft.
    with citizen.expect_download() as letter_download:
        citizen.get_by_role("link", name="cong-van-tra-loi.pdf").click()
    assert letter_download.value.suggested_filename == "cong-van-tra-loi.pdf"
    feedback = citizen.locator("#feedback")
    feedback.locator("input[name=resolved][value=yes]").check()
    feedback.locator("input[name=rating][value='5']").check()
    feedback.get_by_role("button", name=t("Send my feedback")).click()
    expect(citizen.locator("#status-title .badge")).to_have_text(t(CaseState.CLOSED.label))
    screenshot(citizen, "citizen-rated")
    assert (fresh(case).state, fresh(case).rating) == (CaseState.CLOSED, 5)
