"""The case services staff run (triage, handling, approval), the system's, and the unit's response templates and settings."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from routing.actors import SystemActor
from routing.errors import CaseActionForbidden
from routing.models import (
    Case,
    CaseEvent,
    EventKind,
    Membership,
    Unit,
    membership_of,
)
from routing.responses import require_no_placeholders

if TYPE_CHECKING:
    from django.contrib.auth.models import User

from routing.services.core import (
    RESPONSE_MAX_LENGTH,
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

# --- named services, one per transition -----------------------------------------


def case_accept(
    *, case_id: int, actor: User, assignee: User | None = None, expected_version: int | None = None
) -> Case:
    """Accept a submitted case and assign it (a leader assigns anyone; an officer takes it)."""
    assignee = assignee or actor
    return _run(
        case_id=case_id,
        actor=actor,
        action="accept",
        expected_version=expected_version,
        is_public=True,
        data={"assignee_id": assignee.pk},
        kwargs_for=lambda case: {"assignee": assignee, "actor": actor},
    )


def case_reject(*, case_id: int, actor: User, reason: str, expected_version: int | None = None) -> Case:
    """Refuse a petition; the reason is shown to the citizen."""
    reason = _require_text(reason, field="reason")
    return _run(
        case_id=case_id,
        actor=actor,
        action="reject",
        expected_version=expected_version,
        note=reason,
        is_public=True,
        kwargs_for=lambda case: {"reason": reason},
    )


def case_mark_duplicate(
    *, case_id: int, actor: User, original_id: int, note: str = "", expected_version: int | None = None
) -> Case:
    """Merge a case into an earlier one the actor can see; its citizen then follows the original."""
    from routing.selectors import cases_visible_to

    note = _require_text(note, field="note", required=False)

    def kwargs_for(case: Case) -> dict[str, Any]:
        original = cases_visible_to(actor).filter(pk=original_id).first()
        if original is None:
            raise ValidationError({"original": _("No case you can see has that reference.")})
        while original.duplicate_of is not None:
            original = original.duplicate_of
        return {"original": original}

    return _run(
        case_id=case_id,
        actor=actor,
        action="mark_duplicate",
        expected_version=expected_version,
        note=note,
        is_public=True,
        # The case the duplicate now points at (after following a chain of duplicates).
        data=lambda case: {"original_id": case.duplicate_of_id},
        kwargs_for=kwargs_for,
    )


def case_escalate(*, case_id: int, actor: Any, reason: str, expected_version: int | None = None) -> Case:
    """Send the case to the parent unit, where a new triage clock starts."""
    reason = _require_text(reason, field="reason")
    return _run(
        case_id=case_id,
        actor=actor,
        action="escalate",
        expected_version=expected_version,
        note=reason,
        is_public=True,
        kwargs_for=lambda case: {"reason": reason},
    )


def case_transfer(
    *, case_id: int, actor: User, unit: Unit, reason: str, expected_version: int | None = None
) -> Case:
    """Hand a submitted case to a sibling unit (leader)."""
    reason = _require_text(reason, field="reason")
    return _run(
        case_id=case_id,
        actor=actor,
        action="transfer",
        expected_version=expected_version,
        note=reason,
        is_public=True,
        kwargs_for=lambda case: {"unit": unit, "reason": reason},
    )


def case_return_down(
    *, case_id: int, actor: User, unit: Unit, reason: str, expected_version: int | None = None
) -> Case:
    """Send a submitted case from a province or central down to a unit below (leader)."""
    reason = _require_text(reason, field="reason")
    return _run(
        case_id=case_id,
        actor=actor,
        action="return_down",
        expected_version=expected_version,
        note=reason,
        is_public=True,
        kwargs_for=lambda case: {"unit": unit, "reason": reason},
    )


def case_refer(
    *,
    case_id: int,
    actor: User,
    agency: str,
    due: dt.date,
    note: str = "",
    expected_version: int | None = None,
) -> Case:
    """Ask an outside agency for input; the resolution clock pauses until it replies."""
    agency = _require_text(agency, field="agency", max_length=200)
    note = _require_text(note, field="note", required=False)
    return _run(
        case_id=case_id,
        actor=actor,
        action="refer",
        expected_version=expected_version,
        note=note,
        is_public=True,
        data={"agency": agency, "due": due.isoformat()},
        kwargs_for=lambda case: {"agency": agency, "due": due},
    )


def case_agency_replied(*, case_id: int, actor: User, note: str, expected_version: int | None = None) -> Case:
    """Record the agency's answer; the resolution clock resumes, moved by the paused working days."""
    note = _require_text(note, field="note")
    return _run(
        case_id=case_id,
        actor=actor,
        action="agency_replied",
        expected_version=expected_version,
        note=note,
        is_public=False,
        kwargs_for=lambda case: {"note": note},
    )


def case_reassign(*, case_id: int, actor: User, officer: User, expected_version: int | None = None) -> Case:
    """Give an accepted case to another officer of the unit (leader)."""
    return _run(
        case_id=case_id,
        actor=actor,
        action="reassign",
        expected_version=expected_version,
        is_public=False,
        data={"assignee_id": officer.pk},
        kwargs_for=lambda case: {"officer": officer},
    )


def case_extend(
    *, case_id: int, actor: User, days: int, reason: str, expected_version: int | None = None
) -> Case:
    """Extend the resolution deadline once at this unit (leader); the reason is shown to the citizen."""
    reason = _require_text(reason, field="reason")
    return _run(
        case_id=case_id,
        actor=actor,
        action="extend",
        expected_version=expected_version,
        note=reason,
        is_public=True,
        data={"days": days},
        kwargs_for=lambda case: {"days": days, "reason": reason},
    )


def case_submit_response(
    *,
    case_id: int,
    actor: User,
    text: str,
    expected_version: int | None = None,
    document_tokens: Sequence[str] = (),
    session_key: str = "",
) -> Case:
    """Draft the response; it waits for a leader's approval. Template placeholders must be filled in.

    ``document_tokens`` name PDFs the officer staged in ``session_key`` (the signed reply letter):
    they belong to this draft (an internal event) and reach the citizen only when a leader
    approves it. A draft sent back keeps its documents in the internal timeline; the next draft
    carries its own (a revised letter goes with a revised text).
    """
    text = _require_text(text, field="text", max_length=RESPONSE_MAX_LENGTH)
    require_no_placeholders(text, field="text")
    documents = _check_count(document_tokens, field="documents")
    papers: list[Any] = []

    def kwargs_for(case: Case) -> dict[str, Any]:
        papers.extend(_staged_files(documents, session_key, field="documents"))
        return {"text": text, "actor": actor}

    return _run(
        case_id=case_id,
        actor=actor,
        action="submit_response",
        # The officer's own draft in the internal timeline: what a leader later edits or sends back.
        note=text,
        expected_version=expected_version,
        is_public=False,
        data=lambda case: _counts([], papers) or {},
        kwargs_for=kwargs_for,
        after_event=lambda case, event: _attach(case, event, documents=papers),
    )


def case_approve(
    *, case_id: int, actor: User, text: str | None = None, expected_version: int | None = None
) -> Case:
    """Publish the drafted response to the citizen (leader); never one with unfilled placeholders.

    With ``text``, the leader edits the draft and approves it in one step: the citizen reads
    ``text``; the officer's draft and the final text are kept in an internal ``response_edited``
    event just before the public ``approve`` one. ``text`` equal to the draft (or empty) is no edit.
    """
    final = _require_text(text, field="text", required=False, max_length=RESPONSE_MAX_LENGTH) if text else ""
    edit: dict[str, str] = {}

    def kwargs_for(case: Case) -> dict[str, Any]:
        if final and final != case.response_text:
            require_no_placeholders(final, field="text")
            edit.update(draft=case.response_text, final=final)
            return {"text": final}
        # Checked on the locked row: a draft written before the rule existed is refused too.
        require_no_placeholders(case.response_text)
        return {}

    def edited(case: Case) -> list[dict[str, Any]]:
        if not edit:
            return []
        drafted_by = case.response_drafted_by_id
        return [
            {
                "kind": EventKind.RESPONSE_EDITED,
                "note": "",
                "is_public": False,
                "data": {**edit, "drafted_by": drafted_by},
            }
        ]

    return _run(
        case_id=case_id,
        actor=actor,
        action="approve",
        expected_version=expected_version,
        is_public=True,
        kwargs_for=kwargs_for,
        recorded_before=edited,
        after_event=_publish_draft_documents,
    )


def _publish_draft_documents(case: Case, event: CaseEvent) -> None:
    """The approved draft's documents move to the public ``approve`` event: the citizen reads them now."""
    from petitions.models import Document

    draft = (
        CaseEvent.objects.filter(case=case, kind=EventKind.SUBMIT_RESPONSE)
        .order_by("-created_at", "-id")
        .values_list("pk", flat=True)
        .first()
    )
    if draft is not None:
        Document.objects.filter(petition_id=case.petition_id, event_id=draft).update(event=event)


def case_send_back(*, case_id: int, actor: User, note: str, expected_version: int | None = None) -> Case:
    """Return the draft to the officer with a note (leader)."""
    note = _require_text(note, field="note")
    return _run(
        case_id=case_id,
        actor=actor,
        action="send_back",
        expected_version=expected_version,
        note=note,
        is_public=False,
        kwargs_for=lambda case: {"note": note},
    )


def case_auto_close(*, case_id: int, now: dt.datetime | None = None) -> Case:
    """Close a responded case whose feedback window has elapsed (system)."""
    return _run(
        case_id=case_id,
        actor=SystemActor(reason="feedback_window"),
        action="auto_close",
        expected_version=None,
        is_public=True,
        now=now,
    )


def case_citizen_no_answer(*, case_id: int, now: dt.datetime | None = None) -> Case:
    """One case's ``citizen_no_answer`` (system); the sweep does the same for many (``return_unanswered``)."""
    return _run(
        case_id=case_id,
        actor=SystemActor(reason="citizen_reply_window"),
        action="citizen_no_answer",
        expected_version=None,
        is_public=True,
        now=now,
    )


def case_add_note(*, case_id: int, actor: Any, text: str, is_public: bool) -> CaseEvent:
    """Add an internal note (staff only) or a public note (shown to the citizen) to a case."""
    text = _require_text(text, field="text")
    now = timezone.now()
    with transaction.atomic():
        case = _lock_case(case_id)
        membership = membership_of(actor)
        if membership is None or membership.unit_id != case.unit_id:
            raise CaseActionForbidden()
        event = _record_beside(
            case, kind=EventKind.NOTE, actor=actor, note=text, is_public=is_public, now=now
        )
        _after_commit(case, event)
    return event


def case_ask_citizen(
    *, case_id: int, actor: User, question: str, expected_version: int | None = None
) -> Case:
    """Ask the citizen a public question (the assigned officer or a leader); the resolution clock pauses.

    The citizen hears of it by SMS and e-mail through the outbox, with the question and the link to
    follow the petition; ``citizen_reply_days`` of the unit's policy later the sweep returns the
    case to the officer (``citizen_no_answer``), after one reminder to the citizen.
    """
    question = _require_text(question, field="question")
    return _run(
        case_id=case_id,
        actor=actor,
        action="ask_citizen",
        expected_version=expected_version,
        note=question,
        is_public=True,
        data=lambda case: {"due_at": case.citizen_due_at.isoformat() if case.citizen_due_at else None},
        kwargs_for=lambda case: {"question": question},
    )


def response_template_save(
    *,
    actor: Any,
    title: str,
    text: str,
    category: Any = None,
    is_active: bool = True,
    template_id: int | None = None,
) -> Any:
    """Create or update a response template of the actor's unit (leaders only)."""
    from routing.models import ResponseTemplate

    membership = membership_of(actor)
    if membership is None or not membership.is_leader:
        raise CaseActionForbidden(str(_("Only leaders can edit response templates.")))
    title = _require_text(title, field="title", max_length=120)
    text = _require_text(text, field="text", max_length=RESPONSE_MAX_LENGTH)
    if template_id is None:
        template = ResponseTemplate(unit=membership.unit)
    else:
        found = ResponseTemplate.objects.filter(pk=template_id, unit=membership.unit).first()
        if found is None:
            raise CaseActionForbidden()
        template = found
    template.title, template.text, template.category, template.is_active = title, text, category, is_active
    template.updated_by = actor
    template.save()
    return template


def membership_set_language(*, user: User, language: str) -> None:
    """Keep the back-office language ``user`` chose (backoffice.language); not a case event."""
    if language not in dict(settings.LANGUAGES):
        raise ValueError(f"unknown language {language!r}")
    Membership.objects.filter(user=user).exclude(language=language).update(language=language)
