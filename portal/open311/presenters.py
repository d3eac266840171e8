"""What Open311 answers say: services and their attributes, and a case as a service request."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.urls import reverse
from django.utils import translation
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from config.public_url import public_base_url
from petitions.models import TITLE_MAX_LENGTH, Category, Channel
from portal.forms import province_choices
from routing.models import Case, CaseState, EventKind, Level
from routing.selectors import STATUS_NOTE_KINDS, open311_disclosure
from routing.wording import event_sentence

DESCRIPTION_MAX_LENGTH = 4000

#: Our states that GeoReport calls ``open``; every other state is ``closed``.
OPEN_STATES = (
    CaseState.SUBMITTED,
    CaseState.IN_PROGRESS,
    CaseState.AWAITING_AGENCY,
    CaseState.AWAITING_CITIZEN,
    CaseState.PENDING_APPROVAL,
)


def base_url() -> str:
    return public_base_url()


def _keywords(category: Category) -> str:
    words = [category.name, category.name_en, *category.keywords.split(",")]
    unique = dict.fromkeys(word.strip() for word in words if word.strip())
    return ", ".join(unique)


def service_item(category: Category) -> dict[str, Any]:
    return {
        "service_code": category.code,
        "service_name": category.display_name,
        "description": category.description or None,
        # Every service needs at least the commune (see the service definition).
        "metadata": True,
        "type": "realtime",
        "keywords": _keywords(category),
        # The level that first handles this service's requests.
        "group": str(Level(category.default_level or Level.COMMUNE).label),
    }


def _yes_no() -> list[dict[str, str]]:
    return [{"key": "true", "name": _("Yes")}, {"key": "false", "name": _("No")}]


def service_attributes() -> list[dict[str, Any]]:
    with translation.override(None):
        example = reverse("portal:portal-communes", kwargs={"province_code": "P01"})
    communes_url = f"{base_url()}{example}"
    return [
        {
            "variable": True,
            "code": "commune",
            "datatype": "string",
            "required": True,
            "datatype_description": _(
                "The code of a commune, ward or special zone, such as W00070 (or its code in the national"
                " register, such as 00070). The codes of a province's communes are listed at %(url)s (put"
                " the province's code in place of P01)."
            )
            % {"url": communes_url},
            "order": 1,
            "description": _("The commune, ward or special zone where the matter is."),
            "values": [],
        },
        {
            "variable": True,
            "code": "province",
            "datatype": "singlevaluelist",
            "required": False,
            "datatype_description": _(
                "If given, the commune must be in this province or city. The code in the national register"
                " (such as 01) is accepted too."
            ),
            "order": 2,
            "description": _("The province or city."),
            "values": [{"key": code, "name": name} for code, name in province_choices()],
        },
        {
            "variable": True,
            "code": "title",
            "datatype": "string",
            "required": False,
            "datatype_description": _(
                "At most %(count)s characters. Without it, the start of the description is used."
            )
            % {"count": TITLE_MAX_LENGTH},
            "order": 3,
            "description": _("A short title for the petition."),
            "values": [],
        },
        {
            "variable": True,
            "code": "consent_publish",
            "datatype": "singlevaluelist",
            "required": False,
            "datatype_description": None,
            "order": 4,
            "description": _(
                "May the petition and its response be published, without the citizen's name or contact"
                " details? Only published requests are listed to everyone."
            ),
            "values": _yes_no(),
        },
        {
            "variable": True,
            "code": "language",
            "datatype": "singlevaluelist",
            "required": False,
            "datatype_description": _(
                "Without it, Vietnamese. The language of the answers (locale, Accept-Language) is the"
                " caller's and does not change this."
            ),
            "order": 5,
            "description": _("The language of the messages the citizen receives (SMS and email)."),
            "values": [{"key": "vi", "name": _("Vietnamese")}, {"key": "en", "name": _("English")}],
        },
    ]


def _status_notes(case: Case) -> str | None:
    answered = case.state in (CaseState.RESPONDED, CaseState.CLOSED) and case.responded_at is not None
    if answered and case.response_text:
        return case.response_text
    notes = getattr(case, "status_note_events", [])
    return notes[-1].note if notes else None


def _description(case: Case) -> str:
    """What an Open311 client sent comes back as it was; a petition from elsewhere leads with its title."""
    petition = case.petition
    text = petition.text
    if petition.channel != Channel.OPEN311 and not text.startswith(petition.title.rstrip("…").strip()):
        text = f"{petition.title}\n\n{text}"
    return Truncator(text).chars(DESCRIPTION_MAX_LENGTH)


def _updated(case: Case) -> dt.datetime:
    if case.state not in OPEN_STATES:
        return case.closed_at or case.responded_at or case.updated_at
    return case.updated_at


def request_item(case: Case, partner_id: int | None) -> dict[str, Any]:
    """One service request as GeoReport shows it, with only what the caller may read."""
    petition = case.petition
    disclosure = open311_disclosure(case, partner_id)
    shows_content = disclosure in ("own", "public")
    own = disclosure == "own"
    places = [petition.commune.name, petition.province.name]
    if own and petition.address:
        places.insert(0, petition.address)
    is_open = case.state in OPEN_STATES
    return {
        "service_request_id": petition.tracking_code,
        "status": "open" if is_open else "closed",
        "status_notes": _status_notes(case) if shows_content else None,
        "service_name": petition.category.display_name,
        "service_code": petition.category.code,
        "description": _description(case) if shows_content else None,
        "agency_responsible": case.unit.name,
        "service_notice": str(case.get_state_display()),
        "requested_datetime": petition.submitted_at,
        "updated_datetime": _updated(case),
        "expected_datetime": (case.resolution_due_at or case.due_at) if is_open else None,
        "address": ", ".join(places) if shows_content else None,
        "address_id": None,
        "zipcode": None,
        # The map point may be where the citizen lives: only the partner that sent it gets it back.
        "lat": petition.latitude if own else None,
        "long": petition.longitude if own else None,
        "media_url": (petition.media_url or None) if own else None,
    }


def _sentence_end(text: str) -> str:
    """``text`` ending as a sentence does (a question keeps its own mark)."""
    text = text.strip()
    return text if not text or text[-1] in ".?!…:;" else f"{text}."


def update_sentence(event: Any) -> str:
    """An update in the third person: the feed is read by partners and the public, not the citizen.

    The tracking page speaks to the citizen (``routing.wording.event_sentence``: "asked you a
    question"); here the same events are told about the citizen. The unit's question is public (it
    is written for the citizen and shown on the timeline), so it is quoted; the citizen's own words
    never are.
    """
    kind = event.kind
    unit = event.to_unit.name if event.to_unit_id and event.to_unit else event.case.unit.name
    if kind == EventKind.ASK_CITIZEN:
        paused = _("Handling is paused until they answer.")
        if event.note:
            asked = _("%(unit)s asked the citizen: %(question)s") % {"unit": unit, "question": event.note}
        else:
            asked = _("%(unit)s asked the citizen a question.") % {"unit": unit}
        return f"{_sentence_end(asked)} {paused}"
    if kind == EventKind.CITIZEN_REMINDER:
        return _("The citizen was reminded of the question; handling stays paused until they answer.")
    if kind == EventKind.CITIZEN_NO_ANSWER:
        return _("The citizen did not answer in time: %(unit)s continues with what it has.") % {"unit": unit}
    if kind == EventKind.CITIZEN_ANSWER:
        return _("The citizen answered the question; handling has resumed.")
    if kind == EventKind.CITIZEN_INFO:
        return _("The citizen added information.")
    if kind == EventKind.CITIZEN_SATISFIED:
        return _("The citizen said the matter was resolved.")
    if kind == EventKind.CITIZEN_UNSATISFIED:
        return _("The citizen said the matter was not resolved; it was reopened.")
    if kind == EventKind.WITHDRAW:
        return _("The citizen withdrew the petition.")
    return str(event_sentence(event))


def update_item(event: Any, partner_id: int | None) -> dict[str, Any]:
    """One public update of a request (mySociety's ``servicerequestupdates`` extension).

    What it says follows the request's disclosure: the filing partner and published requests get
    the update's words (the public note, or the published response), others only the status.
    """
    case = event.case
    shows_content = open311_disclosure(case, partner_id) in ("own", "public")
    if event.kind == EventKind.APPROVE:
        words = case.response_text
    elif event.kind in STATUS_NOTE_KINDS and event.note:
        words = event.note
    else:
        words = update_sentence(event)
    return {
        "update_id": str(event.pk),
        "service_request_id": case.petition.tracking_code,
        "status": "open" if event.to_state in OPEN_STATES else "closed",
        "updated_datetime": event.created_at,
        "description": Truncator(words).chars(DESCRIPTION_MAX_LENGTH) if shows_content else "",
        "media_url": "",
    }
