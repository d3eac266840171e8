"""The job engine behind one small interface: run a named job after the current transaction commits.

``JOBS_BACKEND=inprocess`` (the embedded default) runs the job in this process right
after commit; ``celery`` sends it to the Celery worker through the broker. Jobs take
no model instances; they read what they need (the outbox rows) themselves, so a job
lost with a broker outage costs nothing: the next run, or the periodic one, catches up.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)

#: Job name → dotted path of the function (no arguments).
JOBS = {
    "notifications.drain": "notifications.outbox.drain",
    "routing.sweep": "routing.sweep.sweep_deadlines",
    "search.drain": "search.outbox.drain",
    "petitions.retention": "petitions.retention.petitions_anonymise",
    "petitions.purge_staged": "petitions.attachments.attachments_purge_stale",
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


def enqueue_after_commit(name: str) -> None:
    """Queue ``name`` after the current transaction commits (nothing if it rolls back).

    Running a job twice is harmless (the drain finds nothing the second time).
    """
    transaction.on_commit(lambda: enqueue(name))
