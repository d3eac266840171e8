"""Signal receivers: the outbox listens to case events inside their transaction."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from notifications.outbox import enqueue_for_events
from routing.signals import case_events_recorded


@receiver(case_events_recorded, dispatch_uid="notifications.outbox")
def write_notifications(sender: Any, events: list[Any], **kwargs: Any) -> None:
    # Inside the events' transaction: the rows commit or roll back with them.
    enqueue_for_events(events)
