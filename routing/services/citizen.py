"""The case services a citizen runs on their own petition: feedback, withdrawal, added information and answers."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from routing.actors import CitizenActor
from routing.errors import CaseActionForbidden
from routing.models import (
    ADD_INFO_STATES,
    Case,
    CaseEvent,
    EventKind,
)

if TYPE_CHECKING:
    pass
from routing.services.core import (
    _actor_may_act_on,
    _after_commit,
    _attach,
    _check_count,
    _counts,
    _lock_case,
    _record_beside,
    _require_text,
    _run,
    _staged_files,
)


def _check_rating(rating: int) -> int:
    if not isinstance(rating, int) or isinstance(rating, bool) or not 1 <= rating <= 5:
        raise ValidationError({"rating": _("Choose a rating from 1 to 5.")})
    return rating


def case_citizen_feedback(
    *, case_id: int, actor: CitizenActor, resolved: bool, rating: int, comment: str = ""
) -> Case:
    """The citizen rates the response: satisfied closes the case, not satisfied reopens or escalates it."""
    rating = _check_rating(rating)
    comment = _require_text(comment, field="comment", required=not resolved, max_length=2000)
    action = "citizen_satisfied" if resolved else "citizen_unsatisfied"
    return _run(
        case_id=case_id,
        actor=actor,
        action=action,
        expected_version=None,
        note=comment,
        is_public=True,
        data={"rating": rating},
        kwargs_for=lambda case: {"rating": rating, "comment": comment},
    )


def case_withdraw(*, case_id: int, actor: CitizenActor, reason: str = "") -> Case:
    """The citizen withdraws a petition that is still open."""
    reason = _require_text(reason, field="reason", required=False, max_length=2000)
    return _run(
        case_id=case_id,
        actor=actor,
        action="withdraw",
        expected_version=None,
        note=reason,
        is_public=True,
        kwargs_for=lambda case: {"reason": reason},
    )


def case_citizen_add_info(
    *,
    case_id: int,
    actor: CitizenActor,
    text: str,
    attachment_tokens: Sequence[str] = (),
    session_key: str = "",
    document_tokens: Sequence[str] = (),
    data: Mapping[str, Any] | None = None,
) -> CaseEvent:
    """The citizen adds a fact (and photos) to their open petition, before it is answered.

    A public event of the citizen's (``citizen_info``), shown on both timelines; the handling
    unit hears of it live. It never changes the case's state, unit or deadlines. The photos are
    ones staged by ``petitions.attachments.attachment_stage`` in the citizen's session; they join
    the petition's photos (after those it has), each linked to this event. ``data`` is kept with
    the event (how it arrived: ``routing.citizen_updates``).
    """
    text = _require_text(text, field="text")
    tokens = _check_count(attachment_tokens, field="photos")
    documents = _check_count(document_tokens, field="documents")
    now = timezone.now()
    with transaction.atomic():
        case = _lock_case(case_id)
        if not _actor_may_act_on(case, actor) or not isinstance(actor, CitizenActor):
            raise CaseActionForbidden()
        if case.state not in ADD_INFO_STATES:
            raise ValidationError(
                {
                    NON_FIELD_ERRORS: _(
                        "Information can be added while the petition is being handled, not after it was answered "
                        "or ended."
                    )
                }
            )
        staged = _staged_files(tokens, session_key, field="photos")
        papers = _staged_files(documents, session_key, field="documents")
        event = _record_beside(
            case,
            kind=EventKind.CITIZEN_INFO,
            actor=actor,
            note=text,
            is_public=True,
            now=now,
            data=(_counts(staged, papers) or {}) | dict(data or {}),
        )
        _attach(case, event, photos=staged, documents=papers)
        _after_commit(case, event)
    return event


def case_citizen_answer(
    *,
    case_id: int,
    actor: CitizenActor,
    text: str,
    attachment_tokens: Sequence[str] = (),
    session_key: str = "",
    document_tokens: Sequence[str] = (),
    data: Mapping[str, Any] | None = None,
) -> Case:
    """The citizen answers the unit's question (text and photos): the case returns to the officer.

    The resolution clock resumes, longer by the working days it was paused; the handling unit
    hears of it live, and the assignee by e-mail. ``data`` is kept with the event.
    """
    text = _require_text(text, field="text")
    tokens = _check_count(attachment_tokens, field="photos")
    documents = _check_count(document_tokens, field="documents")
    staged: list[Any] = []
    papers: list[Any] = []

    def kwargs_for(case: Case) -> dict[str, Any]:
        staged.extend(_staged_files(tokens, session_key, field="photos"))
        papers.extend(_staged_files(documents, session_key, field="documents"))
        return {}

    def link(case: Case) -> dict[str, Any]:
        return (_counts(staged, papers) or {}) | dict(data or {})

    def attach(case: Case, event: CaseEvent) -> None:
        _attach(case, event, photos=staged, documents=papers)

    case = _run(
        case_id=case_id,
        actor=actor,
        action="citizen_answered",
        expected_version=None,
        note=text,
        is_public=True,
        data=link,
        kwargs_for=kwargs_for,
        after_event=attach,
    )
    return case
