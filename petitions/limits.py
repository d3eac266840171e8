"""What the per-phone and per-code rate limits count under, shared by every interface.

The portal's form, the JSON API and Open311 each let a client file petitions and follow them.
A limit that each interface kept under its own name and its own spelling of the phone or the code
would give a guesser one budget per interface and per spelling. So each limit has one group, and
its key is the value the look-up itself reads (``normalize_phone``, ``normalize_tracking_code``).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.http import HttpRequest
from django.utils.module_loading import import_string
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
CODE_SEND_CLIENT_DAY_GROUP = "phone-code-send-ip-day"
#: Codes tried for one phone number, and from one client address.
CODE_VERIFY_PHONE_GROUP = "phone-code-verify-phone"
CODE_VERIFY_CLIENT_GROUP = "phone-code-verify-ip"
CODE_VERIFY_CLIENT_DAY_GROUP = "phone-code-verify-ip-day"


def _raw_address(request: HttpRequest) -> str:
    """The client address where ``RATELIMIT_IP_META_KEY`` says it is (django-ratelimit's rules)."""
    where: str | Callable[[HttpRequest], str] | None = getattr(settings, "RATELIMIT_IP_META_KEY", None)
    if not where:
        raw: Any = request.META.get("REMOTE_ADDR")
    elif callable(where):
        raw = where(request)
    elif "." in where:
        raw = import_string(where)(request)
    else:
        raw = request.META.get(where)
    if not raw:
        raise ImproperlyConfigured(
            f"No client address in {where or 'REMOTE_ADDR'}: set RATELIMIT_IP_META_KEY to the header "
            "the proxy fills (docs/operations.md)"
        )
    return str(raw).strip()


def client_address_key(raw: str) -> str:
    """One key per client: an IPv4 address as it is, an IPv6 address by its network.

    The masks are django-ratelimit's settings (``RATELIMIT_IPV4_MASK``, 32, and
    ``RATELIMIT_IPV6_MASK``, 64), and the key is written as its ``key="ip"`` writes it (the
    network's first address, compressed), so that a count kept here and one kept by a view's
    ``@ratelimit(key="ip")`` fall on the same key. One IPv6 client usually holds a whole /64: by
    its full address it would have 2^64 budgets. An IPv4 address mapped into IPv6
    (``::ffff:198.51.100.7``, a dual-stack socket) is that IPv4 address (django-ratelimit would
    put every such client in one /64).
    """
    try:
        address = ipaddress.ip_address(raw)
    except ValueError:
        raise ImproperlyConfigured(f"The client address {raw[:64]!r} is not an IP address") from None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if isinstance(address, ipaddress.IPv6Address):
        mask = int(getattr(settings, "RATELIMIT_IPV6_MASK", 64))
    else:
        mask = int(getattr(settings, "RATELIMIT_IPV4_MASK", 32))
    return str(ipaddress.ip_network(f"{address}/{mask}", strict=False).network_address)


def client_rate_key(request: HttpRequest) -> str:
    """The client's address as a rate-limit key (``client_address_key``), read as ``key="ip"`` reads it.

    The views pass it to ``petitions.phones``, which counts codes sent and tried per address.
    """
    return client_address_key(_raw_address(request))


def _count(*, group: str, value: str, rate_name: str, client: str) -> int | None:
    # Counted in a service (``petitions.phones``), not a view: django-ratelimit's public
    # ``get_usage`` takes a request, and with a callable key and ``method=ALL`` it reads nothing
    # from it. The request given stands for the client, should that ever change.
    request = HttpRequest()
    request.META["REMOTE_ADDR"] = client
    return _wait(
        request, group=group, value=value, rate=str(settings.PORTAL_RATES[rate_name]), increment=True
    )


def _longest(*waits: int | None) -> int | None:
    counted = [wait for wait in waits if wait]
    return max(counted) if counted else None


def phone_code_send_wait(*, phone: str, client: str) -> int | None:
    """Count a code sent to ``phone`` (E.164) for ``client``; seconds to wait when one is too many, else None.

    Every budget is counted on every try, so a client cycling through numbers and numbers
    asked for from many addresses are both held back. These counts live in the cache and lapse
    when it is down (``RATELIMIT_FAIL_OPEN``); the daily caps per phone and the site's daily
    budget are counted in the database (``petitions.phones``).
    """
    return _longest(
        _count(group=CODE_SEND_CLIENT_GROUP, value=client, rate_name="code_send_ip", client=client),
        _count(group=CODE_SEND_CLIENT_DAY_GROUP, value=client, rate_name="code_send_ip_day", client=client),
        _count(group=CODE_SEND_PHONE_GROUP, value=phone, rate_name="code_send_phone", client=client),
    )


def phone_code_verify_wait(*, phone: str, client: str) -> int | None:
    """Count a code tried for ``phone`` (E.164) from ``client``; seconds to wait when one is too many, else None."""
    return _longest(
        _count(group=CODE_VERIFY_CLIENT_GROUP, value=client, rate_name="code_verify_ip", client=client),
        _count(
            group=CODE_VERIFY_CLIENT_DAY_GROUP, value=client, rate_name="code_verify_ip_day", client=client
        ),
        _count(group=CODE_VERIFY_PHONE_GROUP, value=phone, rate_name="code_verify_phone", client=client),
    )
