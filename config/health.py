"""Liveness (``/healthz``) and readiness (``/readyz``) for load balancers, orchestrators and operators.

Both (and ``/metrics``, see ``config.metrics``) are answered by ``HealthMiddleware``, first in
the stack: probes come from inside the deployment (the container's own address, plain HTTP),
so they skip the host check and the HTTPS redirect that every other request goes through.

``/readyz`` checks each dependency with a short timeout and says what it found, as JSON.
The database is required: without it this process cannot serve, and the answer is 503 so
that the load balancer sends traffic elsewhere. Redis, Elasticsearch and the job backlog
degrade the service without stopping it (live updates pause, rate limits let requests
through, search pages say search is unavailable, outbox rows wait), so they are reported as
``degraded`` with a 200: taking every process out of the load balancer for them would stop
the whole site for want of a part of it.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone

TIMEOUT_SECONDS = 2.0


@dataclass
class Check:
    name: str
    ok: bool
    required: bool
    detail: str
    milliseconds: float

    def as_json(self) -> dict[str, Any]:
        return {
            "status": "ok" if self.ok else ("fail" if self.required else "degraded"),
            "required": self.required,
            "detail": self.detail,
            "ms": round(self.milliseconds, 1),
        }


def _timed(name: str, required: bool, probe: Callable[[], str]) -> Check:
    started = time.monotonic()
    try:
        detail, ok = probe(), True
    except Exception as exc:  # a probe reports every failure, never raises
        detail, ok = f"{type(exc).__name__}: {str(exc)[:200]}", False
    return Check(name, ok, required, detail, (time.monotonic() - started) * 1000)


def _database() -> str:
    # Within TIMEOUT_SECONDS: through the pool, connection.cursor() would wait DB_POOL_TIMEOUT.
    from config.unavailable import probe_database

    probe_database(connection, TIMEOUT_SECONDS)
    return connection.vendor


def _redis() -> str:
    import redis

    client = redis.Redis.from_url(
        settings.REDIS_URL, socket_connect_timeout=TIMEOUT_SECONDS, socket_timeout=TIMEOUT_SECONDS
    )
    try:
        client.ping()
    finally:
        client.close()
    return "ping"


def _search_engine() -> str:
    from search.client import get_client

    client = get_client()
    status = client.health(timeout=TIMEOUT_SECONDS)
    if status == "red":
        raise RuntimeError("cluster status red")
    if not client.alias_exists(settings.SEARCH_INDEX_ALIAS, timeout=TIMEOUT_SECONDS):
        raise RuntimeError(f"no index behind {settings.SEARCH_INDEX_ALIAS}: run manage.py search_init")
    return f"cluster {status}"


def _jobs() -> str:
    """Outbox rows due longer than READY_BACKLOG_SECONDS mean no worker is draining them."""
    from notifications.models import Notification, Status
    from search.models import IndexQueue

    limit = timezone.now() - dt.timedelta(seconds=settings.READY_BACKLOG_SECONDS)
    notifications = Notification.objects.filter(
        status__in=[Status.PENDING, Status.SENDING], next_attempt_at__lt=limit
    ).count()
    indexing = IndexQueue.objects.filter(next_attempt_at__lt=limit).count()
    detail = f"{notifications} notifications and {indexing} index updates overdue"
    if notifications or indexing:
        raise RuntimeError(detail)
    return detail


def checks() -> list[Check]:
    database = _timed("database", True, _database)
    found = [database]
    if settings.REDIS_URL:
        found.append(_timed("redis", False, _redis))
    if settings.SEARCH_URL:
        found.append(_timed(settings.SEARCH_ENGINE, False, _search_engine))
    if database.ok:
        found.append(_timed("jobs", False, _jobs))
    else:  # its queries would wait for the pool too
        found.append(Check("jobs", False, False, "not checked: the database is unreachable", 0.0))
    return found


def healthz(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok\n", content_type="text/plain")


def readyz(request: HttpRequest) -> JsonResponse:
    found = checks()
    failed = any(not check.ok and check.required for check in found)
    degraded = any(not check.ok for check in found)
    status = "fail" if failed else ("degraded" if degraded else "ok")
    response = JsonResponse(
        {"status": status, "checks": {check.name: check.as_json() for check in found}},
        status=503 if failed else 200,
    )
    response["Cache-Control"] = "no-store"
    return response


def _metrics(request: HttpRequest) -> HttpResponse:
    from config.metrics import metrics

    return metrics(request)


PROBES: dict[str, Callable[[HttpRequest], HttpResponse]] = {
    "/healthz": healthz,
    "/readyz": readyz,
    "/metrics": _metrics,  # token-protected; scraped by address like the probes
}


class HealthMiddleware:
    """Answers probes and scrapes before host validation, HTTPS redirects, sessions and the rest."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        probe = PROBES.get(request.path_info.rstrip("/"))
        if probe is not None and request.method in ("GET", "HEAD"):
            return probe(request)
        return self.get_response(request)
