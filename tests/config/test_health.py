"""/healthz and /readyz: answered before host checks and HTTPS redirects, each dependency reported truthfully."""

from __future__ import annotations

import copy
import datetime as dt
import os
import socket
from typing import Any

import pytest
from django.db import connections
from django.utils import timezone

from search.models import IndexQueue


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def production(settings: Any) -> None:
    settings.ALLOWED_HOSTS = ["gopy.example.vn"]
    settings.SECURE_SSL_REDIRECT = True


def test_liveness_answers_the_container_probe_whatever_the_host_and_scheme(client, production):
    response = client.get("/healthz", HTTP_HOST="10.0.0.7:8000")
    assert response.status_code == 200
    assert response.content == b"ok\n"
    # Every other page still refuses an unknown host.
    assert client.get("/", HTTP_HOST="10.0.0.7:8000").status_code == 400


def test_readiness_reports_every_dependency_of_the_embedded_setup(client, db, production, settings):
    settings.REDIS_URL = settings.ELASTICSEARCH_URL = None
    response = client.get("/readyz", HTTP_HOST="10.0.0.7:8000")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "jobs"}  # no Redis, no Elasticsearch configured
    assert body["checks"]["database"]["status"] == "ok"
    assert response["Cache-Control"] == "no-store"


def test_a_database_that_does_not_answer_makes_the_process_unready(client, db, monkeypatch):
    broken = connections.create_connection("default")
    broken.settings_dict = copy.deepcopy(broken.settings_dict)
    if broken.vendor == "postgresql":
        broken.settings_dict.update(HOST="127.0.0.1", PORT=closed_port())
        # Django keeps one pool per alias: the copy would borrow the working one.
        broken.settings_dict["OPTIONS"] = {
            k: v for k, v in broken.settings_dict["OPTIONS"].items() if k != "pool"
        }
    else:
        broken.settings_dict["NAME"] = "/nonexistent-directory/db.sqlite3"
    monkeypatch.setattr("config.health.connection", broken)
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "fail"
    assert body["checks"]["database"]["status"] == "fail"
    assert "OperationalError" in body["checks"]["database"]["detail"]
    # Its queries would wait for the database too: not run.
    assert body["checks"]["jobs"]["detail"] == "not checked: the database is unreachable"


def test_redis_down_is_reported_as_degraded_while_the_site_keeps_serving(client, db, settings):
    settings.REDIS_URL = f"redis://127.0.0.1:{closed_port()}/0"
    response = client.get("/readyz")
    assert (
        response.status_code == 200
    )  # pages and submissions work without Redis (tests/config/test_cache_down.py)
    assert response.json()["status"] == "degraded"
    assert response.json()["checks"]["redis"]["status"] == "degraded"
    assert response.json()["checks"]["database"]["status"] == "ok"


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs the Redis service (CI's second run)")
def test_redis_up_is_reported(client, db, settings):
    settings.REDIS_URL = os.environ["REDIS_URL"]
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["checks"]["redis"] == {**response.json()["checks"]["redis"], "status": "ok"}


def test_an_outbox_nobody_drains_is_reported_as_degraded_not_down(client, db, settings):
    settings.READY_BACKLOG_SECONDS = 300
    IndexQueue.objects.create(case_id=1, next_attempt_at=timezone.now() - dt.timedelta(minutes=2))
    assert client.get("/readyz").json()["checks"]["jobs"]["status"] == "ok"  # due, not yet late
    IndexQueue.objects.create(case_id=2, next_attempt_at=timezone.now() - dt.timedelta(minutes=6))
    response = client.get("/readyz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "degraded"
    assert body["checks"]["jobs"]["status"] == "degraded"
    assert "1 index updates overdue" in body["checks"]["jobs"]["detail"]
