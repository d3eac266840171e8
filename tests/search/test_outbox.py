"""The indexing outbox: a row per changed case, written with the change, drained in bulk."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction
from django.utils import timezone

from routing import services
from search import outbox
from search.models import IndexQueue


@pytest.fixture(autouse=True)
def indexing(elastic):
    """The index is on the real engine: the database backend queues nothing."""
    return elastic


def queued() -> set[int]:
    return set(IndexQueue.objects.values_list("case_id", flat=True))


def test_a_new_petition_and_each_change_queue_the_case_for_indexing(case, cast):
    assert queued() == {case.pk}
    IndexQueue.objects.all().delete()
    services.case_accept(case_id=case.pk, actor=cast.officer)
    assert queued() == {case.pk}


def test_a_rolled_back_change_queues_nothing(case, cast):
    IndexQueue.objects.all().delete()
    with pytest.raises(RuntimeError), transaction.atomic():
        services.case_accept(case_id=case.pk, actor=cast.officer)
        raise RuntimeError("rollback")
    assert queued() == set()


def test_the_drain_indexes_after_commit_and_empties_the_queue(submit, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        submit()
        submit(phone="0987 654 321")
    assert queued() == set()


def test_repeated_changes_keep_one_row_per_case(case, cast):
    services.case_accept(case_id=case.pk, actor=cast.officer)
    services.case_submit_response(case_id=case.pk, actor=cast.officer, text="Đã xử lý.")
    assert IndexQueue.objects.filter(case_id=case.pk).count() == 1


def test_a_change_committed_while_its_case_is_being_indexed_is_indexed_again(case, cast):
    now = timezone.now()
    claimed = outbox._claim(now, 10)
    assert [case_id for _pk, case_id, _seen, _attempts in claimed] == [case.pk]
    services.case_accept(case_id=case.pk, actor=cast.officer)  # moves requested_at
    # The drain finishing the claimed batch must not drop the newer request.
    pk, _case_id, seen, _attempts = claimed[0]
    assert IndexQueue.objects.filter(pk=pk, requested_at=seen).delete()[0] == 0
    report = outbox.drain(now=now + outbox.LEASE + dt.timedelta(seconds=1))
    assert report.indexed == 1 and queued() == set()


def test_indexed_rows_are_deleted_by_one_statement_that_checks_they_were_not_requested_again(case):
    """A change committed while its case was being indexed moves ``requested_at``: the DELETE itself
    must re-check it. Reading the rows first and deleting them by id (what Django does when any
    post_delete receiver listens to every model) lost such a change: the soak found 2 documents of
    18,021 left in their first state."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        assert outbox.drain().indexed == 1
    deletes = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("DELETE")]
    assert len(deletes) == 1 and "search_indexqueue" in deletes[0] and "requested_at" in deletes[0]
    assert not [
        q
        for q in queries.captured_queries
        if 'FROM "search_indexqueue" WHERE' in q["sql"] and q["sql"].startswith("SELECT")
    ]


def test_with_the_search_service_down_rows_wait_and_the_drain_catches_up_later(case, settings):
    up = settings.SEARCH_URL
    settings.SEARCH_URL = "http://127.0.0.1:9"  # nothing listens on the discard port
    report = outbox.drain()
    assert report.waiting == 1 and report.indexed == 0
    row = IndexQueue.objects.get(case_id=case.pk)
    assert row.attempts == 1 and row.next_attempt_at > timezone.now() and row.last_error
    assert outbox.drain().waiting == 0  # not due yet: nothing is retried at once
    settings.SEARCH_URL = up  # back
    assert outbox.drain(now=timezone.now() + dt.timedelta(hours=2)).indexed == 1
    assert queued() == set()


def test_a_batch_that_outlived_its_lease_leaves_the_rows_another_drain_took_alone(case, monkeypatch):
    """A bulk request slower than the lease: another drain has taken the rows; the first one's failure
    must neither release them nor count an attempt against them."""
    from search import get_backend
    from search.base import SearchUnavailable

    start = timezone.now()
    later = start + outbox.LEASE + dt.timedelta(seconds=1)
    taken_over: list[tuple[int, int, dt.datetime, int]] = []

    def slow_then_down(case_ids: list[int]) -> int:
        taken_over.extend(outbox._claim(later, 10))  # meanwhile, another drain's claim
        raise SearchUnavailable("timed out")

    monkeypatch.setattr(type(get_backend()), "index", lambda self, ids: slow_then_down(ids))
    assert outbox.drain(now=start).waiting == 1
    assert [case_id for _pk, case_id, _seen, _attempts in taken_over] == [case.pk]
    row = IndexQueue.objects.get(case_id=case.pk)
    assert row.lease_until == later + outbox.LEASE and row.attempts == 0 and not row.last_error


def test_once_the_service_answers_again_cases_waiting_out_a_backoff_are_indexed_at_once(
    case, submit, settings
):
    up = settings.SEARCH_URL
    settings.SEARCH_URL = "http://127.0.0.1:9"
    assert outbox.drain().waiting == 1
    waiting = IndexQueue.objects.get(case_id=case.pk)
    assert waiting.next_attempt_at > timezone.now()  # its backoff: 15 s, up to an hour after long outages
    settings.SEARCH_URL = up
    submit(phone="0987 654 321")  # a change after the service came back: due at once
    report = outbox.drain()
    assert report.pulled_forward == 1 and report.indexed == 2 and queued() == set()


def test_a_retried_case_indexed_pulls_the_others_forward_in_any_process(case, submit):
    """The worker process that saw the outage may not be the one that sees the return."""
    other = submit(phone="0987 654 321").petition.case
    now = timezone.now()
    IndexQueue.objects.filter(case_id=case.pk).update(attempts=1, next_attempt_at=now)
    IndexQueue.objects.filter(case_id=other.pk).update(
        attempts=6, next_attempt_at=now + dt.timedelta(hours=1)
    )
    report = outbox.drain(now=now)
    assert report.pulled_forward == 1 and report.indexed == 2 and queued() == set()


def test_a_drain_of_fresh_changes_leaves_a_backoff_alone(case, submit):
    """Nothing says the service was away: no statement spent looking for rows to pull forward."""
    other = submit(phone="0987 654 321").petition.case
    later = timezone.now() + dt.timedelta(minutes=30)
    IndexQueue.objects.filter(case_id=other.pk).update(attempts=3, next_attempt_at=later)
    report = outbox.drain()
    assert report.indexed == 1 and report.pulled_forward == 0 and queued() == {other.pk}


def test_with_the_database_backend_nothing_is_queued(case, cast, settings):
    settings.SEARCH_BACKEND = "database"
    IndexQueue.objects.all().delete()
    services.case_accept(case_id=case.pk, actor=cast.officer)
    assert queued() == set()


def test_notes_change_no_document_and_queue_nothing(case, cast):
    IndexQueue.objects.all().delete()
    services.case_add_note(case_id=case.pk, actor=cast.officer, text="Nội bộ", is_public=False)
    assert queued() == set()


def test_the_drain_command_catches_up_by_hand(case, settings):
    import io

    from django.core.management import call_command

    out = io.StringIO()
    call_command("search_drain", stdout=out)
    assert out.getvalue().strip() == "indexed 1, still waiting 0"
    assert queued() == set()
    assert outbox.next_due() is None
