"""A response that still holds a template's placeholders is neither submitted nor published."""

from __future__ import annotations

import pytest
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils import translation

from routing import services
from routing.models import Case, CaseState, EventKind
from routing.responses import response_placeholders
from tests.conftest import Cast, advance, fresh

DRAFT = "Đơn vị đã chuyển nội dung đến [cơ quan] để sửa chữa. Dự kiến xong trước ngày [ngày], [ngày]."


def expected(*placeholders: str) -> str:
    return translation.gettext("Fill in the placeholders: %(placeholders)s") % {
        "placeholders": ", ".join(placeholders)
    }


@pytest.mark.parametrize(
    ("text", "found"),
    [
        (DRAFT, ["[cơ quan]", "[ngày]"]),
        ("Xong vào ngày [ngày]: [nêu kết quả].", ["[ngày]", "[nêu kết quả]"]),
        ("Theo Điều 5 [1] và đoạn trích […] của Nghị định.", []),
        ("Không có chỗ trống nào.", []),
        ("[hạng mục\nmới]", []),
    ],
)
def test_placeholders_are_phrases_in_square_brackets(text: str, found: list[str]) -> None:
    assert response_placeholders(text) == found


def test_a_response_with_placeholders_cannot_be_submitted(case: Case, cast: Cast) -> None:
    advance(case, "in_progress", cast)
    with pytest.raises(ValidationError) as raised:
        services.case_submit_response(case_id=case.pk, actor=cast.officer, text=DRAFT)
    assert raised.value.message_dict == {"text": [expected("[cơ quan]", "[ngày]")]}
    assert "[cơ quan], [ngày]" in raised.value.message_dict["text"][0]
    case = fresh(case)
    assert (case.state, case.response_text) == (CaseState.IN_PROGRESS, "")


def test_the_refusal_is_in_the_active_language(case: Case, cast: Cast) -> None:
    advance(case, "in_progress", cast)
    for language, start in (("vi", "Vui lòng điền"), ("en", "Fill in the placeholders")):
        with translation.override(language), pytest.raises(ValidationError) as raised:
            services.case_submit_response(case_id=case.pk, actor=cast.officer, text=DRAFT)
        with translation.override(language):
            assert raised.value.message_dict["text"][0].startswith(start)


def test_a_draft_with_placeholders_cannot_be_approved(case: Case, cast: Cast) -> None:
    advance(case, "pending_approval", cast)
    # A draft written before the rule: the approval step checks the text it would publish.
    Case.objects.filter(pk=case.pk).update(response_text=DRAFT)
    with pytest.raises(ValidationError) as raised:
        services.case_approve(case_id=case.pk, actor=cast.leader)
    assert raised.value.message_dict == {NON_FIELD_ERRORS: [expected("[cơ quan]", "[ngày]")]}
    case = fresh(case)
    assert case.state == CaseState.PENDING_APPROVAL and case.responded_at is None
    assert not case.events.filter(kind=EventKind.APPROVE).exists()


def test_a_filled_in_response_is_submitted_and_approved(case: Case, cast: Cast) -> None:
    advance(case, "in_progress", cast)
    text = "Đơn vị đã chuyển nội dung đến Công ty Thoát nước để sửa chữa theo Điều 5 [1]."
    services.case_submit_response(case_id=case.pk, actor=cast.officer, text=text)
    services.case_approve(case_id=case.pk, actor=cast.leader)
    assert fresh(case).state == CaseState.RESPONDED
