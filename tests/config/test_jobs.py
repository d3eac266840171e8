"""The job engine: in-process after commit by default, Celery through a real Redis broker in production."""

from __future__ import annotations

import contextlib
import json
import os
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import redis
from django.core.management import call_command
from django.db import transaction

from config import jobs
from config.celery import app, drain_notifications
from notifications.models import Notification, Status
from notifications.transports.sms import LocmemSmsBackend

REDIS_URL = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"


def test_in_process_jobs_run_after_commit_and_not_after_a_rollback(
    submit, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        submit()
        assert LocmemSmsBackend.outbox == []  # nothing leaves before the commit
    assert callbacks and len(LocmemSmsBackend.outbox) == 1
    LocmemSmsBackend.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError), transaction.atomic():
        submit(phone="0987 654 321")
        raise RuntimeError("rollback")
    assert LocmemSmsBackend.outbox == []


def test_unknown_jobs_are_refused():
    with pytest.raises(KeyError):
        jobs.enqueue("nope")


def point_celery_at(url: str, settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The app's broker for this test: through Django's settings, which the app reads (an assignment
    to ``app.conf.broker_url`` is shadowed by CELERY_BROKER_URL in Celery 5.6), and without the
    connection pools an earlier test made for another broker (restored after the test)."""
    settings.JOBS_BACKEND = "celery"
    settings.CELERY_BROKER_URL = url
    monkeypatch.setattr(app, "_pool", None)
    monkeypatch.setattr(app.amqp, "_producer_pool", None)


@pytest.fixture
def celery_broker(settings, monkeypatch):
    """Celery publishing to a queue of its own on the real Redis of this machine."""
    queue = f"test-jobs-{uuid.uuid4().hex}"
    point_celery_at(REDIS_URL, settings, monkeypatch)
    settings.CELERY_TASK_DEFAULT_QUEUE = queue
    client = redis.Redis.from_url(REDIS_URL)
    yield client, queue
    client.delete(queue)
    app.pool.force_close_all()


def test_with_celery_a_change_queues_the_drain_on_the_broker_and_the_task_sends(
    submit, celery_broker, django_capture_on_commit_callbacks
):
    client, queue = celery_broker
    with django_capture_on_commit_callbacks(execute=True):
        submit()
    # The worker's job, waiting on Redis (the database search backend queues no index drain).
    tasks = [json.loads(raw)["headers"]["task"] for raw in client.lrange(queue, 0, -1)]
    assert tasks == ["notifications.drain"]
    [row] = Notification.objects.filter(channel="sms")
    assert row.status == Status.PENDING and LocmemSmsBackend.outbox == []
    drain_notifications()  # what the worker runs
    row.refresh_from_db()
    assert row.status == Status.SENT and len(LocmemSmsBackend.outbox) == 1


def test_with_the_broker_down_nothing_is_lost_and_the_periodic_drain_catches_up(
    submit, settings, monkeypatch, django_capture_on_commit_callbacks, caplog
):
    point_celery_at("redis://127.0.0.1:1/0", settings, monkeypatch)  # nothing listens there
    try:
        with django_capture_on_commit_callbacks(execute=True):
            result = submit()
    finally:
        app.pool.force_close_all()
    assert "could not queue job notifications.drain" in caplog.text
    assert result.created
    [row] = Notification.objects.filter(channel="sms")
    assert row.status == Status.PENDING
    call_command("drain_notifications", verbosity=0)
    row.refresh_from_db()
    assert row.status == Status.SENT and len(LocmemSmsBackend.outbox) == 1


def test_every_job_has_a_celery_task_and_a_place_in_the_schedule(settings):
    app.loader.import_default_modules()
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    for name in jobs.JOBS:
        assert name in app.tasks, f"no Celery task for {name}"
        assert name in scheduled, f"{name} is not run periodically"
        assert callable(jobs.job_function(name))


@contextlib.contextmanager
def _no_timers_left() -> Iterator[None]:
    try:
        yield
    finally:
        for timer in list(jobs._timers.values()):
            timer.cancel()
        jobs._timers.clear()


@pytest.mark.django_db(transaction=True)
def test_in_process_a_drain_that_left_messages_waiting_runs_again_when_they_are_due(seeded, submit, settings):
    import time

    from django.utils import timezone

    from tests.notifications.test_outbox import gateway_server

    settings.JOBS_INPROCESS_CATCH_UP = True
    with gateway_server(settings) as down, _no_timers_left():
        down.status = 503
        submit()  # the receipt SMS fails after commit; a catch-up timer is armed for its retry
        [row] = Notification.objects.filter(channel="sms")
        assert row.status == Status.PENDING and row.attempts == 1
        assert "notifications.drain" in jobs._timers
        jobs._timers.pop("notifications.drain").cancel()  # its retry is a minute away; bring it closer
        Notification.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now())
        down.status = 200
        assert jobs.catch_up_later("notifications.drain") == jobs.CATCH_UP_MIN_SECONDS
        for _tick in range(200):  # up to 20 s: a loaded CI machine (the timer, then the send)
            if Notification.objects.get(pk=row.pk).status == Status.SENT:
                break
            time.sleep(0.1)
        assert Notification.objects.get(pk=row.pk).status == Status.SENT
        assert len(down.received) == 1
        assert jobs.catch_up_later("notifications.drain") is None  # nothing waits any more


def test_with_celery_the_scheduler_catches_up_not_a_timer(settings):
    settings.JOBS_INPROCESS_CATCH_UP = True
    settings.JOBS_BACKEND = "celery"
    assert jobs.catch_up_later("notifications.drain") is None
