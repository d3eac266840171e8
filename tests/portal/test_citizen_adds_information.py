"""The citizen adds information (text and photos) to a petition being handled (issue 18).

It appears on both timelines as the citizen's event and the handling unit hears of it live; it
never changes the case's state, unit or deadlines; it is refused after the petition was answered
or ended, to a browser without the grant, and past a per-petition limit.
"""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from PIL import Image

from petitions.attachments import attachment_stage
from petitions.models import Attachment
from routing import services
from routing.actors import CitizenActor
from routing.errors import CaseActionForbidden
from routing.models import CaseEvent, CaseState, EventKind
from routing.signals import case_event_committed
from tests.conftest import Cast, advance, fresh

FACT = "Nước còn ngập sâu 40 cm sáng nay, xe máy không đi qua được."


def _png(name: str = "a.png") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (60, 40), (10, 120, 30)).save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def _follow(client: Client, case: Any) -> None:
    response = client.post("/track/", {"code": case.petition.tracking_code, "phone": "0912345678"})
    assert response.status_code == 302


def _url(case: Any) -> str:
    return reverse("portal:portal-add-info", args=[case.petition.tracking_code])


# --- the service ------------------------------------------------------------------------------


def test_the_fact_and_photos_join_the_case_without_changing_its_state_or_deadlines(
    case: Any, cast: Cast, django_capture_on_commit_callbacks: Any
) -> None:
    advance(case, "in_progress", cast)
    before = fresh(case)
    staged = [attachment_stage(upload=_png(f"{n}.png"), session_key="s1") for n in range(2)]
    heard: list[str] = []

    def listen(**kwargs: Any) -> None:
        heard.append(kwargs["kind"])

    case_event_committed.connect(listen)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            event = services.case_citizen_add_info(
                case_id=case.pk,
                actor=CitizenActor(petition_id=case.petition_id),
                text=f"  {FACT} ",
                attachment_tokens=[a.upload_token for a in staged],
                session_key="s1",
            )
    finally:
        case_event_committed.disconnect(listen)
    after = fresh(case)
    assert (after.state, after.unit_id, after.due_at, after.assignee_id) == (
        before.state,
        before.unit_id,
        before.due_at,
        before.assignee_id,
    )
    assert after.version == before.version + 1
    assert (event.kind, event.is_public, event.actor_kind, event.note) == (
        EventKind.CITIZEN_INFO,
        True,
        "citizen",
        FACT,
    )
    photos = list(Attachment.objects.filter(event=event))
    assert len(photos) == 2 and all(p.petition_id == case.petition_id for p in photos)
    assert heard == [EventKind.CITIZEN_INFO]  # the handling unit's pages hear of it live


@pytest.mark.parametrize("state", ["responded", "closed", "withdrawn", "rejected"])
def test_nothing_can_be_added_once_answered_or_ended(case: Any, cast: Cast, state: str) -> None:
    advance(case, state, cast)
    with pytest.raises(ValidationError):
        services.case_citizen_add_info(
            case_id=case.pk, actor=CitizenActor(petition_id=case.petition_id), text=FACT
        )
    assert not CaseEvent.objects.filter(case=case, kind=EventKind.CITIZEN_INFO).exists()


def test_only_this_petitions_citizen_may_add(case: Any, submit: Any, cast: Cast) -> None:
    other = submit(title="Một phản ánh khác").petition
    for actor in (CitizenActor(petition_id=other.pk), cast.officer):
        with pytest.raises(CaseActionForbidden):
            services.case_citizen_add_info(case_id=case.pk, actor=actor, text=FACT)


def test_an_empty_text_or_too_many_photos_is_refused(case: Any) -> None:
    citizen = CitizenActor(petition_id=case.petition_id)
    with pytest.raises(ValidationError) as empty:
        services.case_citizen_add_info(case_id=case.pk, actor=citizen, text="   ")
    assert "text" in empty.value.message_dict
    with pytest.raises(ValidationError) as many:
        services.case_citizen_add_info(
            case_id=case.pk, actor=citizen, text=FACT, attachment_tokens=[f"t{n}" for n in range(6)]
        )
    assert "photos" in many.value.message_dict
    assert fresh(case).version == 1


# --- the case page ----------------------------------------------------------------------------


def test_the_citizen_adds_a_fact_with_a_photo_from_the_case_page(
    client: Client, case: Any, cast: Cast
) -> None:
    _follow(client, case)
    page = client.get(reverse("portal:portal-case", args=[case.petition.tracking_code])).content.decode()
    assert "Bổ sung thông tin, ảnh hoặc tài liệu" in page and 'enctype="multipart/form-data"' in page
    response = client.post(_url(case), {"text": FACT, "photos": [_png()]})
    assert response.status_code == 302 and response["Location"].endswith("#timeline")
    page = client.get(response["Location"]).content.decode()
    assert FACT in page and "Bạn đã bổ sung thông tin, kèm 1 ảnh." in page
    assert fresh(case).state == CaseState.SUBMITTED
    # The handling unit's desk shows it, with the photo among the petition's.
    client.force_login(cast.officer)
    desk = client.get(reverse("backoffice:backoffice-case", args=[case.pk])).content.decode()
    assert FACT in desk and "Người dân bổ sung thông tin" in desk
    assert case.petition.attachments.count() == 1


def test_the_page_explains_an_empty_text_and_keeps_nothing(client: Client, case: Any) -> None:
    _follow(client, case)
    response = client.post("/en" + _url(case), {"text": ""})
    assert response.status_code == 400
    assert "Write what you would like to add." in response.content.decode()
    assert not CaseEvent.objects.filter(case=case, kind=EventKind.CITIZEN_INFO).exists()


def test_a_browser_without_the_grant_is_refused(client: Client, case: Any) -> None:
    assert client.post(_url(case), {"text": FACT}).status_code == 404
    assert not CaseEvent.objects.filter(case=case, kind=EventKind.CITIZEN_INFO).exists()


def test_the_form_is_gone_once_the_petition_is_answered(client: Client, case: Any, cast: Cast) -> None:
    _follow(client, case)
    advance(case, "responded", cast)
    page = client.get(reverse("portal:portal-case", args=[case.petition.tracking_code])).content.decode()
    assert _url(case) not in page
    response = client.post(_url(case), {"text": FACT})
    assert response.status_code == 400
    assert "không thể bổ sung sau khi đã có trả lời" in response.content.decode()


def test_additions_to_one_petition_are_limited_whatever_the_address(
    client: Client, case: Any, settings: Any
) -> None:
    settings.PORTAL_RATES = {**settings.PORTAL_RATES, "add_info_code": "2/d"}
    for n, address in enumerate(("10.0.0.1", "10.0.0.2")):
        _follow(client, case)
        assert client.post(_url(case), {"text": f"{FACT} {n}"}, REMOTE_ADDR=address).status_code == 302
    third = client.post(_url(case), {"text": FACT}, REMOTE_ADDR="10.0.0.3")
    assert third.status_code == 429
    assert CaseEvent.objects.filter(case=case, kind=EventKind.CITIZEN_INFO).count() == 2
