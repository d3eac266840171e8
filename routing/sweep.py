"""The periodic deadline sweep, in set-based batches.

Six passes, each a loop of batches. A batch locks its rows with ``SELECT ... FOR UPDATE SKIP
LOCKED`` (so two sweeps running at once split the work instead of doing it twice), writes their
events with one ``INSERT ... SELECT ... RETURNING`` from the rows as they are (which re-checks the
pass's condition: on SQLite, which has no row locks, a row changed meanwhile is left out), then
changes them with one ``UPDATE`` under the same condition. No model instance is made per row, and
a batch's queries do not grow with its size:

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

Each batch announces its events with ``signals.case_events_swept`` inside its transaction (the
outboxes write their rows for the whole batch with a statement or two) and with
``signals.case_events_committed`` after commit (one live push per batch). At the end of a run,
``signals.sweep_finished`` lets the notifications write one digest per staff member.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

from django.db import connection, transaction
from django.db.models import Case as CaseWhen
from django.db.models import DateTimeField, F, OuterRef, Q, QuerySet, Subquery, Value, When
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
    Unit,
)


@dataclass
class SweepReport:
    escalated: int = 0
    overdue: int = 0
    reminded: int = 0
    auto_closed: int = 0
    citizens_reminded: int = 0
    unanswered: int = 0


class SweptEvent(NamedTuple):
    """An event the sweep wrote, as ``case_events_swept`` hands it to its receivers."""

    id: int
    case_id: int
    kind: str
    case_version: int
    from_unit_id: int | None
    to_unit_id: int | None
    is_public: bool


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


_EVENT_COLUMNS = (
    "case_id",
    "kind",
    "actor_kind",
    "from_state",
    "to_state",
    "from_unit_id",
    "to_unit_id",
    "note",
    "is_public",
    "data",
    "case_version",
    "created_at",
)


def _iso(column: str) -> str:
    """SQL for ``isoformat()`` of a datetime column in UTC, as Python writes it into ``data``."""
    if connection.vendor == "postgresql":
        utc = f"({column} AT TIME ZONE 'UTC')"
        return (
            f"to_char({utc}, 'YYYY-MM-DD\"T\"HH24:MI:SS') || CASE WHEN "
            f"date_part('microseconds', {column})::bigint %% 1000000 = 0 THEN '' "
            f"ELSE to_char({utc}, '.US') END || '+00:00'"
        )
    # SQLite keeps them as text in UTC: "2026-12-06 08:30:00[.ffffff]".
    return f"replace({column}, ' ', 'T') || '+00:00'"


def _json(*pairs: tuple[str, str]) -> str:
    """SQL building a JSON object of (key, SQL expression) pairs."""
    function = "jsonb_build_object" if connection.vendor == "postgresql" else "json_object"
    arguments = ", ".join(f"'{key}', {value}" for key, value in pairs)
    return f"{function}({arguments})"


def _record(
    rows: QuerySet[Case],
    now: dt.datetime,
    *,
    kind: str,
    is_public: bool,
    to_state: str | None = None,
    to_parent: bool = False,
    data: str | None = None,
) -> list[SweptEvent]:
    """The events of ``rows`` in one ``INSERT ... SELECT ... RETURNING``, made before their
    ``UPDATE``: what the cases were comes from the rows themselves.

    ``to_state``: the case moves, and its version is raised with the update; ``to_parent``: to its
    unit's parent; ``data``: SQL of the event's details over the case row ``c``.
    """
    q = connection.ops.quote_name
    selected, params = rows.order_by().values("pk").query.sql_with_params()
    returning = ("id", "case_id", "kind", "case_version", "from_unit_id", "to_unit_id", "is_public")
    sql = f"""
        INSERT INTO {q(CaseEvent._meta.db_table)} ({", ".join(q(c) for c in _EVENT_COLUMNS)})
        SELECT c.id, %s, %s, c.state, {"%s" if to_state else "c.state"}, c.unit_id,
               {"u.parent_id" if to_parent else "c.unit_id"}, '', %s, {data or _json()},
               c.version + {1 if to_state else 0}, %s
        FROM {q(Case._meta.db_table)} c
        {f"JOIN {q(Unit._meta.db_table)} u ON u.id = c.unit_id" if to_parent else ""}
        WHERE c.id IN ({selected})
        ORDER BY c.id
        RETURNING {", ".join(q(c) for c in returning)}
    """  # noqa: S608 - names from the models, values as parameters
    values: list[Any] = [kind, ActorKind.SYSTEM.value, *([to_state] if to_state else [])]
    values += [is_public, connection.ops.adapt_datetimefield_value(now), *params]
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        return [SweptEvent(*row) for row in cursor.fetchall()]


def _announce(events: list[SweptEvent], now: dt.datetime) -> int:
    """After the batch's update, in its transaction: the outbox rows (``case_events_swept``, which
    read the cases as they now are); after commit, one live push. Returns how many events."""
    if not events:
        return 0
    signals.case_events_swept.send(sender=Case, events=events, now=now)
    payload = [(e.case_id, e.id, e.case_version, e.kind) for e in events]

    def send() -> None:
        signals.case_events_committed.send_robust(sender=Case, events=payload)

    transaction.on_commit(send)
    return len(events)


def _by_value(groups: dict[Any, list[int]]) -> Any:
    """One deadline for every row, or a ``CASE`` choosing each group's: one statement either way."""
    field: DateTimeField[Any, Any] = DateTimeField()
    if len(groups) == 1:
        return Value(next(iter(groups)), output_field=field)
    return CaseWhen(*(When(pk__in=ids, then=Value(v)) for v, ids in groups.items()), output_field=field)


def _run(
    candidates: QuerySet[Case],
    fields: tuple[str, ...],
    batch_size: int,
    now: dt.datetime,
    change: Callable[[list[dict[str, Any]], QuerySet[Case]], list[SweptEvent]],
) -> int:
    """Batches of locked candidates until none is left; ``change`` writes a batch's events and
    updates its rows (those of the queryset it is given, the batch still matching the pass), then
    the events are announced."""
    total = 0
    cursor = _Cursor()
    while True:
        with transaction.atomic():
            rows = _locked_batch(cursor, candidates, fields, batch_size)
            if not rows:
                return total
            total += _announce(change(rows, candidates.filter(pk__in=[r["pk"] for r in rows])), now)


def escalate_untriaged(*, now: dt.datetime, batch_size: int = 2000) -> int:
    candidates = Case.objects.filter(state=CaseState.SUBMITTED, due_at__lt=now, unit__parent__isnull=False)
    dues: dict[tuple[str, int], dt.datetime] = {}

    def change(rows: list[dict[str, Any]], batch: QuerySet[Case]) -> list[SweptEvent]:
        groups: dict[dt.datetime, list[int]] = defaultdict(list)
        for row in rows:
            policy_key = (row["unit__parent__level"], row["category_id"])
            if policy_key not in dues:
                dues[policy_key] = add_working_days(now, policy_for(*policy_key).triage_days)
            groups[dues[policy_key]].append(row["pk"])
        # The candidates' join on the unit's parent cannot be in an UPDATE: the locked ids can.
        batch = Case.objects.filter(pk__in=[r["pk"] for r in rows], state=CaseState.SUBMITTED, due_at__lt=now)
        events = _record(
            batch,
            now,
            kind=EventKind.ESCALATE,
            is_public=True,
            to_state=CaseState.SUBMITTED,
            to_parent=True,
            data=_json(("automatic", "'triage_overdue'")),
        )
        due = _by_value(groups)
        batch.update(
            unit_id=Subquery(Unit.objects.filter(pk=OuterRef("unit_id")).order_by().values("parent_id")[:1]),
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
        return events

    fields = ("pk", "unit__parent__level", "category_id")
    return _run(candidates, fields, batch_size, now, change)


def mark_overdue(*, now: dt.datetime, batch_size: int = 2000) -> int:
    candidates = Case.objects.filter(state__in=CLOCKED_STATES, due_at__lt=now, is_overdue=False)

    def change(rows: list[dict[str, Any]], batch: QuerySet[Case]) -> list[SweptEvent]:
        data = _json(("due_at", _iso("c.due_at")))
        events = _record(batch, now, kind=EventKind.OVERDUE, is_public=False, data=data)
        # updated_at: a reindex catches up on the cases changed while it ran.
        batch.update(is_overdue=True, overdue_since=now, updated_at=now)
        return events

    return _run(candidates, ("pk",), batch_size, now, change)


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
    # Staff reminders name whom they are for; a citizen's needs only the deadline.
    data = [("due_at", _iso("c.due_at"))]
    if kind == EventKind.REMINDER:
        data.append(("assignee_id", "c.assignee_id"))

    def change(rows: list[dict[str, Any]], batch: QuerySet[Case]) -> list[SweptEvent]:
        events = _record(batch, now, kind=kind, is_public=is_public, data=_json(*data))
        batch.update(reminded_due_at=F("due_at"))
        return events

    return _run(due, ("pk",), batch_size, now, change)


def auto_close_responded(*, now: dt.datetime, batch_size: int = 2000) -> int:
    candidates = Case.objects.filter(state=CaseState.RESPONDED, feedback_due_at__lt=now)

    def change(rows: list[dict[str, Any]], batch: QuerySet[Case]) -> list[SweptEvent]:
        events = _record(batch, now, kind=EventKind.AUTO_CLOSE, is_public=True, to_state=CaseState.CLOSED)
        batch.update(
            state=CaseState.CLOSED,
            closed_at=now,
            due_at=None,
            is_overdue=False,
            overdue_since=None,
            version=F("version") + 1,
            updated_at=now,
        )
        return events

    return _run(candidates, ("pk",), batch_size, now, change)


def remind_citizens(*, now: dt.datetime, batch_size: int = 2000) -> int:
    """Once per question: the citizen's answer is due within a working day (an SMS and e-mail)."""
    candidates = Case.objects.filter(state=CaseState.AWAITING_CITIZEN)
    return _remind(
        candidates, kind=EventKind.CITIZEN_REMINDER, is_public=True, now=now, batch_size=batch_size
    )


def return_unanswered(*, now: dt.datetime, batch_size: int = 2000) -> int:
    """Questions past their deadline: the cases go back to their officers, "no answer from the citizen"."""
    candidates = Case.objects.filter(state=CaseState.AWAITING_CITIZEN, due_at__lt=now)

    def change(rows: list[dict[str, Any]], batch: QuerySet[Case]) -> list[SweptEvent]:
        # The new resolution deadline: cases paused on the same day share one.
        groups: dict[dt.datetime, list[int]] = defaultdict(list)
        for row in rows:
            paused = working_days_between(row["paused_at"], now) if row["paused_at"] else 0
            groups[add_working_days(row["resolution_due_at"], paused)].append(row["pk"])
        events = _record(
            batch, now, kind=EventKind.CITIZEN_NO_ANSWER, is_public=True, to_state=CaseState.IN_PROGRESS
        )
        due = _by_value(groups)
        batch.update(
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
        return events

    return _run(candidates, ("pk", "paused_at", "resolution_due_at"), batch_size, now, change)


def sweep_deadlines(*, now: dt.datetime | None = None, batch_size: int = 2000) -> SweepReport:
    """Run every pass once, then let the staff digests be written; safe to run concurrently and repeatedly."""
    now = now or timezone.now()
    report = SweepReport(
        escalated=escalate_untriaged(now=now, batch_size=batch_size),
        overdue=mark_overdue(now=now, batch_size=batch_size),
        reminded=record_reminders(now=now, batch_size=batch_size),
        auto_closed=auto_close_responded(now=now, batch_size=batch_size),
        citizens_reminded=remind_citizens(now=now, batch_size=batch_size),
        unanswered=return_unanswered(now=now, batch_size=batch_size),
    )
    signals.sweep_finished.send(sender=Case, now=now, report=report)
    return report
