"""What every case service shares: routing a new case, the locked transition runner (``_run``), events beside a transition, and the staged files a service claims."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import can_proceed, has_transition_perm

from routing import signals
from routing.actors import CitizenActor, SystemActor
from routing.deadlines import add_working_days, policy_for
from routing.errors import CaseActionForbidden, CaseConflict, TransitionNotPossible
from routing.models import (
    ActorKind,
    Case,
    CaseEvent,
    CaseState,
    EventKind,
    Level,
    Unit,
    membership_of,
)
from routing.reference import unit_table

if TYPE_CHECKING:
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
    case_id, event_id, version, kind, state = case.pk, event.pk, case.version, event.kind, case.state
    # The units' paths from the units each process holds: the live push reads nothing after commit.
    units = unit_table().by_id
    paths = tuple(
        units[unit_id].path if unit_id in units else None
        for unit_id in dict.fromkeys((case.unit_id, event.from_unit_id, event.to_unit_id))
        if unit_id is not None
    )

    def send() -> None:
        signals.case_event_committed.send_robust(
            sender=Case,
            case_id=case_id,
            event_id=event_id,
            version=version,
            kind=kind,
            state=state,
            unit_paths=None if None in paths else paths,
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


def _check_count(tokens: Sequence[str], *, field: str) -> list[str]:
    """Distinct tokens, no more than may go together of ``field`` ("photos" or "documents")."""
    from petitions.attachments import files_within_limit

    return files_within_limit(tokens, field=field)


def _staged_files(tokens: Sequence[str], session_key: str, *, field: str) -> list[Any]:
    """The staged photos or documents named by ``tokens``, locked in the caller's transaction: all or an error."""
    from petitions.attachments import staged_claim

    return staged_claim(tokens, session_key, field=field)


def _counts(photos: list[Any], documents: list[Any]) -> dict[str, int] | None:
    counts = {name: len(items) for name, items in (("photos", photos), ("documents", documents)) if items}
    return counts or None


def _attach(
    case: Case, event: CaseEvent, *, photos: Sequence[Any] = (), documents: Sequence[Any] = ()
) -> None:
    """The claimed files join the case's petition (photos after those it has), each linked to ``event``."""
    from petitions.attachments import staged_attach

    staged_attach(petition_id=case.petition_id, event=event, photos=photos, documents=documents)
