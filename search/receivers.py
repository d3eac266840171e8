"""The indexing outbox listens to case events inside their transaction."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from routing.signals import case_events_recorded, case_events_swept
from search.outbox import enqueue

#: Events that change nothing a document holds (notes and reminders are not indexed).
NOT_INDEXED = {"note", "reminder"}


@receiver(case_events_recorded, dispatch_uid="search.outbox")
def queue_for_indexing(sender: Any, events: list[Any], **kwargs: Any) -> None:
    enqueue(event.case_id for event in events if event.kind not in NOT_INDEXED)


@receiver(case_events_swept, dispatch_uid="search.outbox.swept")
def queue_swept_for_indexing(sender: Any, events: list[Any], **kwargs: Any) -> None:
    # A sweep batch (``routing.sweep.SweptEvent`` tuples): one upsert of queue rows for the batch.
    enqueue(event.case_id for event in events if event.kind not in NOT_INDEXED)
