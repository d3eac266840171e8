"""The SMS of a one-time code: never shown in the admin, never sent or kept once the code expired."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from notifications import outbox, sending
from notifications.models import Notification, Status
from notifications.transports import TemporaryFailure
from notifications.transports.sms import LocmemSmsBackend
from petitions import phones
from tests.conftest import requires_postgres

pytestmark = pytest.mark.django_db

CODE = "402931"


def code_sms(*, age: dt.timedelta = dt.timedelta(0), key: str = "code", **fields: Any) -> Notification:
    row = Notification.objects.create(
        channel="sms",
        recipient="+84912345678",
        template=outbox.PHONE_CODE_TEMPLATE,
        body=f"{CODE} la ma xem phan anh cua ban. Het han sau 5 phut.",
        dedupe_key=key,
        **fields,
    )
    Notification.objects.filter(pk=row.pk).update(created_at=timezone.now() - age)
    row.refresh_from_db()
    return row


def test_the_admin_never_shows_the_text_of_a_one_time_code(client: Any, cast: Any) -> None:
    row = code_sms()
    other = Notification.objects.create(
        channel="sms",
        recipient="+84987654321",
        template="case_accept",
        body="Phan anh PA.26 da duoc tiep nhan",
        dedupe_key="o",
    )
    client.force_login(cast.superuser)
    listing = client.get(reverse("admin:notifications_notification_changelist")).content.decode()
    detail = client.get(reverse("admin:notifications_notification_change", args=[row.pk])).content.decode()
    assert CODE not in listing and CODE not in detail
    assert "(mã dùng một lần được ẩn)" in detail
    # Other messages show their text.
    shown = client.get(reverse("admin:notifications_notification_change", args=[other.pk])).content.decode()
    assert "Phan anh PA.26 da duoc tiep nhan" in shown


def test_the_drain_does_not_send_a_code_that_expired_and_masks_it() -> None:
    late = code_sms(age=phones.CODE_TTL + dt.timedelta(seconds=30), key="late")
    retrying = code_sms(
        age=phones.CODE_TTL + dt.timedelta(minutes=2),
        key="retrying",
        next_attempt_at=timezone.now() + dt.timedelta(hours=2),
    )
    fresh = code_sms(age=dt.timedelta(minutes=1), key="fresh")
    report = sending.drain()
    assert report.expired == 2 and report.sent == 1
    assert [message.reference for message in LocmemSmsBackend.outbox] == [f"notification-{fresh.pk}"]
    for row in Notification.objects.filter(pk__in=[late.pk, retrying.pk]):
        assert row.status == Status.FAILED and "expired" in row.last_error
        assert CODE not in row.body and row.body.startswith(sending.MASKED_CODE)


def test_a_code_being_sent_under_a_live_lease_is_left_to_its_drain() -> None:
    held = code_sms(
        age=phones.CODE_TTL + dt.timedelta(minutes=1),
        status=Status.SENDING,
        lease_until=timezone.now() + dt.timedelta(minutes=3),
    )
    assert sending.phone_codes_expire(now=timezone.now()) == 0
    assert Notification.objects.get(pk=held.pk).status == Status.SENDING


def test_a_code_that_fails_for_now_is_retried_at_the_latest_when_it_expires(monkeypatch: Any) -> None:
    def down(self: Any, message: Any) -> None:
        raise TemporaryFailure("gateway down")

    monkeypatch.setattr(LocmemSmsBackend, "send", down)
    row = code_sms(age=dt.timedelta(minutes=4), attempts=3)  # the next backoff would be 8 minutes
    sending.drain()
    retried = Notification.objects.get(pk=row.pk)
    assert retried.status == Status.PENDING
    assert retried.next_attempt_at <= retried.created_at + phones.CODE_TTL
    # At that moment the drain cancels it rather than send a code that no longer works.
    report = sending.drain(now=retried.created_at + phones.CODE_TTL + dt.timedelta(seconds=1))
    assert report.expired == 1 and report.claimed == 0
    assert CODE not in Notification.objects.get(pk=row.pk).body


@requires_postgres()
def test_the_purge_reads_one_time_codes_through_their_partial_index() -> None:
    now = timezone.now()
    cutoff = now - phones.KEEP_EXPIRED
    query = Notification.objects.filter(
        template=outbox.PHONE_CODE_TEMPLATE,
        created_at__gte=cutoff - phones.PURGE_WINDOW,
        created_at__lt=cutoff,
    ).exclude(recipient="")
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        sql, params = query.query.sql_with_params()
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(line for (line,) in cursor.fetchall())
    assert "notification_phone_code_idx" in plan


def test_a_code_is_sent_before_a_backlog_pulled_forward_ahead_of_it() -> None:
    """After an outage thousands of messages are due at once; a code written then lives five minutes."""
    now = timezone.now()
    Notification.objects.bulk_create(
        Notification(
            channel="sms",
            recipient=f"+849123456{i:02d}",
            template="t",
            body="x",
            dedupe_key=f"backlog-{i}",
            attempts=3,
            next_attempt_at=now - dt.timedelta(minutes=1),
        )
        for i in range(5)
    )
    code = code_sms()
    LocmemSmsBackend.outbox.clear()
    report = sending.drain(batch_size=2, max_batches=1)
    assert report.sent == 2
    assert LocmemSmsBackend.outbox[0].reference == f"notification-{code.pk}"
    assert Notification.objects.get(pk=code.pk).status == Status.SENT


def test_codes_filling_a_batch_leave_the_other_messages_for_the_next() -> None:
    other = Notification.objects.create(
        channel="sms", recipient="+84912345678", template="t", body="x", dedupe_key="other"
    )
    codes = [code_sms(key=f"code-{i}") for i in range(2)]
    LocmemSmsBackend.outbox.clear()
    assert sending.drain(batch_size=2, max_batches=1).sent == 2
    assert {m.reference for m in LocmemSmsBackend.outbox} == {f"notification-{c.pk}" for c in codes}
    assert Notification.objects.get(pk=other.pk).status == Status.PENDING


def test_a_drain_without_codes_waiting_sends_the_rest_in_their_order() -> None:
    now = timezone.now()
    first, _second = (
        Notification.objects.create(
            channel="sms",
            recipient="+84912345678",
            template="t",
            body="x",
            dedupe_key=key,
            next_attempt_at=now - dt.timedelta(minutes=minutes),
        )
        for key, minutes in (("first", 2), ("second", 1))
    )
    LocmemSmsBackend.outbox.clear()
    assert sending.drain(batch_size=1, max_batches=1).sent == 1
    assert LocmemSmsBackend.outbox[0].reference == f"notification-{first.pk}"


@requires_postgres()
def test_the_drain_finds_waiting_codes_through_their_partial_index() -> None:
    due = sending._codes_due(timezone.now()).order_by("next_attempt_at", "pk")
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        sql, params = due.values_list("pk")[:100].query.sql_with_params()
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(line for (line,) in cursor.fetchall())
    assert "notification_code_due_idx" in plan
