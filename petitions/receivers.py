"""Petitions listen to case events inside their transaction: a merged duplicate carries its co-signers."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from routing.models import Case, EventKind
from routing.signals import case_events_recorded


@receiver(case_events_recorded, dispatch_uid="petitions.cosigners")
def carry_cosigners(sender: Any, events: list[Any], **kwargs: Any) -> None:
    from petitions.cosign import cosigners_carry

    for event in events:
        if event.kind != EventKind.MARK_DUPLICATE:
            continue
        case = event.case
        original = Case.objects.filter(pk=case.duplicate_of_id).values_list("petition_id", flat=True).first()
        if original is not None:
            cosigners_carry(duplicate_id=case.petition_id, original_id=original, now=event.created_at)
