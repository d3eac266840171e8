"""mySociety's ``servicerequestupdates`` extension: public updates out (GET), the citizen's words in (POST).

GET lists the public updates of the requests the caller may list (``routing.selectors.open311_updates``).
POST takes what FixMyStreet's Open311 client (``perllib/Open311.pm``,
``post_service_request_update``) sends when the citizen who reported something adds to it, with the
parameters mySociety's Open311 endpoint declares (``open311-adapter``'s
``Open311::Endpoint::Role::mySociety``): ``api_key``, ``service_request_id``, ``update_id``,
``status``, ``updated_datetime``, ``description``, and optionally ``media_url`` (repeatable),
``email``, ``phone``, ``first_name``, ``last_name`` and a few that are ignored. The answer is
``<service_request_updates><request_update><update_id>…`` with the id of the new update.

Only the partner that filed the request may add to it. The words go to
``routing.citizen_updates.case_citizen_update``, which decides what they are: the citizen's
answer while the unit waits for one, added information otherwise, nothing once the petition was
answered or ended (a 400). The ``status`` sent is read and never applied (see that module).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from petitions.limits import add_info_wait
from petitions.models import Channel, PartnerKey
from petitions.services import (
    IDEMPOTENCY_KEY_MAX_LENGTH,
    idempotency_key_stored,
    normalize_text,
    normalize_tracking_code,
)
from portal.open311.presenters import DESCRIPTION_MAX_LENGTH, update_item
from portal.open311.render import error_response, respond
from portal.open311.views import MAX_RESULTS, BadRequest, _parse_datetime, _too_many, _window, open311_view
from routing.actors import CitizenActor
from routing.citizen_updates import (
    MEDIA_URLS_MAX,
    NOT_THE_CITIZEN,
    CitizenUpdate,
    case_citizen_update,
    is_petition_citizen,
)
from routing.errors import CaseActionForbidden, CaseConflict
from routing.models import CaseState
from routing.selectors import (
    case_event_by_idempotency_key,
    open311_cases,
    open311_disclosure,
    open311_updates,
)

#: FixMyStreet's statuses (``status_extended_upper`` of mySociety's endpoint, and ``CANCELLED``
#: that its client also sends). Read, checked and never applied.
STATUSES = (
    "OPEN",
    "CLOSED",
    "FIXED",
    "IN_PROGRESS",
    "ACTION_SCHEDULED",
    "INVESTIGATING",
    "DUPLICATE",
    "NOT_COUNCILS_RESPONSIBILITY",
    "NO_FURTHER_ACTION",
    "INTERNAL_REFERRAL",
    "REOPEN",
    "FOR_TRIAGE",
    "CANCELLED",
)
#: Parameters that may be sent more than once: FixMyStreet sends one ``media_url`` per photo.
REPEATABLE = ("media_url",)
#: The service's field names as the parameters an Open311 client sent.
PARAMETER_OF_FIELD = {
    "text": "description",
    "media_urls": "media_url",
    "idempotency_key": "update_id",
}


@open311_view("GET", "POST", key_required_for=("POST",))
def service_request_updates(request: HttpRequest, *, fmt: str, key: PartnerKey | None) -> HttpResponse:
    if request.method == "POST":
        assert key is not None
        return _post_update(request, fmt, key)
    return _list_updates(request, fmt, key)


def _list_updates(request: HttpRequest, fmt: str, key: PartnerKey | None) -> HttpResponse:
    """The public updates of the requests the caller may list, ``start_date``/``end_date`` as for requests."""
    partner_id = key.partner_id if key is not None else None
    try:
        start, end = _window(request, timezone.now())
    except BadRequest as exc:
        return error_response(fmt, 400, *exc.descriptions)
    events = open311_updates(partner_id=partner_id, start=start, end=end, limit=MAX_RESULTS)
    return respond(fmt, "service_request_updates", [update_item(event, partner_id) for event in events])


def _parameter_errors(post: Any) -> list[str]:
    errors: list[str] = []
    for name, values in post.lists():
        if len(values) > 1 and name not in REPEATABLE and not name.startswith("attribute["):
            errors.append(f"{name}: " + _("send one value, not %(count)s.") % {"count": len(values)})
    if len(post.getlist("media_url")) > MEDIA_URLS_MAX:
        errors.append("media_url: " + _("Send at most %(count)s links.") % {"count": MEDIA_URLS_MAX})
    if not normalize_text(post.get("service_request_id")):
        errors.append(_("service_request_id: name the request to add to."))
    description = normalize_text(post.get("description"))
    if not description:
        errors.append(_("description: write what the citizen adds."))
    elif len(description) > DESCRIPTION_MAX_LENGTH:
        errors.append(
            "description: "
            + _("At most %(limit)s characters (you wrote %(count)s).")
            % {"limit": DESCRIPTION_MAX_LENGTH, "count": len(description)}
        )
    status = normalize_text(post.get("status"))
    if status and status.upper() not in STATUSES:
        errors.append(_("status: use one of %(statuses)s.") % {"statuses": ", ".join(STATUSES)})
    if len(normalize_text(post.get("update_id"))) > IDEMPOTENCY_KEY_MAX_LENGTH:
        errors.append(_("update_id: at most %(count)s characters.") % {"count": IDEMPOTENCY_KEY_MAX_LENGTH})
    return errors


def _service_errors(exc: ValidationError) -> list[str]:
    if not hasattr(exc, "error_dict"):
        return [str(message) for message in exc.messages]
    descriptions: list[str] = []
    for field, messages in exc.message_dict.items():
        if field == NON_FIELD_ERRORS:
            descriptions.extend(messages)
        else:
            parameter = PARAMETER_OF_FIELD.get(field, field)
            descriptions.extend(f"{parameter}: {message}" for message in messages)
    return descriptions


def _post_update(request: HttpRequest, fmt: str, key: PartnerKey) -> HttpResponse:
    post = request.POST
    errors = _parameter_errors(post)
    written_at = None
    if raw_time := normalize_text(post.get("updated_datetime")):
        try:
            written_at = _parse_datetime("updated_datetime", raw_time)
        except BadRequest as exc:
            errors.extend(exc.descriptions)
    if errors:
        return error_response(fmt, 400, *errors)

    sent_id = normalize_text(post.get("service_request_id"))
    case = open311_cases(partner_id=key.partner_id, codes=[normalize_tracking_code(sent_id)]).first()
    if case is None:
        return error_response(fmt, 404, _("service_request_id %(id)s was not found.") % {"id": sent_id})
    if open311_disclosure(case, key.partner_id) != "own":
        return error_response(
            fmt,
            403,
            _("service_request_id %(id)s: only the partner that filed a request can add to it.")
            % {"id": sent_id},
        )

    phone, email = normalize_text(post.get("phone")), normalize_text(post.get("email"))
    # Before anything is counted: FixMyStreet posts other people's comments too, which must not
    # spend the citizen's allowance (the service checks again under the case's lock).
    if not is_petition_citizen(case.petition, phone=phone, email=email):
        return error_response(fmt, 403, str(NOT_THE_CITIZEN))

    # FixMyStreet's own id of the update; a client without one may send an Idempotency-Key header.
    client_key = normalize_text(post.get("update_id")) or normalize_text(
        request.headers.get("Idempotency-Key")
    )
    if len(client_key) > IDEMPOTENCY_KEY_MAX_LENGTH:
        return error_response(
            fmt,
            400,
            _("Idempotency-Key: at most %(count)s characters.") % {"count": IDEMPOTENCY_KEY_MAX_LENGTH},
        )
    stored_key = idempotency_key_stored(client_key, channel=Channel.OPEN311, partner=key.partner_id)
    # A retry of an update already taken is answered whatever the limit (it adds nothing); an
    # answer to the unit's question is never counted (the portal does not count it either).
    replay = case_event_by_idempotency_key(case_id=case.pk, key=stored_key) is not None
    if not replay and case.state != CaseState.AWAITING_CITIZEN:
        wait = add_info_wait(request, case.petition.tracking_code)
        if wait is not None:
            return _too_many(
                fmt,
                wait,
                _(
                    "service_request_id: too much information was added to this request today. Try again in "
                    "%(seconds)s seconds."
                )
                % {"seconds": wait},
            )

    update = CitizenUpdate(
        text=normalize_text(post.get("description")),
        channel=Channel.OPEN311,
        partner_id=key.partner_id,
        idempotency_key=stored_key,
        media_urls=tuple(normalize_text(url) for url in post.getlist("media_url")),
        written_at=written_at,
        phone=phone,
        email=email,
    )
    try:
        result = case_citizen_update(
            case_id=case.pk, actor=CitizenActor(petition_id=case.petition.pk), update=update
        )
    except ValidationError as exc:
        return error_response(fmt, 400, *_service_errors(exc))
    except CaseActionForbidden as exc:
        return error_response(fmt, 403, exc.message)
    except CaseConflict as exc:  # the state changed under the lock in a way the service refuses
        return error_response(fmt, 409, exc.message)
    item = {"update_id": str(result.event.pk)}
    return respond(fmt, "service_request_updates", [item], status=201 if result.created else 200)
