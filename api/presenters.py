"""The citizen's view of a petition, as the tracking page words it (``portal.presenters``)."""

from __future__ import annotations

from typing import Any

from petitions.models import Petition
from portal import presenters
from routing.models import Case
from routing.selectors import case_public_events


def public_case(petition: Petition) -> dict[str, Any]:
    """Status, public timeline and published response of ``petition``: what its tracking page shows."""
    case: Case = petition.case
    original = case.duplicate_of
    response = None
    if case.responded_at is not None and case.response_text:
        response = {"text": case.response_text, "responded_at": case.responded_at, "unit": case.unit.name}
    return {
        "tracking_code": petition.tracking_code,
        "version": case.version,
        "title": petition.title,
        "text": petition.text,
        "category": petition.category.display_name,
        "province": petition.province.name,
        "commune": petition.commune.name,
        "submitted_at": petition.submitted_at,
        "state": case.state,
        "state_label": case.get_state_display(),
        "status": presenters.status_sentence(case),
        "unit": {"name": case.unit.name, "level": case.unit.level},
        "due_at": case.due_at,
        "timeline": [
            {
                "kind": event.kind,
                "created_at": event.created_at,
                "sentence": presenters.event_sentence(event),
                "note": event.note,
            }
            for event in case_public_events(case)
        ],
        "response": response,
        "original": {
            "tracking_code": original.petition.tracking_code,
            "state": original.state,
            "state_label": original.get_state_display(),
            "response": original.response_text if original.responded_at and original.response_text else None,
        }
        if original is not None
        else None,
        "rating": case.rating,
    }
