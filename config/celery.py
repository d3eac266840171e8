"""Celery for production (``JOBS_BACKEND=celery``): a worker runs the jobs, beat the periodic ones.

    celery -A config worker -l info
    celery -A config beat -l info

The broker is ``CELERY_BROKER_URL`` or else ``REDIS_URL``. Every job is also run
periodically, so work queued while the broker or the worker was down is done when
they are back: the outbox rows in the database are the only copy that matters.
"""

from __future__ import annotations

import gc
import os

from celery import Celery
from celery.signals import setup_logging, worker_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("petitions")
app.config_from_object("django.conf:settings", namespace="CELERY")


@setup_logging.connect
def _log_like_the_web(**kwargs: object) -> None:
    """Worker and beat log through ``settings.LOGGING`` (JSON, request ids, redaction), not Celery's own."""
    import logging.config

    from django.conf import settings

    logging.config.dictConfig(settings.LOGGING)


@worker_init.connect
def _share_with_the_pool(**kwargs: object) -> None:
    """In the worker's parent, before it forks its pool: every job's code imported once, then
    ``gc.freeze()``. The children share those pages copy-on-write; without the freeze a garbage
    collection (in the parent or a child) writes to each object's header and copies its page into
    every process. The soak (bench/soak.py) saw the pool's memory step up by 55 MB at once."""
    from config.jobs import JOBS, job_function

    for name in JOBS:
        job_function(name)
    gc.collect()
    gc.freeze()


@app.task(name="notifications.drain", ignore_result=True)
def drain_notifications() -> None:
    from config.jobs import run

    run("notifications.drain")


@app.task(name="routing.sweep", ignore_result=True)
def sweep_deadlines() -> None:
    from config.jobs import run

    run("routing.sweep")


@app.task(name="search.drain", ignore_result=True)
def drain_search_index() -> None:
    from config.jobs import run

    run("search.drain")


@app.task(name="petitions.retention", ignore_result=True)
def anonymise_old_petitions() -> None:
    from config.jobs import run

    run("petitions.retention")


@app.task(name="petitions.purge_staged", ignore_result=True)
def purge_staged_photos() -> None:
    from config.jobs import run

    run("petitions.purge_staged")


@app.task(name="housekeeping", ignore_result=True)
def housekeeping() -> None:
    from config.jobs import run

    run("housekeeping")


@app.task(name="alerts.detect", ignore_result=True)
def detect_alerts() -> None:
    from config.jobs import run

    run("alerts.detect")


@app.task(name="routing.rollups", ignore_result=True)
def roll_up_leader_figures() -> None:
    from config.jobs import run

    run("routing.rollups")
