"""Keeping the index in step with the database: rows written with each change, drained in bulk.

``enqueue`` runs inside the change's transaction; ``drain`` runs after commit in the job
engine, claims a batch with a lease, indexes it in one bulk request and removes the rows
it indexed. If the search service is down the rows wait (with backoff) and the next
drain catches up; nothing is lost and the rest of the site keeps working. The first batch indexed
after the service was found down (by this process, or a row retried) pulls every row still waiting
out its backoff forward: they are indexed now, not up to an hour after the service came back.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from functools import reduce
from operator import or_

from django.conf import settings
from django.db.models import F, Q
from django.utils import timezone

from config.claims import claim_rows
from search.base import SearchUnavailable
from search.models import IndexQueue

logger = logging.getLogger(__name__)

#: A batch is one bulk request of at most 60 s (``elastic.BULK_TIMEOUT``), tried twice at most
#: (``client.MAX_RETRIES``); 3 minutes cover it, and a worker killed mid-batch leaves its rows waiting
#: no longer. A batch that outlasts its lease changes nothing of rows another drain took meanwhile,
#: and documents written twice carry the case's version: the engine keeps the newer one.
LEASE = dt.timedelta(minutes=3)
BATCH_SIZE = 500

#: This process found the search service down since its last batch indexed.
_seen_down = False


def enqueue(case_ids: Iterable[int]) -> None:
    """Mark cases for (re)indexing, in the caller's transaction; wake the drain after commit.

    Only with Elasticsearch: the database backend searches the tables themselves, so it has
    nothing to index and no request pays for the queue (``search_reindex`` fills a new index).
    """
    if settings.SEARCH_BACKEND != "engine":
        return
    ids = sorted(set(case_ids))
    if not ids:
        return
    now = timezone.now()
    IndexQueue.objects.bulk_create(
        [IndexQueue(case_id=pk, requested_at=now, next_attempt_at=now) for pk in ids],
        update_conflicts=True,
        unique_fields=["case_id"],
        update_fields=["requested_at", "next_attempt_at"],
    )
    from config.jobs import enqueue_after_commit

    enqueue_after_commit("search.drain")


def backoff(attempts: int) -> dt.timedelta:
    return dt.timedelta(seconds=min(15 * 2 ** max(attempts - 1, 0), 3600))


@dataclass
class DrainReport:
    indexed: int = 0
    waiting: int = 0
    #: Rows waiting out a backoff made due again, the service being back.
    pulled_forward: int = 0


def _claim(now: dt.datetime, batch_size: int) -> list[tuple[int, int, dt.datetime, int]]:
    """Take up to ``batch_size`` due rows for this drain: a lease, in one statement (``config.claims``)."""
    due = IndexQueue.objects.filter(next_attempt_at__lte=now).filter(
        Q(lease_until__isnull=True) | Q(lease_until__lt=now)
    )
    rows = claim_rows(
        due, order_by=("requested_at", "pk"), limit=batch_size, assignments={"lease_until": now + LEASE}
    )
    return [(row.pk, row.case_id, row.requested_at, row.attempts) for row in rows]


def _pull_forward(now: dt.datetime) -> int:
    """The service answers again: the rows waiting out a backoff are due now (one UPDATE)."""
    return IndexQueue.objects.filter(next_attempt_at__gt=now, attempts__gt=0).update(next_attempt_at=now)


def drain(
    *, batch_size: int = BATCH_SIZE, now: dt.datetime | None = None, max_batches: int = 100
) -> DrainReport:
    """Index waiting cases in bulk batches until none is due, or the search service is down."""
    from search import get_backend

    global _seen_down
    backend = get_backend()
    report = DrainReport()
    pulled = False
    for _batch in range(max_batches):
        moment = now or timezone.now()
        rows = _claim(moment, batch_size)
        if not rows:
            break
        # The rows as this drain holds them: not those another drain took after the lease ran out.
        ours = IndexQueue.objects.filter(pk__in=[r[0] for r in rows], lease_until=moment + LEASE)
        try:
            backend.index([case_id for _pk, case_id, _seen, _attempts in rows])
        except SearchUnavailable as exc:
            _seen_down = True
            attempts = max(attempts for *_row, attempts in rows) + 1
            ours.update(
                attempts=F("attempts") + 1,
                lease_until=None,
                last_error=str(exc)[:500],
                next_attempt_at=moment + backoff(attempts),
            )
            report.waiting += len(rows)
            logger.warning("search index unavailable; %s cases wait for the next drain", len(rows))
            break
        # Rows whose case changed again while it was being indexed stay, released for the next batch.
        indexed = reduce(or_, (Q(pk=pk, requested_at=seen) for pk, _case_id, seen, _attempts in rows))
        IndexQueue.objects.filter(indexed).delete()
        ours.update(lease_until=None)
        report.indexed += len(rows)
        if not pulled and (_seen_down or any(attempts for *_row, attempts in rows)):
            pulled, _seen_down = True, False
            report.pulled_forward = _pull_forward(moment)
            if report.pulled_forward:
                logger.info("search index back: %s waiting cases due now", report.pulled_forward)
    return report


def next_due() -> dt.datetime | None:
    """When the next waiting row is due (None when nothing waits)."""
    first = IndexQueue.objects.order_by("next_attempt_at").values_list("next_attempt_at", flat=True).first()
    return first
