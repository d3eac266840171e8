"""What the per-phone and per-code rate limits count under, shared by every interface.

The portal's form, the JSON API and Open311 each let a client file petitions and follow them.
A limit that each interface kept under its own name and its own spelling of the phone or the code
would give a guesser one budget per interface and per spelling. So each limit has one group, and
its key is the value the look-up itself reads (``normalize_phone``, ``normalize_tracking_code``).
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django_ratelimit import ALL
from django_ratelimit.core import get_usage

from petitions.services import normalize_phone, normalize_text, normalize_tracking_code

#: Submissions per phone number, whichever interface files them.
SUBMIT_PHONE_GROUP = "submit-phone"
#: Look-ups of one tracking code with a phone number or a token (portal form, API).
TRACK_CODE_GROUP = "track-code"


def tracking_code_rate_key(raw: str) -> str:
    """The code as the look-up reads it (cut short: it goes into a cache key).

    ``PA.26.7KQ3M9``, ``pa_26_7kq3m9`` and ``PA267KQ3M9`` are one code to the look-up, so they must
    share one budget of guesses.
    """
    return normalize_tracking_code(raw if isinstance(raw, str) else "")[:16]


def phone_rate_key(raw: object) -> str | None:
    """The phone number as ``petition_submit`` stores it (E.164); None when it is not one.

    A value that is not a phone number is not counted: the service refuses it, so no message can be
    sent to it, and a citizen who mistypes their number gets that error, not "too many attempts".
    """
    try:
        return normalize_phone(normalize_text(raw))
    except ValidationError:
        return None


def _wait(request: HttpRequest, *, group: str, value: str, rate: str, increment: bool) -> int | None:
    # ``method=ALL`` always: the method is part of django-ratelimit's cache key, and the portal's
    # form POSTs, the API's GETs and Open311's POSTs must count in one place.
    usage = get_usage(
        request, group=group, key=lambda group, request: value, rate=rate, method=ALL, increment=increment
    )
    if usage is None or not usage["should_limit"]:
        return None
    return max(int(usage["time_left"]), 1)


def submit_phone_wait(request: HttpRequest, phone: object) -> int | None:
    """Count a submission for ``phone``; the seconds to wait when it is one too many, else None."""
    value = phone_rate_key(phone)
    if value is None:
        return None
    return _wait(
        request,
        group=SUBMIT_PHONE_GROUP,
        value=value,
        rate=str(settings.PORTAL_RATES["submit_phone"]),
        increment=True,
    )


def track_code_wait(request: HttpRequest, code: str, *, increment: bool = True) -> int | None:
    """Count a look-up of ``code`` (unless ``increment`` is false); seconds to wait when over, else None."""
    return _wait(
        request,
        group=TRACK_CODE_GROUP,
        value=tracking_code_rate_key(code),
        rate=str(settings.PORTAL_RATES["track_code"]),
        increment=increment,
    )


ADD_INFO_GROUP = "citizen-add-info"


def add_info_wait(request: HttpRequest, code: str) -> int | None:
    """Count information added to petition ``code``; the seconds to wait when it is one too many, else None."""
    return _wait(
        request,
        group=ADD_INFO_GROUP,
        value=tracking_code_rate_key(code),
        rate=str(settings.PORTAL_RATES["add_info_code"]),
        increment=True,
    )
