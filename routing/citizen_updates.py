"""The citizen's words reaching a case through a partner or an app (Open311's updates, the JSON API).

A service beside ``routing.services`` (past its size): one entry point for what a citizen sends
after filing, whichever interface carries it. It decides under the case's row lock what the words
are: while the unit waits for an answer (``awaiting_citizen``) they are the answer
(``case_citizen_answer``: the case returns to the officer, the clock resumes); while the petition
is being handled otherwise, added information (``case_citizen_add_info``: state, unit and deadlines
unchanged); after a response or an end, nothing (a ``ValidationError``). A status the partner
sends with the words is never applied: only staff move a case, and the citizen closes one only by
rating the response or withdrawing on the tracking page.

Retries are idempotent on the client's key (Open311's ``update_id``, the API's
``Idempotency-Key``), kept in the event's ``data`` and looked up under the same lock, so two
concurrent retries add once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from petitions.models import MEDIA_URL_MAX_LENGTH
from routing.actors import CitizenActor
from routing.errors import CaseActionForbidden
from routing.models import Case, CaseEvent, CaseState, EventKind
from routing.selectors import case_event_by_idempotency_key
from routing.services import NOTE_MAX_LENGTH, case_citizen_add_info, case_citizen_answer

#: Links a partner may send with one update (as many as photos with added information).
MEDIA_URLS_MAX = 5
_validate_url = URLValidator(schemes=["http", "https"])


@dataclass(frozen=True)
class CitizenUpdate:
    """What a partner or an app sends on the citizen's behalf.

    ``idempotency_key`` is the client's key as stored (``petitions.services.idempotency_key_stored``).
    ``phone`` and ``email`` name who wrote it, when the partner says: they are compared with the
    petition's, never stored. ``written_at`` is when the citizen wrote it at the partner's.
    """

    text: str
    channel: str
    partner_id: int | None = None
    idempotency_key: str = ""
    media_urls: Sequence[str] = field(default_factory=tuple)
    written_at: dt.datetime | None = None
    phone: str = ""
    email: str = ""


@dataclass(frozen=True)
class CitizenUpdateResult:
    event: CaseEvent
    case: Case
    #: False for a retry: the event recorded the first time.
    created: bool

    @property
    def answered(self) -> bool:
        return self.event.kind == EventKind.CITIZEN_ANSWER


def _checked_links(urls: Sequence[str]) -> list[str]:
    links = [url.strip() for url in urls if url and url.strip()]
    if len(links) > MEDIA_URLS_MAX:
        raise ValidationError({"media_urls": _("Send at most %(count)s links.") % {"count": MEDIA_URLS_MAX}})
    for link in links:
        try:
            if len(link) > MEDIA_URL_MAX_LENGTH:
                raise ValidationError("too long")
            _validate_url(link)
        except ValidationError:
            raise ValidationError(
                {"media_urls": _("Enter a valid web address starting with http:// or https://.")}
            ) from None
    return links


#: Why a partner's update from someone else than the petition's citizen is refused.
NOT_THE_CITIZEN = _(
    "Only the citizen who filed this petition can add to it: the email address and phone number sent are not "
    "the petition's."
)


def is_petition_citizen(petition: Any, *, phone: str = "", email: str = "") -> bool:
    """Whether the writer a partner names (by ``phone`` or ``email``, if it names one) is the petition's citizen.

    FixMyStreet posts the comments of everyone who follows a report, not only its reporter's; only
    the citizen who filed may add to a petition. A partner that names nobody vouches for its user,
    as when it filed the petition.
    """
    from petitions.services import normalize_phone

    if not phone and not email:
        return True
    if email and petition.email and email.strip().casefold() == petition.email.casefold():
        return True
    if phone and petition.phone:
        try:
            return normalize_phone(phone) == petition.phone
        except ValidationError:
            return False
    return False


def _replayed(case: Case, update: CitizenUpdate, text: str, links: list[str]) -> CaseEvent | None:
    if not update.idempotency_key:
        return None
    earlier = case_event_by_idempotency_key(case_id=case.pk, key=update.idempotency_key)
    if earlier is None:
        return None
    if earlier.note != text or list(earlier.data.get("media_urls") or []) != links:
        raise ValidationError(
            {
                "idempotency_key": _(
                    "This key was used for other information: send new information with a new key."
                )
            }
        )
    return earlier


def case_citizen_update(*, case_id: int, actor: CitizenActor, update: CitizenUpdate) -> CitizenUpdateResult:
    """Record the citizen's words sent through ``update.channel``: the answer if asked, else added information.

    The caller has checked that ``actor`` is this petition's citizen (their tracking token, or the
    partner that filed the petition). Raises ``ValidationError`` (bad input, a key reused for
    other words, a petition answered or ended) or ``CaseActionForbidden`` (another petition's
    citizen, or a writer the partner names who is not this petition's citizen).
    """
    text = (update.text or "").strip()
    if not text:
        raise ValidationError({"text": _("This field is required.")})
    if len(text) > NOTE_MAX_LENGTH:
        raise ValidationError(
            {
                "text": _("At most %(limit)s characters (you wrote %(count)s).")
                % {"limit": NOTE_MAX_LENGTH, "count": len(text)}
            }
        )
    links = _checked_links(update.media_urls)
    data: dict[str, Any] = {"channel": update.channel}
    if update.partner_id is not None:
        data["partner"] = update.partner_id
    if update.idempotency_key:
        data["idempotency_key"] = update.idempotency_key
    if links:
        data["media_urls"] = links
    if update.written_at is not None:
        data["written_at"] = update.written_at.isoformat()
    with transaction.atomic():
        # The lock orders this against a concurrent retry and against staff changing the state.
        case = Case.objects.select_for_update().get(pk=case_id)
        if actor.petition_id != case.petition_id:
            raise CaseActionForbidden()
        if not is_petition_citizen(case.petition, phone=update.phone, email=update.email):
            raise CaseActionForbidden(str(NOT_THE_CITIZEN))
        earlier = _replayed(case, update, text, links)
        if earlier is not None:
            return CitizenUpdateResult(event=earlier, case=case, created=False)
        if case.state == CaseState.AWAITING_CITIZEN:
            answered = case_citizen_answer(case_id=case.pk, actor=actor, text=text, data=data)
            event = answered.events.filter(kind=EventKind.CITIZEN_ANSWER).latest("created_at", "id")
            return CitizenUpdateResult(event=event, case=answered, created=True)
        event = case_citizen_add_info(case_id=case.pk, actor=actor, text=text, data=data)
        case.refresh_from_db()
        return CitizenUpdateResult(event=event, case=case, created=True)
