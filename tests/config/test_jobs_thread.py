"""In-process jobs on the worker thread (``JOBS_INPROCESS_THREAD``): off the request, one at a time."""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest
from django.db import transaction
from django.utils import timezone

from config import jobs
from notifications.models import Notification, Status
from tests.notifications.test_outbox import Gateway

WORKER = "jobs-inprocess"
HERE = __name__

# The worker opens (and after each job closes) a connection of its own, so it needs database
# access even for jobs that touch no table: on the in-memory SQLite of the tests, Django keeps
# that connection open, and pytest-django refuses every connection outside database tests.
pytestmark = pytest.mark.django_db


class Probe:
    """What the test jobs saw: the thread of each run; ``release`` lets a slow job finish."""

    threads: ClassVar[list[str]] = []
    started = threading.Event()
    release = threading.Event()
    due_once: ClassVar[list[dt.datetime]] = []


def slow_job() -> None:
    Probe.threads.append(threading.current_thread().name)
    Probe.started.set()
    Probe.release.wait(timeout=5)


def record_job() -> None:
    Probe.threads.append(threading.current_thread().name)


def failing_job() -> None:
    raise RuntimeError("the gateway exploded")


def marker_job() -> None:
    """Slow, then leaves a file: the test running it in a process of its own looks for it."""
    time.sleep(1)
    Path(os.environ["JOBS_TEST_MARKER"]).write_text(threading.current_thread().name)


def next_due_once() -> dt.datetime | None:
    """A catch-up check: one row due now the first time, nothing afterwards."""
    return Probe.due_once.pop() if Probe.due_once else None


TEST_JOBS = {"test.slow": "slow_job", "test.record": "record_job", "test.failing": "failing_job"}


@pytest.fixture(autouse=True)
def thread_jobs(settings: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The worker thread on, the test jobs registered; every queued job finished before the next test."""
    settings.JOBS_INPROCESS_THREAD = True
    monkeypatch.setattr(jobs, "_serving", True)  # as config/asgi.py marks a server
    for name, function in TEST_JOBS.items():
        monkeypatch.setitem(jobs.JOBS, name, f"{HERE}.{function}")
    Probe.threads, Probe.due_once = [], []
    Probe.started.clear()
    Probe.release.clear()
    try:
        yield
    finally:
        Probe.release.set()
        with jobs._timers_lock:
            for timer in jobs._timers.values():
                timer.cancel()
            jobs._timers.clear()
        assert jobs.wait_idle(10), "the worker did not finish this test's jobs"


def test_enqueue_returns_at_once_while_a_slow_job_runs_on_the_worker_thread():
    began = time.monotonic()
    jobs.enqueue("test.slow")
    assert time.monotonic() - began < 1
    assert Probe.started.wait(5)
    assert Probe.threads == [WORKER]
    assert not jobs.wait_idle(0.2)  # still running, not finished behind our back
    Probe.release.set()
    assert jobs.wait_idle(5)


def test_enqueue_after_commit_returns_at_once_and_the_job_runs_on_the_worker_thread(
    django_capture_on_commit_callbacks,
):
    began = time.monotonic()
    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        jobs.enqueue_after_commit("test.slow")
        assert not Probe.started.is_set()  # nothing before the commit
    assert len(callbacks) == 1
    assert time.monotonic() - began < 1
    assert Probe.started.wait(5)
    assert Probe.threads == [WORKER]


class SlowGateway(Gateway):
    """The real HTTP gateway of the outbox tests, answering only once the test lets it."""

    answer = threading.Event()
    arrived = threading.Event()

    def do_POST(self) -> None:
        SlowGateway.arrived.set()
        SlowGateway.answer.wait(timeout=8)
        super().do_POST()


@contextlib.contextmanager
def slow_gateway(settings: Any) -> Iterator[type[SlowGateway]]:
    Gateway.status, Gateway.received = 200, []
    SlowGateway.answer.clear()
    SlowGateway.arrived.clear()
    server = ThreadingHTTPServer(("127.0.0.1", 0), SlowGateway)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.SMS_BACKEND = "notifications.transports.sms.HttpGatewaySmsBackend"
    settings.SMS_GATEWAY_URL = f"http://127.0.0.1:{server.server_port}/send"
    settings.SMS_GATEWAY_KEY = "secret-key"
    settings.SMS_GATEWAY_TIMEOUT = 30
    try:
        yield SlowGateway
    finally:
        SlowGateway.answer.set()
        jobs.wait_idle(10)  # the drain's request done before the server goes
        server.shutdown()
        server.server_close()


def _wait_until(condition: Any, seconds: float = 10) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return bool(condition())


@pytest.mark.django_db(transaction=True)
def test_a_filed_petition_is_answered_before_the_slow_gateway_and_its_sms_is_sent_after(
    seeded, submit, settings
):
    with slow_gateway(settings) as gateway:
        result = submit()
        # The citizen has the answer while the gateway still holds the SMS.
        assert result.created and gateway.received == []
        # The database is read only while the worker waits on the gateway or is done: the tests'
        # in-memory SQLite shares its cache between threads and has table locks without waiting.
        assert gateway.arrived.wait(10)
        [row] = Notification.objects.filter(channel="sms", petition=result.petition)
        assert row.status == Status.SENDING
        gateway.answer.set()
        assert jobs.wait_idle(10)
        row.refresh_from_db()
        assert row.status == Status.SENT
        assert [m["to"] for m in gateway.received] == ["+84912345678"]
        assert gateway.received[0]["idempotency_key"] == f"notification-{row.pk}"


def test_ten_enqueues_while_the_job_runs_lead_to_one_more_run_only():
    jobs.enqueue("test.slow")
    assert Probe.started.wait(5)  # the first run holds the worker
    began = time.monotonic()
    for _ in range(10):
        jobs.enqueue("test.slow")
    assert time.monotonic() - began < 1
    Probe.release.set()
    assert jobs.wait_idle(5)
    # The run that was going may have read its rows before the last change: one more, not ten.
    assert Probe.threads == [WORKER, WORKER]


def test_a_job_that_raises_is_logged_and_the_worker_goes_on_with_the_next(caplog, settings, monkeypatch):
    # A failure outside the job itself too: its catch-up check (a database error, say).
    settings.JOBS_INPROCESS_CATCH_UP = True
    monkeypatch.setitem(jobs.CATCH_UP, "test.slow", f"{HERE}.failing_job")
    Probe.release.set()
    with caplog.at_level(logging.ERROR, logger="config.jobs"):
        jobs.enqueue("test.failing")
        jobs.enqueue("test.slow")
        jobs.enqueue("test.record")
        assert jobs.wait_idle(5)
    assert Probe.threads == [WORKER, WORKER]  # the slow job and the last one both ran
    failures = [r for r in caplog.records if r.name == "config.jobs"]
    assert [r.getMessage() for r in failures] == [
        "job test.failing failed",
        "in-process job test.slow failed",
    ]
    assert all(r.threadName == WORKER and r.exc_info and r.exc_info[0] is RuntimeError for r in failures)
    assert any(t.name == WORKER and t.is_alive() for t in threading.enumerate())


def test_a_catch_up_timer_hands_its_run_to_the_worker_thread(settings, monkeypatch):
    settings.JOBS_INPROCESS_CATCH_UP = True
    monkeypatch.setitem(jobs.CATCH_UP, "test.record", f"{HERE}.next_due_once")
    Probe.due_once.append(timezone.now())
    assert jobs.catch_up_later("test.record") == jobs.CATCH_UP_MIN_SECONDS
    assert _wait_until(lambda: Probe.threads, seconds=5)
    assert jobs.wait_idle(5)
    assert Probe.threads == [WORKER]  # not the timer's own thread
    assert jobs.catch_up_later("test.record") is None  # nothing due any more: no timer left armed


EXITING_PROCESS = f"""
import sys

import django

django.setup()
from django.conf import settings

from config import jobs

assert settings.JOBS_INPROCESS_THREAD  # the default
if sys.argv[1] == "server":
    jobs.serve_on_thread()
jobs.JOBS["test.marker"] = "{HERE}.marker_job"
jobs.enqueue("test.marker")
print("queued")
"""


@pytest.mark.parametrize(("process", "runs_on"), [("server", WORKER), ("command", "MainThread")])
def test_a_process_that_exits_right_after_queueing_a_job_lets_it_finish(tmp_path, process, runs_on):
    """A server's job runs on the thread, and exiting waits for it; a command (``manage.py
    sweep_deadlines`` queues its drain, then returns) runs its jobs inline, to the end."""
    marker = tmp_path / "marker"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "JOBS_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DJANGO_VAR_DIR=str(tmp_path / "var"),
        JOBS_TEST_MARKER=str(marker),
    )
    done = subprocess.run(
        [sys.executable, "-c", EXITING_PROCESS, process],
        cwd=Path(__file__).resolve().parents[2],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["queued"]
    assert marker.read_text() == runs_on
