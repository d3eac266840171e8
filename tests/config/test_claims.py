"""``config.claims.claim_rows``: up to ``limit`` rows, whatever plan PostgreSQL picks."""

from __future__ import annotations

import pytest
from django.db import connection

from config.claims import claim_rows
from notifications.models import Notification, Status
from tests.conftest import requires_postgres

pytestmark = pytest.mark.django_db


def _waiting(count: int) -> None:
    Notification.objects.bulk_create(
        Notification(channel="sms", recipient="+84912345678", template="t", body="x", dedupe_key=f"k{i}")
        for i in range(count)
    )


def _claim(limit: int) -> list[Notification]:
    return claim_rows(
        Notification.objects.filter(status=Status.PENDING),
        order_by=("next_attempt_at", "pk"),
        limit=limit,
        assignments={"status": Status.SENDING},
        increment=("attempts",),
    )


def test_a_claim_takes_at_most_its_limit_in_order() -> None:
    _waiting(5)
    first = _claim(2)
    assert len(first) == 2 and [r.attempts for r in first] == [1, 1]
    assert Notification.objects.filter(status=Status.SENDING).count() == 2
    assert len(_claim(10)) == 3


@requires_postgres()
def test_a_claim_takes_at_most_its_limit_when_the_planner_rescans_the_subquery() -> None:
    """A nested loop runs the LIMIT subquery again for each row it joins: each run skipped the rows
    just updated and the statement took them all (the CI's fresh tables planned it so)."""
    _waiting(6)
    with connection.cursor() as cursor:
        for setting in ("enable_hashjoin", "enable_mergejoin", "enable_material", "enable_hashagg"):
            cursor.execute(f"SET LOCAL {setting} = off")
    assert len(_claim(2)) == 2
    assert Notification.objects.filter(status=Status.SENDING).count() == 2
