"""The job engine behind one small interface: run a named job after the current transaction commits.

``JOBS_BACKEND=inprocess`` (the embedded default) runs the job in this process right
after commit; ``celery`` sends it to the Celery worker through the broker. Jobs take
no model instances; they read what they need (the outbox rows) themselves, so a job
lost with a broker outage costs nothing: the next run, or the periodic one, catches up.
"""

from __future__ import annotations

import datetime as dt
import logging
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
    "notifications.drain": "notifications.outbox.drain",
    "routing.sweep": "routing.sweep.sweep_deadlines",
    "search.drain": "search.outbox.drain",
    "petitions.retention": "petitions.retention.petitions_anonymise",
    "petitions.purge_staged": "petitions.attachments.attachments_purge_stale",
    "housekeeping": "config.housekeeping.housekeeping",
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
    "notifications.drain": "notifications.outbox.next_due",
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
    from django.db import close_old_connections, connection

    with _timers_lock:
        _timers.pop(name, None)
    close_old_connections()
    try:
        run(name)
        catch_up_later(name)
    finally:
        connection.close()


def enqueue(name: str) -> None:
    if name not in JOBS:
        raise KeyError(name)
    if settings.JOBS_BACKEND == "celery":
        from config.celery import app

        try:
            app.send_task(name)
        except Exception:  # broker down: the periodic run picks the work up later
            logger.warning("could not queue job %s; it will run with the next periodic run", name)
        return
    run(name)
    catch_up_later(name)


def enqueue_after_commit(name: str) -> None:
    """Queue ``name`` after the current transaction commits (nothing if it rolls back).

    Running a job twice is harmless (the drain finds nothing the second time).
    """
    transaction.on_commit(lambda: enqueue(name))
