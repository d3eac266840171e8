"""Signals sent after a case change has committed.

Receivers (live updates, notifications outbox drains, indexing) run only for
committed changes: ``routing.services`` sends these from
``transaction.on_commit``. They receive primary keys, never model instances.
"""

from __future__ import annotations

from django.dispatch import Signal

#: Sent with ``case_id``, ``event_id``, ``version`` and ``kind`` after commit.
case_event_committed = Signal()

#: The same for a batch (the sweep): ``events``, a list of (case_id, event_id, version, kind),
#: so that receivers can handle thousands of events with a query, not a query each.
case_events_committed = Signal()

#: Sent with ``events`` (CaseEvent rows just written) INSIDE the transaction that wrote
#: them, so receivers can write their own rows atomically with the change (the
#: notification and indexing outboxes). Receivers must not do anything else: no I/O.
case_events_recorded = Signal()

#: Sent by the deadline sweep INSIDE each batch's transaction instead of ``case_events_recorded``,
#: with ``events`` (``routing.sweep.SweptEvent`` tuples: id, case_id, kind, case_version,
#: from_unit_id, to_unit_id, is_public) and ``now``. There are thousands per batch and no model
#: instances: receivers write their rows for the whole batch with a statement or two, from the ids.
#: A receiver of ``case_events_recorded`` that must see every event (an outbox, a rollup) listens
#: to this one too.
case_events_swept = Signal()

#: Sent when a sweep has run all its passes (``now``, ``report``), outside any transaction: the
#: notifications write each staff member's digest of what the run found for them.
sweep_finished = Signal()
