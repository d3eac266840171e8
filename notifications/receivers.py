"""Signal receivers: the outbox listens to case events inside their transaction."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from notifications.digests import digests_send, enqueue_for_swept
from notifications.outbox import enqueue_for_events
from routing.signals import case_events_recorded, case_events_swept, sweep_finished


@receiver(case_events_recorded, dispatch_uid="notifications.outbox")
def write_notifications(sender: Any, events: list[Any], **kwargs: Any) -> None:
    # Inside the events' transaction: the rows commit or roll back with them.
    enqueue_for_events(events)


@receiver(case_events_swept, dispatch_uid="notifications.outbox.swept")
def write_swept_notifications(sender: Any, events: list[Any], **kwargs: Any) -> None:
    # A sweep batch: a few statements for thousands of events, in the batch's transaction.
    enqueue_for_swept(events)


@receiver(sweep_finished, dispatch_uid="notifications.digests")
def write_digests(sender: Any, **kwargs: Any) -> None:
    digests_send()
