"""The periodic deadline sweep, in set-based batches.

Four passes, each a loop of batches that lock their rows with
``SELECT ... FOR UPDATE SKIP LOCKED`` (so two sweeps running at once split the
work instead of doing it twice), change them with one ``UPDATE`` per group and
write their events with one ``INSERT``:

1. escalate cases left untriaged past their triage deadline to the parent unit
   (the set-based form of ``Case.escalate``, done by the system);
2. mark cases past their current deadline as overdue;
3. record a reminder for cases due within the next working day;
4. close responded cases whose feedback window has elapsed
   (the set-based form of ``Case.auto_close``);
5. remind a citizen once, a working day before their answer to a question is due;
6. return a case whose citizen did not answer in time to its officer (the set-based form of
   ``Case.citizen_no_answer``: the resolution clock resumes, longer by the days it waited).

Overdue marks and reminders are not transitions: they do not bump the case
version, so an officer in the middle of an action is not told that someone
else changed the case.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from routing import signals
from routing.deadlines import add_working_days, policy_for, working_days_between
from routing.models import (
    CLOCKED_STATES,
    ActorKind,
    Case,
    CaseEvent,
    CaseState,
    EventKind,
)


@dataclass
class SweepReport:
    escalated: int = 0
    overdue: int = 0
    reminded: int = 0
    auto_closed: int = 0
    citizens_reminded: int = 0
    unanswered: int = 0


@dataclass
class _Cursor:
    """Where the previous batch of a pass ended: the next one starts after it.

    Without it every batch would walk the primary key again past the rows earlier batches
    changed (and their dead versions), so a pass would cost the square of its backlog.
    """

    after: int = 0


def _locked_batch(
    cursor: _Cursor, queryset: Any, fields: tuple[str, ...], batch_size: int
) -> list[dict[str, Any]]:
    rows = list(
        queryset.filter(pk__gt=cursor.after)
        .select_for_update(skip_locked=True, of=("self",))
        .order_by("pk")
        .values(*fields)[:batch_size]
    )
    if rows:
        cursor.after = rows[-1]["pk"]
    return rows


def _announce(events: list[CaseEvent]) -> None:
    """Inside the batch's transaction: outbox rows for the events; after commit: announce them."""
    signals.case_events_recorded.send(sender=Case, events=events)
    payload = [(e.case_id, e.pk, e.case_version, e.kind) for e in events]

    def send() -> None:
        signals.case_events_committed.send_robust(sender=Case, events=payload)

    transaction.on_commit(send)


def escalate_untriaged(*, now: dt.datetime, batch_size: int = 2000) -> int:
    candidates = Case.objects.filter(state=CaseState.SUBMITTED, due_at__lt=now, unit__parent__isnull=False)
    total = 0
    cursor = _Cursor()
    while True:
        with transaction.atomic():
            rows = _locked_batch(
                cursor,
                candidates,
                (
                    "pk",
                    "version",
                    "unit_id",
                    "unit__parent_id",
                    "unit__parent__level",
                    "category_id",
                ),
                batch_size,
            )
            if not rows:
                return total
            groups: dict[tuple[int, dt.datetime], list[int]] = defaultdict(list)
            dues: dict[tuple[str, int], dt.datetime] = {}
            events = []
            for row in rows:
                policy_key = (row["unit__parent__level"], row["category_id"])
                if policy_key not in dues:
                    dues[policy_key] = add_working_days(now, policy_for(*policy_key).triage_days)
                due = dues[policy_key]
                groups[(row["unit__parent_id"], due)].append(row["pk"])
                events.append(
                    _system_event(
                        row,
                        kind=EventKind.ESCALATE,
                        now=now,
                        is_public=True,
                        states=(CaseState.SUBMITTED, CaseState.SUBMITTED),
                        to_unit_id=row["unit__parent_id"],
                        data={"automatic": "triage_overdue"},
                    )
                )
            for (parent_id, due), ids in groups.items():
                Case.objects.filter(pk__in=ids).update(
                    unit_id=parent_id,
                    assignee=None,
                    extension_used=False,
                    triaged_at=None,
                    triage_due_at=due,
                    resolution_due_at=None,
                    agency_due_at=None,
                    paused_at=None,
                    due_at=due,
                    is_overdue=False,
                    overdue_since=None,
                    version=F("version") + 1,
                    updated_at=now,
                )
            _announce(CaseEvent.objects.bulk_create(events))
            total += len(rows)


def _system_event(
    row: dict[str, Any],
    *,
    kind: str,
    now: dt.datetime,
    is_public: bool,
    states: tuple[str, str] | None = None,
    to_unit_id: int | None = None,
    data: dict[str, Any] | None = None,
) -> CaseEvent:
    """The sweep's event for one locked ``row`` (pk, version, unit_id; state when it stays).

    With ``states`` (from, to) the case moved and its version was raised with the update; without,
    the state stays (a reminder, an overdue mark) and so does the version.
    """
    from_state, to_state = states or (row["state"], row["state"])
    return CaseEvent(
        case_id=row["pk"],
        kind=kind,
        actor_kind=ActorKind.SYSTEM,
        from_state=from_state,
        to_state=to_state,
        from_unit_id=row["unit_id"],
        to_unit_id=to_unit_id or row["unit_id"],
        is_public=is_public,
        data=data or {},
        case_version=row["version"] + (1 if states else 0),
        created_at=now,
    )


def mark_overdue(*, now: dt.datetime, batch_size: int = 2000) -> int:
    candidates = Case.objects.filter(state__in=CLOCKED_STATES, due_at__lt=now, is_overdue=False)
    total = 0
    cursor = _Cursor()
    while True:
        with transaction.atomic():
            rows = _locked_batch(
                cursor, candidates, ("pk", "version", "state", "unit_id", "due_at"), batch_size
            )
            if not rows:
                return total
            # updated_at: a reindex catches up on the cases changed while it ran.
            Case.objects.filter(pk__in=[r["pk"] for r in rows]).update(
                is_overdue=True, overdue_since=now, updated_at=now
            )
            events = [
                _system_event(
                    r,
                    kind=EventKind.OVERDUE,
                    now=now,
                    is_public=False,
                    data={"due_at": r["due_at"].isoformat()},
                )
                for r in rows
            ]
            _announce(CaseEvent.objects.bulk_create(events))
            total += len(rows)


def record_reminders(*, now: dt.datetime, batch_size: int = 2000) -> int:
    """A unit's reminder, once per deadline, for cases due within the next working day."""
    candidates = Case.objects.filter(state__in=CLOCKED_STATES, is_overdue=False)
    return _remind(candidates, kind=EventKind.REMINDER, is_public=False, now=now, batch_size=batch_size)


def _remind(candidates: Any, *, kind: str, is_public: bool, now: dt.datetime, batch_size: int) -> int:
    """One reminder event per case whose current deadline is within a working day and not yet reminded."""
    horizon = add_working_days(now, 1)
    due = candidates.filter(due_at__gte=now, due_at__lte=horizon).filter(
        Q(reminded_due_at__isnull=True) | ~Q(reminded_due_at=F("due_at"))
    )
    total = 0
    cursor = _Cursor()
    while True:
        with transaction.atomic():
            rows = _locked_batch(
                cursor, due, ("pk", "version", "state", "unit_id", "due_at", "assignee_id"), batch_size
            )
            if not rows:
                return total
            Case.objects.filter(pk__in=[r["pk"] for r in rows]).update(reminded_due_at=F("due_at"))
            events = [
                _system_event(
                    r,
                    kind=kind,
                    now=now,
                    is_public=is_public,
                    # Staff reminders name whom they are for; a citizen's needs only the deadline.
                    data={"due_at": r["due_at"].isoformat()}
                    | ({"assignee_id": r["assignee_id"]} if kind == EventKind.REMINDER else {}),
                )
                for r in rows
            ]
            _announce(CaseEvent.objects.bulk_create(events))
            total += len(rows)


def auto_close_responded(*, now: dt.datetime, batch_size: int = 2000) -> int:
    candidates = Case.objects.filter(state=CaseState.RESPONDED, feedback_due_at__lt=now)
    total = 0
    cursor = _Cursor()
    while True:
        with transaction.atomic():
            rows = _locked_batch(cursor, candidates, ("pk", "version", "unit_id"), batch_size)
            if not rows:
                return total
            Case.objects.filter(pk__in=[r["pk"] for r in rows]).update(
                state=CaseState.CLOSED,
                closed_at=now,
                due_at=None,
                is_overdue=False,
                overdue_since=None,
                version=F("version") + 1,
                updated_at=now,
            )
            events = [
                _system_event(
                    r,
                    kind=EventKind.AUTO_CLOSE,
                    now=now,
                    is_public=True,
                    states=(CaseState.RESPONDED, CaseState.CLOSED),
                )
                for r in rows
            ]
            _announce(CaseEvent.objects.bulk_create(events))
            total += len(rows)


def remind_citizens(*, now: dt.datetime, batch_size: int = 2000) -> int:
    """Once per question: the citizen's answer is due within a working day (an SMS and e-mail)."""
    candidates = Case.objects.filter(state=CaseState.AWAITING_CITIZEN)
    return _remind(
        candidates, kind=EventKind.CITIZEN_REMINDER, is_public=True, now=now, batch_size=batch_size
    )


def return_unanswered(*, now: dt.datetime, batch_size: int = 2000) -> int:
    """Questions past their deadline: the cases go back to their officers, "no answer from the citizen"."""
    candidates = Case.objects.filter(state=CaseState.AWAITING_CITIZEN, due_at__lt=now)
    total = 0
    cursor = _Cursor()
    while True:
        with transaction.atomic():
            rows = _locked_batch(
                cursor, candidates, ("pk", "version", "unit_id", "paused_at", "resolution_due_at"), batch_size
            )
            if not rows:
                return total
            # One UPDATE per new resolution deadline (cases paused on the same day share one).
            groups: dict[dt.datetime, list[int]] = defaultdict(list)
            for row in rows:
                paused = working_days_between(row["paused_at"], now) if row["paused_at"] else 0
                groups[add_working_days(row["resolution_due_at"], paused)].append(row["pk"])
            for due, ids in groups.items():
                Case.objects.filter(pk__in=ids).update(
                    state=CaseState.IN_PROGRESS,
                    paused_at=None,
                    citizen_due_at=None,
                    resolution_due_at=due,
                    due_at=due,
                    is_overdue=False,
                    overdue_since=None,
                    version=F("version") + 1,
                    updated_at=now,
                )
            events = [
                _system_event(
                    r,
                    kind=EventKind.CITIZEN_NO_ANSWER,
                    now=now,
                    is_public=True,
                    states=(CaseState.AWAITING_CITIZEN, CaseState.IN_PROGRESS),
                )
                for r in rows
            ]
            _announce(CaseEvent.objects.bulk_create(events))
            total += len(rows)


def sweep_deadlines(*, now: dt.datetime | None = None, batch_size: int = 2000) -> SweepReport:
    """Run every pass once; safe to run concurrently and repeatedly."""
    now = now or timezone.now()
    return SweepReport(
        escalated=escalate_untriaged(now=now, batch_size=batch_size),
        overdue=mark_overdue(now=now, batch_size=batch_size),
        reminded=record_reminders(now=now, batch_size=batch_size),
        auto_closed=auto_close_responded(now=now, batch_size=batch_size),
        citizens_reminded=remind_citizens(now=now, batch_size=batch_size),
        unanswered=return_unanswered(now=now, batch_size=batch_size),
    )
