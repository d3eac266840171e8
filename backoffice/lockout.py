"""Staff sign-in throttling on top of django-axes: two limits, one page that says when to try again.

1. Per username and address (django-axes as configured, ``AXES_LOCKOUT_PARAMETERS``):
   ``AXES_FAILURE_LIMIT`` failures lock that pair for ``AXES_COOLOFF_TIME``.
2. Per username across all addresses (``StaffSignInHandler``): once failures for that username
   came from ``AXES_USERNAME_FAILURE_LIMIT`` addresses within ``AXES_COOLOFF_TIME``, sign-in for it
   from addresses it has never signed in from waits ``AXES_USERNAME_COOLOFF_BASE``, doubling with
   each further address, never more than ``AXES_COOLOFF_TIME``. Attempts refused during a lock do
   not restart it (``AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT`` is off). A guess spread
   over many addresses is slowed to a few an hour; the officer at an address they signed in
   from before (axes' access log) is not held up by it, so guessing cannot lock them out.

Both limits read axes' own ``AccessAttempt`` rows, so ``manage.py axes_reset_username NAME``
and the admin's "access attempts" (delete) reset both (docs/operations.md).

django-axes also offers ``AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "username"]``,
but with one failure limit and one cool-off for both: five wrong passwords from anywhere would
lock a real officer out for the full cool-off, which is what limit 2 must not allow.
"""

from __future__ import annotations

import datetime as dt
import math
from http import HTTPStatus
from typing import Any

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_ip_address, get_client_username
from axes.models import AccessAttempt, AccessLog
from django.conf import settings
from django.db.models import Count, Max, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone


def username_wait(
    username: str | None, ip_address: str | None, *, now: dt.datetime | None = None
) -> dt.timedelta:
    """How long sign-in for ``username`` from ``ip_address`` must wait under the per-username limit.

    Counted in addresses, not in failures: one address trickling wrong passwords (or the officer's
    own retries) can only ever be one, so it cannot hold the username; its own pair lock (limit 1)
    is what stops it. A guess needs ``AXES_USERNAME_FAILURE_LIMIT`` addresses failing within the
    cool-off before new addresses wait, and each further address doubles the wait.
    """
    if not username:
        return dt.timedelta(0)
    now = now or timezone.now()
    window: dt.timedelta = settings.AXES_COOLOFF_TIME
    recent = AccessAttempt.objects.filter(username=username, attempt_time__gte=now - window)
    found = recent.aggregate(addresses=Count("ip_address", distinct=True), last=Max("attempt_time"))
    addresses = found["addresses"] or 0
    limit: int = settings.AXES_USERNAME_FAILURE_LIMIT
    if addresses < limit:
        return dt.timedelta(0)
    if ip_address and AccessLog.objects.filter(username=username, ip_address=ip_address).exists():
        return dt.timedelta(0)  # a place they signed in from before: limit 1 still applies there
    base: dt.timedelta = settings.AXES_USERNAME_COOLOFF_BASE
    cooloff = min(base * 2 ** min(addresses - limit, 16), window)
    return max(found["last"] + cooloff - now, dt.timedelta(0))


def pair_wait(
    username: str | None, ip_address: str | None, *, now: dt.datetime | None = None
) -> dt.timedelta:
    """How long the per-(username, address) lockout of django-axes still runs."""
    now = now or timezone.now()
    window: dt.timedelta = settings.AXES_COOLOFF_TIME
    recent = AccessAttempt.objects.filter(
        username=username, ip_address=ip_address, attempt_time__gte=now - window
    ).aggregate(failures=Sum("failures_since_start"), last=Max("attempt_time"))
    if (recent["failures"] or 0) < settings.AXES_FAILURE_LIMIT:
        return dt.timedelta(0)
    return max(recent["last"] + window - now, dt.timedelta(0))


def _who(request: HttpRequest, credentials: dict[str, Any] | None) -> tuple[str | None, str | None]:
    ip_address = getattr(request, "axes_ip_address", None) or get_client_ip_address(request)
    return get_client_username(request, credentials), ip_address


class StaffSignInHandler(AxesDatabaseHandler):
    """django-axes' database handler with the per-username limit added (module docstring)."""

    def is_locked(self, request: Any, credentials: dict[str, Any] | None = None) -> bool:
        if super().is_locked(request, credentials):
            return True
        return username_wait(*_who(request, credentials)) > dt.timedelta(0)

    def user_login_failed(
        self, sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any
    ) -> None:
        super().user_login_failed(sender, credentials, request, **kwargs)
        # The failure that reaches the per-username limit answers with the lockout page at once,
        # as django-axes does for its own limit.
        if (
            request is not None
            and not getattr(request, "axes_locked_out", False)
            and username_wait(*_who(request, credentials)) > dt.timedelta(0)
        ):
            request.axes_locked_out = True
            request.axes_credentials = credentials


def lockout_response(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    """``AXES_LOCKOUT_CALLABLE``: the page (429) that says when to try again, and ``Retry-After``.

    django-axes calls it as ``(request, original_response, credentials)`` or, from its async
    middleware, ``(request, credentials)``; the credentials it records on the request serve both.
    """
    username, ip_address = _who(request, getattr(request, "axes_credentials", None))
    now = timezone.now()
    wait = max(pair_wait(username, ip_address, now=now), username_wait(username, ip_address, now=now))
    minutes = max(1, math.ceil(wait.total_seconds() / 60))
    response = render(
        request,
        "backoffice/locked_out.html",
        {"minutes": minutes, "until": now + dt.timedelta(minutes=minutes)},
        status=HTTPStatus.TOO_MANY_REQUESTS,
    )
    response["Retry-After"] = str(minutes * 60)
    return response
