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


# --- one-time SMS codes (petitions.phones) ------------------------------------------------

#: Codes sent to one phone number, and sent from one client address, whatever the purpose.
CODE_SEND_PHONE_GROUP = "phone-code-send-phone"
CODE_SEND_CLIENT_GROUP = "phone-code-send-ip"
#: Codes tried for one phone number, and from one client address.
CODE_VERIFY_PHONE_GROUP = "phone-code-verify-phone"
CODE_VERIFY_CLIENT_GROUP = "phone-code-verify-ip"


def client_rate_key(request: HttpRequest) -> str:
    """The client's address as django-ratelimit's ``key="ip"`` reads it (an IPv6 address by its /64).

    The same function as the portal's other per-address limits, so that one client is one key
    however its address is written (``::ffff:…``, leading zeros, another address of its /64).
    """
    from django_ratelimit.core import _get_ip  # the function behind ``key="ip"``

    return str(_get_ip(request))


def _count(*, group: str, value: str, rate_name: str) -> int | None:
    # Counted outside a view (``petitions.phones``): django-ratelimit needs a request only to
    # compute keys, and these keys are computed here.
    return _wait(
        HttpRequest(), group=group, value=value, rate=str(settings.PORTAL_RATES[rate_name]), increment=True
    )


def phone_code_send_wait(*, phone: str, client: str) -> int | None:
    """Count a code sent to ``phone`` (E.164) for ``client``; seconds to wait when one is too many, else None.

    Both budgets are counted on every try, so a client cycling through numbers and numbers
    asked for from many addresses are both held back.
    """
    by_client = _count(group=CODE_SEND_CLIENT_GROUP, value=client, rate_name="code_send_ip")
    by_phone = _count(group=CODE_SEND_PHONE_GROUP, value=phone, rate_name="code_send_phone")
    waits = [wait for wait in (by_client, by_phone) if wait]
    return max(waits) if waits else None


def phone_code_verify_wait(*, phone: str, client: str) -> int | None:
    """Count a code tried for ``phone`` (E.164) from ``client``; seconds to wait when one is too many, else None."""
    by_client = _count(group=CODE_VERIFY_CLIENT_GROUP, value=client, rate_name="code_verify_ip")
    by_phone = _count(group=CODE_VERIFY_PHONE_GROUP, value=phone, rate_name="code_verify_phone")
    waits = [wait for wait in (by_client, by_phone) if wait]
    return max(waits) if waits else None
