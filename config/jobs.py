"""The job engine behind one small interface: run a named job after the current transaction commits.

``JOBS_BACKEND=inprocess`` (the embedded default) runs the job in this process right
after commit; ``celery`` sends it to the Celery worker through the broker. Jobs take
no model instances; they read what they need (the outbox rows) themselves, so a job
lost with a broker outage costs nothing: the next run, or the periodic one, catches up.

In-process, jobs run on one background thread of the process (``JOBS_INPROCESS_THREAD``,
on by default), never in the request that queued them: inline, a drain waiting on a slow
SMS gateway (up to its timeout) or on Elasticsearch would hold the answer to the citizen
whose change queued it, and one of the server's threads with it. The thread is a daemon fed
by a queue; a job already waiting there is not queued again (drains are idempotent and
read their rows themselves, so one run serves every change committed before it starts).
A process that exits waits a little (``EXIT_WAIT_SECONDS``) for the jobs in hand; a job
still waiting or running after that is lost with the process, and nothing with it: its
rows stay in the database for the next drain (the next change, a catch-up timer, or the
``drain_*`` commands). The tests turn the thread off, so that jobs run synchronously
after commit as they did before.
"""

from __future__ import annotations

import atexit
import datetime as dt
import logging
import os
import queue
import threading
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)

#: Job name → dotted path of the function (no arguments).
JOBS = {
    "notifications.drain": "notifications.sending.drain",
    "routing.sweep": "routing.sweep.sweep_deadlines",
    "search.drain": "search.outbox.drain",
    "petitions.retention": "petitions.retention.petitions_anonymise",
    "petitions.purge_staged": "petitions.attachments.attachments_purge_stale",
    "housekeeping": "config.housekeeping.housekeeping",
    "alerts.detect": "alerts.services.alerts_detect_job",
    "routing.rollups": "routing.rollups.rollups_job",
}


def job_function(name: str) -> Callable[..., Any]:
    function: Callable[..., Any] = import_string(JOBS[name])
    return function


def run(name: str) -> None:
    """Run a job here and now; failures are logged, never raised into the caller."""
    try:
        job_function(name)()
    except Exception:
        logger.exception("job %s failed", name)


# --- catching up in-process -------------------------------------------------------------------
# Production's scheduler runs every drain periodically, so rows left waiting (the SMS gateway
# or Elasticsearch was down) are picked up when it is back. In-process there is no scheduler:
# after a drain leaves rows waiting, a timer runs it again when the first of them is due.

#: Drain job → the function telling when its next waiting row is due (None: nothing waits).
CATCH_UP: dict[str, str] = {
    "notifications.drain": "notifications.sending.next_due",
    "search.drain": "search.outbox.next_due",
}
CATCH_UP_MIN_SECONDS = 1.0
CATCH_UP_MAX_SECONDS = 300.0
_timers: dict[str, threading.Timer] = {}
_timers_lock = threading.Lock()


def catch_up_later(name: str) -> float | None:
    """Arm a timer running ``name`` again when its next waiting row is due; returns the delay.

    One timer per job; in-process only (``JOBS_INPROCESS_CATCH_UP``, off in the tests that do
    not ask for it: a timer outlives the test that armed it).
    """
    if name not in CATCH_UP or settings.JOBS_BACKEND == "celery" or not settings.JOBS_INPROCESS_CATCH_UP:
        return None
    due: dt.datetime | None = import_string(CATCH_UP[name])()
    if due is None:
        return None
    delay = min(max((due - timezone.now()).total_seconds(), CATCH_UP_MIN_SECONDS), CATCH_UP_MAX_SECONDS)
    with _timers_lock:
        current = _timers.get(name)
        if current is not None and current.is_alive():
            return None
        timer = threading.Timer(delay, _catch_up, args=(name,))
        timer.daemon = True
        _timers[name] = timer
        timer.start()
    return delay


def _catch_up(name: str) -> None:
    with _timers_lock:
        _timers.pop(name, None)
    if serving_on_thread():
        _worker.submit(name)  # one thread runs every job: never a catch-up next to a drain
    else:
        _run_with_own_connection(name)


def _run_with_own_connection(name: str) -> None:
    """Run a job on a thread of ours (worker or timer): a connection of its own, closed after."""
    from django.db import close_old_connections, connection

    close_old_connections()
    try:
        run(name)
        catch_up_later(name)
    finally:
        connection.close()


# --- the in-process worker thread -------------------------------------------------------------


class _Worker:
    """One daemon thread running queued jobs one after another; started by the first job."""

    def __init__(self) -> None:
        self._queue: queue.SimpleQueue[str] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._waiting: set[str] = set()  # queued, not started yet
        self._unfinished = 0  # queued or running
        self._thread: threading.Thread | None = None

    def submit(self, name: str) -> bool:
        """Queue ``name`` unless it already waits; False when it did (the waiting run covers this one)."""
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                # First job, or the thread died: a new one takes over what still waits in the queue.
                thread = threading.Thread(target=self._loop, name="jobs-inprocess", daemon=True)
                thread.start()
                self._thread = thread
            if name in self._waiting:
                return False
            self._waiting.add(name)
            self._unfinished += 1
            self._queue.put(name)
        return True

    def _loop(self) -> None:
        while True:
            name = self._queue.get()
            with self._lock:
                # From now on a new enqueue queues another run: this one may have read the rows
                # before that change committed.
                self._waiting.discard(name)
            try:
                _run_with_own_connection(name)
            except Exception:  # run() logs the job's own failures; this is the catch-up or the connection
                logger.exception("in-process job %s failed", name)
            finally:
                with self._lock:
                    self._unfinished -= 1
                    self._idle.notify_all()

    def wait_idle(self, timeout: float) -> bool:
        """Wait until nothing is queued or running (tests, exit); False on timeout."""
        with self._lock:
            return self._idle.wait_for(lambda: self._unfinished == 0, timeout)


_worker = _Worker()


def _new_worker_after_fork() -> None:
    # A forked child has none of the parent's threads: a fresh queue and thread, started on demand.
    global _worker
    _worker = _Worker()


os.register_at_fork(after_in_child=_new_worker_after_fork)


def wait_idle(timeout: float = 10.0) -> bool:
    """Wait until the in-process worker has run every queued job; False on timeout."""
    return _worker.wait_idle(timeout)


#: How long a process that is exiting waits for the jobs it queued.
EXIT_WAIT_SECONDS = 10.0


def _finish_at_exit() -> None:
    # A command (``sweep_deadlines`` in the embedded setup) queues its drain and returns: let the
    # drain send its messages rather than leave them to the next one. Bounded, so a gateway that
    # hangs never holds a process that is stopping (its rows wait for the next drain).
    if not _worker.wait_idle(EXIT_WAIT_SECONDS):
        logger.warning("in-process jobs still running at exit; the next drain will catch up")


atexit.register(_finish_at_exit)


#: Set by the server's entry point (``config/asgi.py``): only a process that serves requests
#: hands its jobs to the thread. Commands (``manage.py sweep_deadlines``, ``drain_*``) run them
#: inline, to the end, before they exit.
_serving = False


def serve_on_thread() -> None:
    """Mark this process as a server: in-process jobs go to the worker thread (if the setting allows)."""
    global _serving
    _serving = True


def serving_on_thread() -> bool:
    """Whether this process serves requests and hands their after-commit work to threads of its own.

    True in daphne (``serve_on_thread``) unless ``JOBS_INPROCESS_THREAD`` is off (the tests), also
    when the jobs themselves go to Celery: the live push (``notifications.live``) is per process.
    """
    return bool(settings.JOBS_INPROCESS_THREAD and _serving)


def enqueue(name: str) -> None:
    """Run ``name`` soon: on the job thread (in-process), inline if it is off, or on the Celery worker."""
    if name not in JOBS:
        raise KeyError(name)
    if settings.JOBS_BACKEND == "celery":
        from config.celery import app

        try:
            app.send_task(name)
        except Exception:  # broker down: the periodic run picks the work up later
            logger.warning("could not queue job %s; it will run with the next periodic run", name)
        return
    if serving_on_thread():
        _worker.submit(name)
        return
    run(name)
    catch_up_later(name)


def enqueue_after_commit(name: str) -> None:
    """Queue ``name`` after the current transaction commits (nothing if it rolls back).

    Running a job twice is harmless (the drain finds nothing the second time).
    """
    transaction.on_commit(lambda: enqueue(name))
