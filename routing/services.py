"""Writes to cases. Every change goes through here.

Each service locks the case row (``select_for_update``), re-checks that the
transition applies to the state found under the lock (and, when the caller
says which version it saw, that nobody acted since), runs the transition
declared on ``Case``, bumps ``version``, writes one ``CaseEvent`` and
schedules side effects for after the commit.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import can_proceed, has_transition_perm

from routing import signals
from routing.actors import CitizenActor, SystemActor
from routing.deadlines import add_working_days, policy_for
from routing.errors import CaseActionForbidden, CaseConflict, TransitionNotPossible
from routing.models import (
    ADD_INFO_STATES,
    ActorKind,
    Case,
    CaseEvent,
    CaseState,
    EventKind,
    Level,
    Membership,
    Unit,
    membership_of,
)
from routing.responses import require_no_placeholders

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    from petitions.models import Category, Petition

logger = logging.getLogger(__name__)

NOTE_MAX_LENGTH = 4000
RESPONSE_MAX_LENGTH = 10_000


# --- routing ------------------------------------------------------------------


def route_unit_for(*, commune: Unit, category: Category, target_level: str = "") -> Unit:
    """The unit that first handles a petition about ``commune``.

    An explicit target level wins, then the category's default level, else the
    commune itself.
    """
    level = target_level or category.default_level or Level.COMMUNE
    unit = commune.ancestor_at(level)
    if unit is None:  # pragma: no cover - units always have their full ancestry
        raise ValidationError({"commune": _("This commune is not attached to the organisation.")})
    return unit


def case_open(
    *, petition: Petition, actor: Any, now: dt.datetime, received_at: dt.datetime | None = None
) -> Case:
    """Create the case for a new petition at its routed unit (inside the caller's transaction).

    ``received_at``: when the unit received a petition an officer enters now; the case counts as
    submitted then, and its triage deadline runs from then (the event is still recorded now).
    """
    unit = route_unit_for(
        commune=petition.commune, category=petition.category, target_level=petition.target_level
    )
    start = received_at or now
    triage_due = add_working_days(start, policy_for(unit.level, petition.category_id).triage_days)
    case = Case(
        petition=petition,
        unit=unit,
        category_id=petition.category_id,
        submitted_at=start,
        updated_at=now,
        triage_due_at=triage_due,
        due_at=triage_due,
    )
    case.save(force_insert=True)
    event = CaseEvent.objects.create(
        case=case,
        kind=EventKind.SUBMITTED,
        actor=actor if _actor_kind(actor) == ActorKind.STAFF else None,
        actor_kind=_actor_kind(actor),
        to_state=CaseState.SUBMITTED,
        to_unit=unit,
        is_public=True,
        case_version=case.version,
        created_at=now,
        data={"channel": petition.channel}
        | (
            {"received_via": petition.received_via, "received_at": received_at.isoformat()}
            if received_at
            else {}
        ),
    )
    _after_commit(case, event)
    return case


# --- the transition runner ------------------------------------------------------


def _actor_kind(actor: Any) -> str:
    if isinstance(actor, CitizenActor):
        return ActorKind.CITIZEN
    if isinstance(actor, SystemActor) or actor is None:
        return ActorKind.SYSTEM
    return ActorKind.STAFF


def _after_commit(case: Case, event: CaseEvent) -> None:
    """Inside the transaction: let the outboxes write their rows; after commit: announce the change."""
    signals.case_events_recorded.send(sender=Case, events=[event])
    case_id, event_id, version, kind = case.pk, event.pk, case.version, event.kind

    def send() -> None:
        signals.case_event_committed.send_robust(
            sender=Case, case_id=case_id, event_id=event_id, version=version, kind=kind
        )

    transaction.on_commit(send)


def _require_text(value: str, *, field: str, max_length: int = NOTE_MAX_LENGTH, required: bool = True) -> str:
    text = (value or "").strip()
    if required and not text:
        raise ValidationError({field: _("This field is required.")})
    if len(text) > max_length:
        raise ValidationError(
            {
                field: _("At most %(limit)s characters (you wrote %(count)s).")
                % {"limit": max_length, "count": len(text)}
            }
        )
    return text


def _lock_case(case_id: int) -> Case:
    try:
        # No joins in the locking query: PostgreSQL re-checks join conditions against the
        # old joined rows after waiting for the lock, so a case whose unit changed
        # meanwhile would vanish from the result. Related rows load after the lock.
        return Case.objects.select_for_update().get(pk=case_id)
    except Case.DoesNotExist:
        raise CaseActionForbidden() from None


def _run(
    *,
    case_id: int,
    actor: Any,
    action: str,
    expected_version: int | None,
    note: str = "",
    is_public: bool,
    data: dict[str, Any] | Callable[[Case], dict[str, Any]] | None = None,
    now: dt.datetime | None = None,
    kwargs_for: Callable[[Case], dict[str, Any]] | None = None,
    recorded_before: Callable[[Case], list[dict[str, Any]]] | None = None,
    after_event: Callable[[Case, CaseEvent], None] | None = None,
) -> Case:
    """Run transition ``action`` on the locked case and record it.

    ``recorded_before`` gives the fields (kind, note, data, is_public) of events to record just
    before the transition's own, in the same transaction and at the same version (e.g. the
    leader's edit of a draft before its approval).
    """
    now = now or timezone.now()
    with transaction.atomic():
        case = _lock_case(case_id)
        method = getattr(case, action)
        from_state = case.state
        # Jurisdiction first, so that an outsider learns nothing about the case.
        if not _actor_may_act_on(case, actor):
            if (
                expected_version is not None
                and case.version != expected_version
                and _was_at_actors_unit(case, actor)
            ):
                # The case left the actor's unit while they were looking at it.
                raise CaseConflict(str(_("This case was moved to another unit a moment ago.")))
            raise CaseActionForbidden()
        if expected_version is not None and case.version != expected_version:
            raise CaseConflict()
        if not can_proceed(method):
            raise TransitionNotPossible()
        if not has_transition_perm(method, actor):
            raise CaseActionForbidden()
        from_unit = case.unit
        kwargs = {"now": now, **(kwargs_for(case) if kwargs_for else {})}
        method(**kwargs)
        case.version += 1
        case.updated_at = now
        case.save()
        for before in recorded_before(case) if recorded_before else []:
            CaseEvent.objects.create(
                case=case,
                actor=actor if _actor_kind(actor) == ActorKind.STAFF else None,
                actor_kind=_actor_kind(actor),
                from_state=from_state,
                to_state=from_state,
                from_unit=from_unit,
                to_unit=from_unit,
                case_version=case.version,
                created_at=now,
                **before,
            )
        event = CaseEvent.objects.create(
            case=case,
            kind=action,
            actor=actor if _actor_kind(actor) == ActorKind.STAFF else None,
            actor_kind=_actor_kind(actor),
            from_state=from_state,
            to_state=case.state,
            from_unit=from_unit,
            to_unit=case.unit,
            note=note,
            is_public=is_public,
            data=(data(case) if callable(data) else data) or {},
            case_version=case.version,
            created_at=now,
        )
        if after_event is not None:
            after_event(case, event)
        _after_commit(case, event)
    logger.debug("case %s: %s by %s -> %s v%s", case.pk, action, _actor_kind(actor), case.state, case.version)
    return case


def _was_at_actors_unit(case: Case, actor: Any) -> bool:
    membership = membership_of(actor)
    return membership is not None and case.events.filter(from_unit_id=membership.unit_id).exists()


def _actor_may_act_on(case: Case, actor: Any) -> bool:
    membership = membership_of(actor)
    if membership is not None:
        return membership.unit_id == case.unit_id
    return isinstance(actor, SystemActor) or (
        isinstance(actor, CitizenActor) and actor.petition_id == case.petition_id
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


#: PDF attachments of one response (the official reply letter, a decision, a map).
RESPONSE_MAX_DOCUMENTS = 3


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
    documents = list(dict.fromkeys(document_tokens))
    if len(documents) > RESPONSE_MAX_DOCUMENTS:
        raise ValidationError(
            {"documents": _("Attach at most %(count)s documents.") % {"count": RESPONSE_MAX_DOCUMENTS}}
        )
    papers: list[Any] = []

    def kwargs_for(case: Case) -> dict[str, Any]:
        papers.extend(_staged_files(documents, session_key, field="documents"))
        return {"text": text, "actor": actor}

    return _run(
        case_id=case_id,
        actor=actor,
        action="submit_response",
        expected_version=expected_version,
        is_public=False,
        data=lambda case: _counts([], papers) or {},
        kwargs_for=kwargs_for,
        after_event=lambda case, event: _link_documents(case, event, papers),
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


def _record_beside(
    case: Case,
    *,
    kind: str,
    actor: Any,
    note: str,
    is_public: bool,
    now: dt.datetime,
    data: dict[str, Any] | None = None,
) -> CaseEvent:
    """An event that is not a transition (a note, the citizen's added information), on the locked case.

    It raises the version (a page acting on the case sees that something happened) and keeps the
    state and unit.
    """
    case.version += 1
    case.updated_at = now
    Case.objects.filter(pk=case.pk).update(version=case.version, updated_at=now)
    return CaseEvent.objects.create(
        case=case,
        kind=kind,
        actor=actor if _actor_kind(actor) == ActorKind.STAFF else None,
        actor_kind=_actor_kind(actor),
        from_state=case.state,
        to_state=case.state,
        from_unit=case.unit,
        to_unit=case.unit,
        note=note,
        is_public=is_public,
        data=data or {},
        case_version=case.version,
        created_at=now,
    )


#: Photos a citizen may add with one piece of information (as many as with the petition).
CITIZEN_INFO_MAX_PHOTOS = 5


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
        _link_photos(case, event, staged)
        _link_documents(case, event, papers)
        _after_commit(case, event)
    return event


#: PDF documents a citizen may add with one piece of information or answer.
CITIZEN_INFO_MAX_DOCUMENTS = 3


def _check_count(tokens: Sequence[str], *, field: str) -> list[str]:
    """Distinct tokens, no more than a citizen may send at once of ``field`` ("photos" or "documents")."""
    unique = list(dict.fromkeys(tokens))
    limit = CITIZEN_INFO_MAX_PHOTOS if field == "photos" else CITIZEN_INFO_MAX_DOCUMENTS
    if len(unique) > limit:
        message = (
            _("Attach at most %(count)s photos.")
            if field == "photos"
            else _("Attach at most %(count)s documents.")
        )
        raise ValidationError({field: message % {"count": limit}})
    return unique


def _staged_files(tokens: Sequence[str], session_key: str, *, field: str) -> list[Any]:
    """The staged photos or documents named by ``tokens`` (checked in the caller's transaction): all or an error."""
    from petitions.attachments import attachments_staged, documents_staged

    find = attachments_staged if field == "photos" else documents_staged
    staged = find(tokens=tokens, session_key=session_key)
    if len(staged) != len(tokens):
        message = (
            _("Some photos expired before you sent the form. Please add them again.")
            if field == "photos"
            else _("Some documents expired before you sent the form. Please add them again.")
        )
        raise ValidationError({field: message})
    return staged


def _counts(photos: list[Any], documents: list[Any]) -> dict[str, int] | None:
    counts = {name: len(items) for name, items in (("photos", photos), ("documents", documents)) if items}
    return counts or None


def _link_documents(case: Case, event: CaseEvent, staged: list[Any]) -> None:
    from petitions.models import Document

    for document in staged:
        document.petition_id = case.petition_id
        document.event = event
        document.session_key = ""  # claimed: it belongs to the petition, not to a browser
    if staged:
        Document.objects.bulk_update(staged, ["petition", "event", "session_key"])


def _link_photos(case: Case, event: CaseEvent, staged: list[Any]) -> None:
    """The citizen's photos join the petition's (after those it has), each linked to ``event``."""
    from petitions.models import Attachment

    if not staged:
        return
    after = (
        Attachment.objects.filter(petition_id=case.petition_id)
        .order_by("-position")
        .values_list("position", flat=True)
        .first()
    )
    start = -1 if after is None else after
    for offset, attachment in enumerate(staged, start=1):
        attachment.petition_id = case.petition_id
        attachment.event = event
        attachment.position = start + offset
        attachment.session_key = ""
    Attachment.objects.bulk_update(staged, ["petition", "event", "position", "session_key"])


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
        _link_photos(case, event, staged)
        _link_documents(case, event, papers)

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
