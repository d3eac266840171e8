"""The citizen's view of a petition, as the tracking page words it (``routing.wording``); documents as listed."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from config.logs import redact
from config.public_url import public_base_url
from petitions.models import Petition
from petitions.retention import petition_past_retention
from routing import wording
from routing.models import ActorKind, Case
from routing.selectors import case_public_events


def public_case(petition: Petition) -> dict[str, Any]:
    """Status, public timeline and published response of ``petition``: what its tracking page shows.

    The tracking page's rule holds here too (docs/architecture.md): past the retention period the
    phone numbers and emails written into the petition and the citizen's own notes are not shown.
    """
    case: Case = petition.case
    past_retention = petition_past_retention(petition)
    original = case.duplicate_of
    response = None
    if case.responded_at is not None and case.response_text:
        response = {"text": case.response_text, "responded_at": case.responded_at, "unit": case.unit.name}
    return {
        "tracking_code": petition.tracking_code,
        "version": case.version,
        "title": redact(petition.title) if past_retention else petition.title,
        "text": redact(petition.text) if past_retention else petition.text,
        "category": petition.category.display_name,
        "province": petition.province.name,
        "commune": petition.commune.name,
        "submitted_at": petition.submitted_at,
        "state": case.state,
        "state_label": case.get_state_display(),
        "status": wording.status_sentence(case),
        "unit": {"name": case.unit.name, "level": case.unit.level},
        "due_at": case.due_at,
        "timeline": [
            {
                "kind": event.kind,
                "created_at": event.created_at,
                "sentence": wording.event_sentence(event),
                "note": "" if past_retention and event.actor_kind == ActorKind.CITIZEN else event.note,
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
        # A response's documents reach the citizen when a leader approves it (``for_citizen``).
        "documents": []
        if past_retention
        else _documents(petition.documents.for_citizen(), petition=petition),
    }


def _document(document: Any, url: str) -> dict[str, Any]:
    return {
        "id": document.pk,
        "name": document.name,
        "size": document.size,
        "pages": document.pages,
        "created_at": document.created_at,
        "event": document.event_id,
        "url": f"{public_base_url()}{url}",
    }


def _documents(documents: Any, *, petition: Petition) -> list[dict[str, Any]]:
    """The citizen's download addresses: ``/track/{code}/documents/{id}/``, sent with the tracking token."""
    code = petition.tracking_code
    return [
        _document(document, reverse("api:api-track-document", kwargs={"code": code, "document": document.pk}))
        for document in documents
    ]


def case_documents(case: Case) -> list[dict[str, Any]]:
    """The handling unit's download addresses: ``/cases/{id}/documents/{id}/``, sent with the staff token."""
    return [
        _document(document, reverse("api:api-case-document", kwargs={"pk": case.pk, "document": document.pk}))
        for document in case.petition.documents.all()
    ]
