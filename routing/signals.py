"""Signals sent after a case change has committed.

Receivers (live updates, notifications outbox drains, indexing) run only for
committed changes: ``routing.services`` sends these from
``transaction.on_commit``. They receive primary keys, never model instances.
"""

from __future__ import annotations

from django.dispatch import Signal

#: Sent with ``case_id``, ``event_id``, ``version`` and ``kind`` after commit.
case_event_committed = Signal()
