"""The Celery worker's parent prepares what its pool's children share (config.celery)."""

from __future__ import annotations

import gc

from config import celery


def test_before_forking_the_worker_freezes_what_it_holds():
    assert gc.get_freeze_count() == 0
    try:
        celery._share_with_the_pool()
        assert gc.get_freeze_count() > 10_000  # Django, the apps and every job's modules
    finally:
        gc.unfreeze()
