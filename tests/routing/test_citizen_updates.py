"""``case_citizen_update``: the citizen's words from a partner or an app become the answer while the unit
waits for one, added information otherwise, nothing after an end; retries add once (issue 18)."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError

from routing.citizen_updates import CitizenUpdate, case_citizen_update
from routing.errors import CaseActionForbidden
from routing.models import CaseEvent, CaseState, EventKind
from tests.conftest import Cast, advance, citizen_of, fresh

FACT = "Nước vẫn ngập sâu 40 cm sáng nay."


def words(**fields: Any) -> CitizenUpdate:
    return CitizenUpdate(**{"text": FACT, "channel": "open311", "partner_id": 7, **fields})


def test_added_information_keeps_the_state_and_says_how_it_arrived(case: Any, cast: Cast) -> None:
    advance(case, "in_progress", cast)
    result = case_citizen_update(
        case_id=case.pk, actor=citizen_of(case), update=words(media_urls=["https://a.example/1.jpg"])
    )
    assert result.created and not result.answered
    assert result.event.kind == EventKind.CITIZEN_INFO and result.case.state == CaseState.IN_PROGRESS
    assert result.event.data == {
        "channel": "open311",
        "partner": 7,
        "media_urls": ["https://a.example/1.jpg"],
    }


def test_while_asked_the_words_are_the_answer(case: Any, cast: Cast) -> None:
    advance(case, "awaiting_citizen", cast)
    result = case_citizen_update(case_id=case.pk, actor=citizen_of(case), update=words())
    assert result.answered and fresh(case).state == CaseState.IN_PROGRESS


def test_a_retry_under_the_same_key_adds_once_and_other_words_under_it_are_refused(case: Any) -> None:
    first = case_citizen_update(case_id=case.pk, actor=citizen_of(case), update=words(idempotency_key="k1"))
    again = case_citizen_update(case_id=case.pk, actor=citizen_of(case), update=words(idempotency_key="k1"))
    assert (first.created, again.created, again.event.pk) == (True, False, first.event.pk)
    with pytest.raises(ValidationError) as other:
        case_citizen_update(
            case_id=case.pk, actor=citizen_of(case), update=words(idempotency_key="k1", text="Khác.")
        )
    assert "idempotency_key" in other.value.message_dict
    assert CaseEvent.objects.filter(case=case, kind=EventKind.CITIZEN_INFO).count() == 1


def test_a_writer_who_is_not_the_citizen_or_another_petitions_citizen_is_refused(
    case: Any, submit: Any
) -> None:
    with pytest.raises(CaseActionForbidden):
        case_citizen_update(case_id=case.pk, actor=citizen_of(case), update=words(phone="0987 654 321"))
    other = submit(title="Một phản ánh khác").petition.case
    with pytest.raises(CaseActionForbidden):
        case_citizen_update(case_id=case.pk, actor=citizen_of(other), update=words())
    assert fresh(case).version == case.version


@pytest.mark.parametrize("state", ["responded", "duplicate"])
def test_nothing_is_taken_after_a_response_or_an_end(case: Any, cast: Cast, state: str) -> None:
    advance(case, state, cast)
    with pytest.raises(ValidationError):
        case_citizen_update(case_id=case.pk, actor=citizen_of(case), update=words())


def test_bad_links_and_an_empty_text_are_refused(case: Any) -> None:
    for update, field in (
        (words(text="  "), "text"),
        (words(media_urls=["ftp://a.example/1.jpg"]), "media_urls"),
        (words(media_urls=[f"https://a.example/{n}.jpg" for n in range(6)]), "media_urls"),
    ):
        with pytest.raises(ValidationError) as refused:
            case_citizen_update(case_id=case.pk, actor=citizen_of(case), update=update)
        assert field in refused.value.message_dict
    assert not CaseEvent.objects.filter(case=case, kind=EventKind.CITIZEN_INFO).exists()
