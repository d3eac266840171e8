"""mySociety's ``servicerequestupdates`` extension (issue 18): the public updates of requests, as
FixMyStreet and its Open311 clients read them; what they say follows each request's disclosure."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from routing import services
from routing.actors import CitizenActor
from routing.models import Case, CaseEvent, EventKind
from routing.sweep import remind_citizens, return_unanswered
from tests.conftest import Cast, advance, fresh
from tests.portal.open311.conftest import BASE, errors, parse, xml_items

URL = f"{BASE}/servicerequestupdates"
NOTE = "Đội vệ sinh sẽ thu gom trong sáng mai."
RESPONSE = "Đã xử lý xong."  # advance()'s response


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_published_requests_updates_in_time_order_with_their_words(
    client: Any, submit: Any, cast: Cast, fmt: str
) -> None:
    case: Case = submit(consent_publish=True).petition.case
    advance(case, "in_progress", cast)
    services.case_add_note(case_id=case.pk, actor=cast.officer, text=NOTE, is_public=True)
    services.case_add_note(case_id=case.pk, actor=cast.officer, text="Nội bộ: gọi lại sau.", is_public=False)
    services.case_citizen_add_info(
        case_id=case.pk, actor=CitizenActor(petition_id=case.petition_id), text="Rác vẫn còn ở đầu ngõ."
    )
    advance_to_responded(case, cast)
    response = client.get(f"{URL}.{fmt}")
    assert response.status_code == 200
    data = parse(response, fmt)
    items = data if fmt == "json" else xml_items(data, "request_update")
    code = case.petition.tracking_code
    assert all(item["service_request_id"] == code for item in items)
    words = [item["description"] for item in items]
    assert NOTE in words and RESPONSE in words
    assert "Nội bộ: gọi lại sau." not in words  # internal
    assert "Rác vẫn còn ở đầu ngõ." not in words  # the citizen's own words stay with the unit
    statuses = [item["status"] for item in items]
    assert statuses[0] == "open" and statuses[-1] == "closed"  # the last update is the response
    ids = [int(item["update_id"]) for item in items]
    assert ids == sorted(ids)


def advance_to_responded(case: Case, cast: Cast) -> None:
    services.case_submit_response(case_id=case.pk, actor=cast.officer, text=RESPONSE)
    services.case_approve(case_id=case.pk, actor=cast.leader)


def test_an_unpublished_request_is_listed_only_to_the_partner_that_filed_it(
    client: Any, file_request: Any, api_key: str, other_key: str, cast: Cast
) -> None:
    code = file_request()
    case = Case.objects.get(petition__tracking_code=code)
    advance(case, "in_progress", cast)
    services.case_add_note(case_id=case.pk, actor=cast.officer, text=NOTE, is_public=True)
    own = parse(client.get(f"{URL}.json", {"api_key": api_key}), "json")
    assert {item["service_request_id"] for item in own} == {code} and NOTE in [i["description"] for i in own]
    for query in ({"api_key": other_key}, {}):
        assert parse(client.get(f"{URL}.json", query), "json") == []


def test_a_window_out_of_bounds_is_explained(client: Any, db: Any) -> None:
    response = client.get(f"{URL}.json", {"start_date": "2026-01-01", "end_date": "2026-12-31"})
    assert response.status_code == 400
    assert errors(response, "json") == [(400, "start_date và end_date cách nhau tối đa 90 ngày.")]


QUESTION = "Nước ngập từ lúc nào, sâu bao nhiêu?"


def _question_updates(client: Any, case: Case, cast: Cast, locale: str) -> dict[str, str]:
    """The feed's words for each event of a question asked, reminded and left unanswered."""
    advance(case, "in_progress", cast)
    services.case_ask_citizen(case_id=case.pk, actor=cast.officer, question=QUESTION)
    due = fresh(case).citizen_due_at
    assert due is not None
    remind_citizens(now=due - dt.timedelta(hours=12))
    return_unanswered(now=due + dt.timedelta(hours=1))
    # The sweep ran at later moments: a window from the question on.
    start = (fresh(case).updated_at - dt.timedelta(days=30)).date().isoformat()
    items = parse(client.get(f"{URL}.json", {"locale": locale, "start_date": start}), "json")
    kinds = dict(CaseEvent.objects.filter(case=case).values_list("pk", "kind"))
    return {kinds[int(item["update_id"])]: item["description"] for item in items}


def test_a_question_is_told_in_the_third_person_with_its_public_text(
    client: Any, submit: Any, cast: Cast
) -> None:
    case: Case = submit(consent_publish=True).petition.case
    words = _question_updates(client, case, cast, "en")
    unit = case.unit.name
    assert words[EventKind.ASK_CITIZEN] == (
        f"{unit} asked the citizen: {QUESTION} Handling is paused until they answer."
    )
    assert words[EventKind.CITIZEN_REMINDER] == (
        "The citizen was reminded of the question; handling stays paused until they answer."
    )
    assert words[EventKind.CITIZEN_NO_ANSWER] == (
        f"The citizen did not answer in time: {unit} continues with what it has."
    )
    for text in words.values():
        assert " you" not in f" {text.lower()}", text


def test_the_feeds_question_words_are_vietnamese_by_default(client: Any, submit: Any, cast: Cast) -> None:
    case: Case = submit(consent_publish=True).petition.case
    words = _question_updates(client, case, cast, "vi")
    assert words[EventKind.ASK_CITIZEN] == (
        f"{case.unit.name} đã hỏi người dân: {QUESTION} Việc xử lý tạm dừng cho đến khi người dân trả lời."
    )
    for text in words.values():
        assert "bạn" not in text, text


def test_citizens_own_events_would_be_told_in_the_third_person_too(submit: Any, cast: Cast) -> None:
    """They are not in the feed (``open311_updates`` leaves the citizen's events out); if one ever
    were, it would not speak to "you" either."""
    from django.utils import translation

    from portal.open311.presenters import update_sentence

    case: Case = submit().petition.case
    advance(case, "in_progress", cast)
    citizen = CitizenActor(petition_id=case.petition_id)
    services.case_citizen_add_info(case_id=case.pk, actor=citizen, text="Thêm ảnh.")
    services.case_ask_citizen(case_id=case.pk, actor=cast.officer, question=QUESTION)
    services.case_citizen_answer(case_id=case.pk, actor=citizen, text="Từ sáng nay.")
    with translation.override("en"):
        sentences = {e.kind: update_sentence(e) for e in CaseEvent.objects.filter(case=case)}
    assert sentences[EventKind.CITIZEN_INFO] == "The citizen added information."
    assert sentences[EventKind.CITIZEN_ANSWER] == "The citizen answered the question; handling has resumed."
    for text in sentences.values():
        assert " you" not in f" {text.lower()}", text
