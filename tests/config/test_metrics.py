"""/metrics: Prometheus text for the monitoring system only, with the portal's backlogs and overdue cases."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.utils import timezone

from routing.models import Case
from search.models import IndexQueue
from tests.conftest import Cast, shape


def sample(text: str, name: str, **labels: str) -> float:
    wanted = ",".join(f'{key}="{value}"' for key, value in labels.items())
    found = re.search(
        rf"^{name}\{{{re.escape(wanted)}\}} (\S+)$" if labels else rf"^{name} (\S+)$", text, re.M
    )
    assert found, f"{name}{labels} not in the metrics"
    return float(found.group(1))


@pytest.fixture
def token(settings: Any) -> str:
    settings.DEBUG = False
    settings.ALLOWED_HOSTS = ["gopy.example.vn"]
    settings.METRICS_TOKEN = "scrape-secret-1234567890"
    return "scrape-secret-1234567890"


def test_production_without_a_token_has_no_metrics(client, settings):
    settings.DEBUG = False
    settings.METRICS_TOKEN = ""
    assert client.get("/metrics").status_code == 404


def test_a_wrong_token_gets_nothing(client, token):
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer guess").status_code == 404
    assert client.get("/metrics").status_code == 404


def test_the_monitoring_system_reads_backlogs_overdue_cases_and_request_latency(
    client, token, case: Case, submit, cast: Cast
):
    shape(case, is_overdue=True)
    shape(submit().petition.case, is_overdue=True, state="closed")  # closed: not overdue any more
    IndexQueue.objects.create(case_id=case.pk, next_attempt_at=timezone.now() - dt.timedelta(minutes=3))
    client.get("/", HTTP_HOST="gopy.example.vn", secure=True)  # one page view to time

    # Scraped by address, like the probes: no host check, no HTTPS redirect.
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_HOST="10.0.0.7:8000")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    text = response.content.decode()
    assert sample(text, "portal_cases_overdue", level="commune") == 1
    assert sample(text, "portal_cases_overdue", level="province") == 0
    assert sample(text, "portal_outbox_backlog", outbox="search", state="due") == 1
    assert sample(text, "portal_outbox_oldest_due_seconds", outbox="search") >= 180
    assert sample(text, "portal_outbox_backlog", outbox="notifications", state="due") >= 0
    assert "django_http_requests_latency_seconds_by_view_method_bucket" in text
    assert "portal_websockets_open" in text
