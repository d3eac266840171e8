"""Rate limits of the API, counted on the shared cache by django-ratelimit like the portal's.

Public endpoints reuse ``settings.PORTAL_RATES`` (per client address, and per phone
number or tracking code), unless the call carries a partner key (``X-API-Key``):
then it counts against that key at its partner's own rate (``Partner.rate_limit``)
instead of the address's. Staff tokens have ``settings.API_RATES["staff_user"]`` per
user. Over a limit the API answers 429 with the ``throttled`` error and Retry-After.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest
from django_ratelimit.core import get_usage
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle

from api.auth import is_active_staff, partner_key_of
from api.errors import Throttled
from petitions.limits import client_rate_key

#: One budget per partner key across the public endpoints that count calls (filing, tracking).
PARTNER_GROUP = "api-partner-key"


def _django_request(request: Request | HttpRequest) -> HttpRequest:
    return request._request if isinstance(request, Request) else request


def check_rate(
    request: Request | HttpRequest,
    *,
    group: str,
    rate: str,
    key: str | Callable[[str, HttpRequest], str],
    increment: bool = True,
) -> None:
    """Count this request in ``group`` (unless ``increment`` is false); raise 429 when over ``rate``."""
    usage = get_usage(_django_request(request), group=group, key=key, rate=rate, increment=increment)
    if usage is not None and usage["should_limit"]:
        raise Throttled(wait=int(usage["time_left"]))


def check_caller_rate(request: Request, *, group: str, address_rate: str) -> None:
    """Count a public call: against its partner key at the partner's rate, or else against the address."""
    partner_key = partner_key_of(request)
    if partner_key is not None:
        check_rate(
            request,
            group=PARTNER_GROUP,
            rate=partner_key.partner.rate_limit,
            key=lambda group, req: str(partner_key.pk),
        )
    else:
        check_rate(request, group=group, rate=address_rate, key=client_ip)


def client_ip(group: str, request: HttpRequest) -> str:
    """The client address as the portal's limits see it (``RATELIMIT_IP_META_KEY`` behind a proxy).

    ``petitions.limits.client_rate_key``: the key django-ratelimit's ``key="ip"`` writes, without
    its private helper.
    """
    try:
        return client_rate_key(request)
    except (KeyError, ImproperlyConfigured):  # no client address (a Unix socket, a test client)
        return "unknown"


def portal_rate(name: str) -> str:
    return str(settings.PORTAL_RATES[name])


class StaffUserThrottle(BaseThrottle):
    """Per staff user, for every request made with a staff token (public requests are not counted here)."""

    def allow_request(self, request: Request, view: Any) -> bool:
        user = request.user
        if not is_active_staff(user):
            return True
        check_rate(
            request,
            group="api-staff-user",
            rate=str(settings.API_RATES["staff_user"]),
            key=lambda group, req: str(user.pk),
        )
        return True
