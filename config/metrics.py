"""Prometheus metrics at ``/metrics``: django-prometheus's request metrics plus the portal's own.

Request latency per view and response codes come from django-prometheus's middleware (its
database wrappers are not used: the database engines stay Django's own). The portal adds what an operator watches: open WebSockets (per
process, updated by the consumers), the outbox backlogs and the overdue cases (read from the
database at scrape time, a few indexed counts).

The endpoint is for the monitoring system only: it needs ``Authorization: Bearer <METRICS_TOKEN>``;
without a token configured it is open in development and absent (404) in production.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterator

from django.conf import settings
from django.db.models import Count
from django.http import HttpRequest, HttpResponse, HttpResponseNotFound
from django.utils import timezone
from django.views.decorators.http import require_GET
from prometheus_client import REGISTRY, CollectorRegistry, Gauge, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.registry import Collector

OPEN_WEBSOCKETS = Gauge(
    "portal_websockets_open",
    "Live-update sockets open in this process",
    ["page"],
    multiprocess_mode="livesum",
)


class PortalCollector(Collector):
    """Backlogs and overdue cases, counted when Prometheus scrapes."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        from config.unavailable import database_reachable
        from notifications.models import Notification, Status
        from notifications.sending import next_due as notifications_next_due
        from routing.models import CLOCKED_STATES, Case
        from search.models import IndexQueue
        from search.outbox import next_due as search_next_due

        up = database_reachable(2.0)  # a scrape must not wait DB_POOL_TIMEOUT for the pool
        yield GaugeMetricFamily(
            "portal_database_up", "Whether the database answered within 2 s (1) or not (0)", value=int(up)
        )
        if not up:  # the gauges below count rows: none to give while the database is away
            return
        now = timezone.now()
        backlog = GaugeMetricFamily(
            "portal_outbox_backlog", "Outbox rows waiting to be processed", labels=["outbox", "state"]
        )
        waiting = Notification.objects.filter(status__in=[Status.PENDING, Status.SENDING])
        backlog.add_metric(["notifications", "due"], waiting.filter(next_attempt_at__lte=now).count())
        backlog.add_metric(
            ["notifications", "retrying_later"], waiting.filter(next_attempt_at__gt=now).count()
        )
        backlog.add_metric(["search", "due"], IndexQueue.objects.filter(next_attempt_at__lte=now).count())
        backlog.add_metric(
            ["search", "retrying_later"], IndexQueue.objects.filter(next_attempt_at__gt=now).count()
        )
        yield backlog

        oldest = GaugeMetricFamily(
            "portal_outbox_oldest_due_seconds",
            "How long the oldest due outbox row has waited",
            labels=["outbox"],
        )
        for name, due in (("notifications", notifications_next_due()), ("search", search_next_due())):
            oldest.add_metric([name], max((now - due).total_seconds(), 0.0) if due else 0.0)
        yield oldest

        failed = GaugeMetricFamily("portal_notifications_failed", "Notifications that failed permanently")
        failed.add_metric([], Notification.objects.filter(status=Status.FAILED).count())
        yield failed

        overdue = GaugeMetricFamily(
            "portal_cases_overdue", "Open cases past their deadline", labels=["level"]
        )
        counts = dict(
            Case.objects.filter(state__in=CLOCKED_STATES, is_overdue=True)
            .order_by()
            .values_list("unit__level")
            .annotate(n=Count("pk"))
            .values_list("unit__level", "n")
        )
        for level in ("commune", "province", "central"):
            overdue.add_metric([level], counts.get(level, 0))
        yield overdue


_registered = False


def register() -> None:
    """Adds the portal's collector to the default registry once per process."""
    global _registered
    if not _registered:
        REGISTRY.register(PortalCollector())
        _registered = True


def _authorised(request: HttpRequest) -> bool:
    token = settings.METRICS_TOKEN
    if not token:
        return bool(settings.DEBUG)
    given = request.headers.get("Authorization", "")
    return hmac.compare_digest(given.encode(), f"Bearer {token}".encode())


@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    if not _authorised(request):
        return HttpResponseNotFound("", content_type="text/plain")
    register()
    registry: CollectorRegistry = REGISTRY
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)
