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
