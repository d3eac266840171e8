"""Open311 GeoReport v2: services, service definitions, requests (file and follow), tokens, discovery.

mySociety's ``servicerequestupdates`` extension is in ``portal/open311/updates.py``.

Every view answers in JSON or XML (the URL's extension), errors included, in
the specification's shape. Calls are authenticated by an ``api_key`` parameter
(required to file, optional to read) and rate limited per key at its partner's
rate, or per client address without a key. POST bodies must be form-encoded
(a 415 otherwise), and filing is also limited per citizen's phone number, as
on the portal. What a request shows depends on who asks
(``routing.selectors.open311_disclosure``); names, phone numbers and email
addresses are never part of an answer.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.utils import timezone, translation
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django_ratelimit.core import get_usage

from petitions.limits import submit_phone_wait
from petitions.models import Category, Channel, PartnerKey
from petitions.services import (
    IDEMPOTENCY_KEY_MAX_LENGTH,
    Submission,
    normalize_text,
    normalize_tracking_code,
    partner_key_authenticate,
    petition_idempotency_key_used,
    petition_submit,
)
from portal.open311.presenters import (
    DESCRIPTION_MAX_LENGTH,
    OPEN_STATES,
    base_url,
    request_item,
    service_attributes,
    service_item,
)
from portal.open311.render import error_response, respond
from routing.models import Case, Level
from routing.selectors import open311_cases, unit_code_by_national_code

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
#: When this endpoint last changed in a way clients should know about (discovery's ``changeset``).
#: A constant: bump it by hand with every such change (clients compare it to what they saw last).
CHANGESET = "2026-12-06T12:00:00+07:00"

TITLE_FROM_DESCRIPTION_LENGTH = 120
MAX_WINDOW = dt.timedelta(days=90)
#: Dates a request may name (beyond them, date arithmetic and the database overflow).
EARLIEST = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
LATEST = dt.datetime(2100, 1, 1, tzinfo=dt.UTC)
MAX_RESULTS = 1000

#: ``petition_submit``'s field names as the parameters an Open311 client sent.
PARAMETER_OF_FIELD = {
    "category": "service_code",
    "commune": "attribute[commune]",
    "province": "attribute[province]",
    "submitter_name": "first_name",
    "is_anonymous": "first_name",
    "phone": "phone",
    "email": "email",
    "title": "attribute[title]",
    "text": "description",
    "address": "address_string",
    "latitude": "lat",
    "longitude": "long",
    "media_url": "media_url",
    "idempotency_key": "Idempotency-Key",
    "partner": "api_key",
}

_ATTRIBUTE = re.compile(r"^attribute\[([A-Za-z0-9_-]+)\](\[\])?$")
_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off"}
#: What a POST body may be: the specification's form encoding (``request.POST`` reads nothing else).
FORM_CONTENT_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
#: The languages a citizen's receipt and later messages can be written in (``attribute[language]``).
CITIZEN_LANGUAGES = ("vi", "en")


# --- the frame every view runs in -------------------------------------------------------------


def _language(request: HttpRequest) -> str:
    """``?locale=`` (``vi``, ``en``, ``en_US`` ...) wins, then Accept-Language; Vietnamese by default."""
    raw = request.GET.get("locale") or (request.POST.get("locale") if request.method == "POST" else "")
    if not raw:
        raw = translation.get_language_from_request(request) or settings.LANGUAGE_CODE
    code = raw.replace("_", "-").split("-")[0].lower()
    return code if code in ("vi", "en") else settings.LANGUAGE_CODE


def _api_key(request: HttpRequest) -> str:
    if request.method == "POST" and "api_key" in request.POST:
        return request.POST.get("api_key", "")
    return request.GET.get("api_key", "")


def _rate_limited(request: HttpRequest, key: PartnerKey | None) -> int | None:
    """Seconds to wait if this call is over its limit, else None (the call is counted)."""
    if key is not None:
        usage = get_usage(
            request,
            group="open311-key",
            key=lambda group, request: str(key.pk),
            rate=key.partner.rate_limit,
            increment=True,
        )
    else:
        usage = get_usage(
            request, group="open311-ip", key="ip", rate=settings.PORTAL_RATES["open311_ip"], increment=True
        )
    if usage is None or not usage["should_limit"]:
        return None
    return max(int(usage["time_left"]), 1)


def _form_encoded(request: HttpRequest) -> bool:
    return (request.content_type or "").lower() in FORM_CONTENT_TYPES


def _too_many(fmt: str, wait: int, description: str | None = None) -> HttpResponse:
    response = error_response(
        fmt, 429, description or _("Too many requests. Try again in %(seconds)s seconds.") % {"seconds": wait}
    )
    response["Retry-After"] = str(wait)
    return response


View = Callable[..., HttpResponse]


def open311_view(*methods: str, key_required_for: tuple[str, ...] = ()) -> Callable[[View], View]:
    """Answer in the URL's format and the caller's language, check the method, the key and the rate.

    Calls with ``methods`` in ``key_required_for`` need an API key.
    The view receives ``fmt`` and ``key`` (the caller's ``PartnerKey`` or None).
    """

    def decorate(view: View) -> View:
        @csrf_exempt
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args: Any, fmt: str, **kwargs: Any) -> HttpResponse:
            language = _language(request)
            with translation.override(language):
                response = _dispatch(view, request, args, kwargs, fmt=fmt)
            response["Content-Language"] = language
            return response

        def _dispatch(view: View, request: HttpRequest, args: Any, kwargs: Any, *, fmt: str) -> HttpResponse:
            if request.method not in methods:
                response = error_response(
                    fmt,
                    405,
                    _("This method is not allowed here; use %(methods)s.") % {"methods": ", ".join(methods)},
                )
                response["Allow"] = ", ".join(methods)
                return response
            if request.method == "POST" and not _form_encoded(request):
                # A JSON body would be read as no parameters at all ("an API key is needed"):
                # say what is wrong instead. Counted against the address like calls without a key.
                wait = _rate_limited(request, None)
                if wait is not None:
                    return _too_many(fmt, wait)
                return error_response(
                    fmt,
                    415,
                    _(
                        "The body must be form-encoded (Content-Type: application/x-www-form-urlencoded"
                        " or multipart/form-data); parameters sent as JSON or XML are not read."
                    ),
                )
            raw_key = _api_key(request)
            key = partner_key_authenticate(key=raw_key) if raw_key else None
            if raw_key and key is None:
                # Wrong keys count against the client's address like calls without one.
                wait = _rate_limited(request, None)
                if wait is not None:
                    return _too_many(fmt, wait)
                return error_response(fmt, 403, _("The api_key is not valid, or it was revoked."))
            wait = _rate_limited(request, key)
            if wait is not None:
                return _too_many(fmt, wait)
            if key is None and request.method in key_required_for:
                # GeoReport v2: "403 - api_key was not provided or is invalid".
                return error_response(fmt, 403, _("api_key: an API key is needed to send this."))
            response = view(request, *args, fmt=fmt, key=key, **kwargs)
            if key is not None:
                # The answer may hold what only this partner may read.
                response["Cache-Control"] = "private, no-store"
            return response

        return wrapper

    return decorate


@csrf_exempt
def not_found(request: HttpRequest, path: str = "") -> HttpResponse:
    """Anything else under ``/open311/``: a 404 in the specification's format (XML unless ``.json``)."""
    fmt = "json" if path.endswith(".json") else "xml"
    with translation.override(_language(request)):
        return error_response(
            fmt, 404, _("There is no such Open311 resource. Paths end in .json or .xml, see discovery.json.")
        )


# --- discovery ---------------------------------------------------------------------------------


@open311_view("GET")
def discovery(request: HttpRequest, *, fmt: str, key: PartnerKey | None) -> HttpResponse:
    if settings.OPEN311_CONTACT:
        contact = settings.OPEN311_CONTACT
        # The sentence brings its own full stop.
        key_service = _(
            "Partner organisations ask for an API key at %(contact)s. Reading needs no key; filing requests does."
        ) % {"contact": contact.strip().rstrip(".")}
    else:
        contact = _("The portal's administrators, through the organisation's official channels.")
        key_service = _(
            "Partner organisations ask the portal's administrators for an API key, through the organisation's"
            " official channels. Reading needs no key; filing requests does."
        )
    document = {
        "changeset": CHANGESET,
        "contact": contact,
        "key_service": key_service,
        "endpoints": [
            {
                "specification": SPECIFICATION,
                "url": f"{base_url()}/open311/v2",
                "changeset": CHANGESET,
                "type": "production",
                "formats": ["text/xml", "application/json"],
            }
        ],
    }
    return respond(fmt, "discovery", document)


# --- services ----------------------------------------------------------------------------------


@open311_view("GET")
def services(request: HttpRequest, *, fmt: str, key: PartnerKey | None) -> HttpResponse:
    categories = Category.objects.filter(is_active=True).order_by("position", "code")
    return respond(fmt, "services", [service_item(category) for category in categories])


@open311_view("GET")
def service_definition(
    request: HttpRequest, service_code: str, *, fmt: str, key: PartnerKey | None
) -> HttpResponse:
    category = Category.objects.filter(is_active=True, code=service_code).first()
    if category is None:
        return error_response(fmt, 404, _("service_code %(code)s was not found.") % {"code": service_code})
    definition = {"service_code": category.code, "attributes": service_attributes()}
    return respond(fmt, "service_definition", definition)


# --- GET requests --------------------------------------------------------------------------------


class BadRequest(Exception):
    def __init__(self, *descriptions: str) -> None:
        self.descriptions = descriptions
        super().__init__("; ".join(descriptions))


def _split(request: HttpRequest, name: str) -> list[str]:
    """A filter "declared multiple times, comma delimited": ``?status=open,closed`` or ``?status=open&status=closed``."""
    return [part.strip() for raw in request.GET.getlist(name) for part in raw.split(",") if part.strip()]


def _parse_datetime(name: str, raw: str, *, end_of_day: bool = False) -> dt.datetime:
    text = raw.strip()
    # "+07:00" sent without URL-encoding arrives as " 07:00".
    text = re.sub(r" (\d{2}:?\d{2})$", r"+\1", text)
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            day = dt.date.fromisoformat(text)
            value = dt.datetime.combine(day, dt.time.max if end_of_day else dt.time.min)
        else:
            value = dt.datetime.fromisoformat(text)
    except ValueError:
        raise BadRequest(
            _("%(name)s: use the w3 format, for example 2026-11-01T00:00:00+07:00.") % {"name": name}
        ) from None
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    if not EARLIEST <= value <= LATEST:  # the window's arithmetic and the database need room
        raise BadRequest(
            _("%(name)s: use a date between %(first)s and %(last)s.")
            % {"name": name, "first": EARLIEST.year, "last": LATEST.year}
        )
    return value


def _window(request: HttpRequest, now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    raw_start = request.GET.get("start_date", "").strip()
    raw_end = request.GET.get("end_date", "").strip()
    start = _parse_datetime("start_date", raw_start) if raw_start else None
    end = _parse_datetime("end_date", raw_end, end_of_day=True) if raw_end else None
    if start is None and end is None:
        end = now
    if start is None:
        assert end is not None
        start = end - MAX_WINDOW
    if end is None:
        end = start + MAX_WINDOW
    if end < start:
        raise BadRequest(_("end_date must not be before start_date."))
    if end - start > MAX_WINDOW:
        raise BadRequest(_("start_date and end_date may be at most 90 days apart."))
    return start, end


def _filtered_cases(request: HttpRequest, partner_id: int | None) -> list[Case]:
    ids = _split(request, "service_request_id")
    if ids:
        # "This overrides all other arguments" (the specification).
        if len(ids) > MAX_RESULTS:
            raise BadRequest(_("service_request_id: at most %(count)s at once.") % {"count": MAX_RESULTS})
        codes = [normalize_tracking_code(value) for value in ids]
        return list(open311_cases(partner_id=partner_id, codes=codes)[:MAX_RESULTS])

    errors: list[str] = []
    cases = open311_cases(partner_id=partner_id)
    service_codes = _split(request, "service_code")
    if service_codes:
        known = set(Category.objects.filter(code__in=service_codes).values_list("code", flat=True))
        for code in service_codes:
            if code not in known:
                errors.append(_("service_code: %(code)s is not a service.") % {"code": code})
        cases = cases.filter(petition__category__code__in=service_codes)
    statuses = {value.lower() for value in _split(request, "status")}
    if statuses - {"open", "closed"}:
        errors.append(_("status: use open, closed, or both separated by a comma."))
    elif statuses == {"open"}:
        cases = cases.filter(state__in=OPEN_STATES)
    elif statuses == {"closed"}:
        cases = cases.exclude(state__in=OPEN_STATES)
    try:
        start, end = _window(request, timezone.now())
    except BadRequest as exc:
        errors.extend(exc.descriptions)
    else:
        cases = cases.filter(submitted_at__gte=start, submitted_at__lte=end)
    if errors:
        raise BadRequest(*errors)
    return list(cases[:MAX_RESULTS])


def _list_requests(request: HttpRequest, fmt: str, key: PartnerKey | None) -> HttpResponse:
    partner_id = key.partner_id if key is not None else None
    try:
        cases = _filtered_cases(request, partner_id)
    except BadRequest as exc:
        return error_response(fmt, 400, *exc.descriptions)
    return respond(fmt, "service_requests", [request_item(case, partner_id) for case in cases])


# --- POST requests ---------------------------------------------------------------------------------


def _attributes_sent(request: HttpRequest) -> dict[str, str]:
    values: dict[str, str] = {}
    for name in request.POST:
        match = _ATTRIBUTE.match(name)
        if match:
            values[match.group(1)] = ",".join(request.POST.getlist(name))
    return values


def _unit_code(value: str, level: str) -> str:
    """A unit code as ``petition_submit`` takes it; a number is the unit's code in the national register.

    (``petition_submit`` reads a number as a primary key, which means nothing to a partner.)
    """
    value = normalize_text(value)
    if not value.isdecimal():  # "²".isdigit() is true, yet int() refuses it
        return value
    return unit_code_by_national_code(level=level, national_code=value) or f"?{value}"


def _title_from(description: str) -> str:
    first_line = next((line.strip() for line in description.splitlines() if line.strip()), "")
    return Truncator(first_line).chars(TITLE_FROM_DESCRIPTION_LENGTH)


def _service_errors(exc: ValidationError, *, title_given: bool) -> list[str]:
    if not hasattr(exc, "error_dict"):
        return [str(message) for message in exc.messages]
    descriptions: list[str] = []
    for field, messages in exc.message_dict.items():
        if field == "title" and not title_given:
            continue  # the title was made from the description, whose own error says what is wrong
        parameter = PARAMETER_OF_FIELD.get(field, field)
        descriptions.extend(f"{parameter}: {message}" for message in messages)
    return descriptions


def _idempotency_key(request: HttpRequest) -> str | None:
    """The partner's key as sent; ``petition_submit`` keeps it apart from other partners' and the API's."""
    sent = (request.headers.get("Idempotency-Key") or "").strip()
    if not sent:
        return None
    if len(sent) > IDEMPOTENCY_KEY_MAX_LENGTH:
        raise BadRequest(
            _("Idempotency-Key: at most %(count)s characters.") % {"count": IDEMPOTENCY_KEY_MAX_LENGTH}
        )
    return sent


def _citizen_language(value: str) -> str:
    """The language of the citizen's receipt and later messages: ``attribute[language]``, else Vietnamese.

    Never the caller's language (``locale``, Accept-Language): a partner's server that reads
    English answers still files for citizens who read Vietnamese.
    """
    code = normalize_text(value).lower().replace("_", "-").split("-")[0]
    if not code:
        return settings.LANGUAGE_CODE
    if code not in CITIZEN_LANGUAGES:
        raise BadRequest(_("attribute[language]: use %(codes)s.") % {"codes": ", ".join(CITIZEN_LANGUAGES)})
    return code


def _create_request(request: HttpRequest, fmt: str, key: PartnerKey) -> HttpResponse:
    post = request.POST
    service_code = normalize_text(post.get("service_code"))
    if not service_code:
        return error_response(
            fmt, 400, _("service_code: choose a service from services.%(fmt)s.") % {"fmt": fmt}
        )
    category = Category.objects.filter(is_active=True, code=service_code).first()
    if category is None:
        return error_response(fmt, 404, _("service_code %(code)s was not found.") % {"code": service_code})

    attributes = _attributes_sent(request)
    description = normalize_text(post.get("description"))
    lat, long_ = normalize_text(post.get("lat")), normalize_text(post.get("long"))
    address = normalize_text(post.get("address_string"))
    title = normalize_text(attributes.get("title"))
    errors: list[str] = []
    # A parameter sent twice (two media_url, two phone numbers) would be read as its last value and
    # the others dropped unseen: ask for one. (Repeated attribute[...] values are a list by the spec.)
    for name, values in post.lists():
        if len(values) > 1 and not _ATTRIBUTE.match(name):
            errors.append(f"{name}: " + _("send one value, not %(count)s.") % {"count": len(values)})
    if len(description) > DESCRIPTION_MAX_LENGTH:
        errors.append(
            "description: "
            + _("At most %(limit)s characters (you wrote %(count)s).")
            % {"limit": DESCRIPTION_MAX_LENGTH, "count": len(description)}
        )
    if not (lat or long_) and not address:
        errors.append(
            _("lat, long, address_string: give the location as lat and long, or as address_string.")
        )
    try:
        idempotency_key = _idempotency_key(request)
    except BadRequest as exc:
        errors.extend(exc.descriptions)
        idempotency_key = None
    language = settings.LANGUAGE_CODE
    try:
        language = _citizen_language(attributes.get("language", ""))
    except BadRequest as exc:
        errors.extend(exc.descriptions)
    consent = attributes.get("consent_publish", "").strip().lower()
    if consent and consent not in _TRUE | _FALSE:
        # Publishing someone's petition on a guess is worse than asking again.
        errors.append(_("attribute[consent_publish]: write true or false."))
    if errors:
        return error_response(fmt, 400, *errors)

    # Each submission texts the citizen: the portal's per-phone limit applies here too. A retry
    # of a request already filed sends nothing and always gets its answer back.
    if not petition_idempotency_key_used(idempotency_key, channel=Channel.OPEN311, partner=key.partner_id):
        wait = submit_phone_wait(request, post.get("phone", ""))
        if wait is not None:
            return _too_many(
                fmt,
                wait,
                _("phone: too many requests for this phone number. Try again in %(seconds)s seconds.")
                % {"seconds": wait},
            )

    # Vietnamese names are written family name first.
    name = " ".join(
        part
        for part in (normalize_text(post.get("last_name")), normalize_text(post.get("first_name")))
        if part
    )
    try:
        result = petition_submit(
            submission=Submission(
                category=category,
                commune=_unit_code(attributes.get("commune", ""), Level.COMMUNE),
                province=_unit_code(attributes.get("province", ""), Level.PROVINCE) or None,
                phone=post.get("phone", ""),
                submitter_name=name,
                is_anonymous=not name and category.allows_anonymous,
                email=post.get("email", ""),
                title=title or _title_from(description),
                text=description,
                address=address,
                latitude=lat or None,
                longitude=long_ or None,
                consent_publish=consent in _TRUE,
                media_url=post.get("media_url", ""),
                language=language,
            ),
            channel=Channel.OPEN311,
            partner=key.partner,
            idempotency_key=idempotency_key,
        )
    except ValidationError as exc:
        return error_response(fmt, 400, *_service_errors(exc, title_given=bool(title)))

    petition = result.petition
    case: Case = petition.case
    due = case.triage_due_at or case.due_at
    notice = _("Received. %(unit)s will review it by %(date)s.") % {
        "unit": case.unit.name,
        "date": timezone.localtime(due).strftime("%d/%m/%Y") if due else "",
    }
    item = {
        "service_request_id": petition.tracking_code,
        # Requests are created at once ("realtime"), so the token is the request's id: a client
        # that looks it up under tokens/ gets the same id back. It is not the citizen's secret link.
        "token": petition.tracking_code,
        "service_notice": notice,
        "account_id": None,
    }
    return respond(fmt, "service_requests", [item], status=201 if result.created else 200)


@open311_view("GET", "POST", key_required_for=("POST",))
def requests(request: HttpRequest, *, fmt: str, key: PartnerKey | None) -> HttpResponse:
    if request.method == "POST":
        assert key is not None
        return _create_request(request, fmt, key)
    return _list_requests(request, fmt, key)


@open311_view("GET")
def request_detail(
    request: HttpRequest, service_request_id: str, *, fmt: str, key: PartnerKey | None
) -> HttpResponse:
    partner_id = key.partner_id if key is not None else None
    code = normalize_tracking_code(service_request_id)
    case = open311_cases(partner_id=partner_id, codes=[code]).first()
    if case is None:
        return error_response(
            fmt, 404, _("service_request_id %(id)s was not found.") % {"id": service_request_id}
        )
    return respond(fmt, "service_requests", [request_item(case, partner_id)])


@open311_view("GET")
def token(request: HttpRequest, token: str, *, fmt: str, key: PartnerKey | None) -> HttpResponse:
    code = normalize_tracking_code(token)
    if not open311_cases(partner_id=None, codes=[code]).exists():
        return error_response(fmt, 404, _("token %(token)s was not found.") % {"token": token})
    return respond(fmt, "service_requests", [{"service_request_id": code, "token": token}])
