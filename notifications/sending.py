"""Sending the notification rows the outbox wrote (``notifications.outbox``).

``drain`` runs in the job engine after commit, claims due rows with a lease so that two drains
never send one row twice, sends each through its transport, and records the outcome: sent, retry
later with backoff (temporary failure), or failed with the reason (permanent failure or too many
attempts). The first message a channel takes after being away (``ChannelDown``) pulls that
channel's waiting messages forward (the gateway is back: they are not kept waiting out backoffs of
up to four hours); a batch that outlasts most of its lease (a slow gateway) gives the rest back
rather than let another drain send them again.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import F, Q
from django.utils import timezone

from config.claims import claim_rows
from notifications.models import Channel, Notification, Status
from notifications.outbox import PHONE_CODE_TEMPLATE, PHONE_CODE_TTL
from notifications.transports import ChannelDown, Message, PermanentFailure, TemporaryFailure
from notifications.transports.email import send_email
from notifications.transports.sms import send_sms

logger = logging.getLogger(__name__)

LEASE = dt.timedelta(minutes=5)
MAX_ATTEMPTS = 8
BATCH_SIZE = 100
#: A batch still sending this long before its lease ends gives the rest back (at least three
#: times the transports' timeouts, ``SMS_GATEWAY_TIMEOUT`` and ``EMAIL_TIMEOUT``).
LEASE_MARGIN = dt.timedelta(minutes=1)
#: A channel's waiting messages are pulled forward at most this often by one process.
PULL_EVERY = 60.0
#: How ``last_error`` starts when the channel itself was away (``ChannelDown``).
CHANNEL_DOWN = "unavailable: "

#: Channels this process saw away since it last sent a message through them.
_seen_failing: set[str] = set()
#: When this process last pulled each channel's messages forward (``time.monotonic``).
_last_pull: dict[str, float] = {}

#: What stands in the text for a code that is masked.
MASKED_CODE = "······"
#: A one-time code in a message's text (masked once the message has left).
_ONE_TIME_CODE = re.compile(r"\b[0-9]{6}\b")


def backoff(attempts: int) -> dt.timedelta:
    """1, 2, 4 … minutes after each temporary failure, at most 4 hours."""
    return dt.timedelta(minutes=min(2 ** max(attempts - 1, 0), 240))


@dataclass
class DrainReport:
    claimed: int = 0
    sent: int = 0
    retried: int = 0
    failed: int = 0
    #: One-time codes not sent in time, cancelled unsent (``phone_codes_expire``).
    expired: int = 0
    #: Messages waiting out a backoff made due again, their channel working again.
    pulled_forward: int = 0
    #: Claimed but given back unsent before the batch's lease ran out.
    released: int = 0


def _due(now: dt.datetime) -> Any:
    return Notification.objects.filter(
        Q(status=Status.PENDING, next_attempt_at__lte=now) | Q(status=Status.SENDING, lease_until__lt=now)
    )


def _codes_due(now: dt.datetime) -> Any:
    # ``status__in`` repeated for SQLite's planner: the codes' partial index holds exactly these rows.
    return _due(now).filter(template=PHONE_CODE_TEMPLATE, status__in=[Status.PENDING, Status.SENDING])


def _claim(now: dt.datetime, batch_size: int) -> list[Notification]:
    """Take up to ``batch_size`` due rows for this drain only: a lease, in one statement each
    (``config.claims``). One-time codes first: a code works for five minutes, and after an outage
    the messages pulled forward (thousands, at the gateway's pace) would otherwise go before it."""
    claimed: list[Notification] = []
    for due in (_codes_due(now), _due(now)):
        claimed += claim_rows(
            due,
            order_by=("next_attempt_at", "pk"),
            limit=batch_size - len(claimed),
            assignments={"status": Status.SENDING, "lease_until": now + LEASE},
            increment=("attempts",),
        )
        if len(claimed) == batch_size:
            break
    return claimed


_SECRET_LINK = re.compile(r"/t/[A-Za-z0-9_-]{20,}/")
_SIGNED_LINK = re.compile(r"/t/s/[A-Za-z0-9_.:-]+/")


def _back(row: Notification) -> bool:
    """Whether sending ``row`` shows its channel back after being away: this process saw it away,
    or ``row`` had failed because it was. At most once a minute per channel and process."""
    if row.channel not in _seen_failing and not (
        row.attempts > 1 and row.last_error.startswith(CHANNEL_DOWN)
    ):
        return False
    _seen_failing.discard(row.channel)
    if time.monotonic() - _last_pull.get(row.channel, -PULL_EVERY) < PULL_EVERY:
        return False
    _last_pull[row.channel] = time.monotonic()
    return True


def _pull_forward(channel: str, now: dt.datetime) -> int:
    """The channel works again: its messages waiting out a backoff are due now. Not those whose next
    attempt is one of their last two: a gateway that comes and goes must not use them all up."""
    return Notification.objects.filter(
        status=Status.PENDING,
        channel=channel,
        next_attempt_at__gt=now,
        attempts__gte=1,
        attempts__lte=MAX_ATTEMPTS - 3,
    ).update(next_attempt_at=now)


def _send_budget() -> float:
    """Seconds a batch may spend sending before it gives the rest back."""
    timeout = max(settings.SMS_GATEWAY_TIMEOUT, settings.EMAIL_TIMEOUT)
    return (LEASE - max(LEASE_MARGIN, dt.timedelta(seconds=3 * timeout))).total_seconds()


def _release(rows: list[Notification]) -> int:
    """Give a batch's unsent rows back before its lease ends; the attempt they never had not counted."""
    return Notification.objects.filter(
        pk__in=[r.pk for r in rows], status=Status.SENDING, lease_until=rows[0].lease_until
    ).update(status=Status.PENDING, lease_until=None, attempts=F("attempts") - 1)


def _kept_body(row: Notification) -> str:
    """What is kept of a message's text once it has left: no secret or signed link, no one-time code."""
    body = _SECRET_LINK.sub("/t/…/", _SIGNED_LINK.sub("/t/s/…/", row.body))
    if row.template == PHONE_CODE_TEMPLATE:
        body = _ONE_TIME_CODE.sub(MASKED_CODE, body)
    return body


def phone_codes_expire(*, now: dt.datetime, since: dt.datetime | None = None) -> int:
    """Cancel the one-time codes still waiting to be sent ``PHONE_CODE_TTL`` after they were written.

    Their code no longer works, so they are not sent, and their text is masked as if they had been
    (the drain does this on each run; the daily purge, ``petitions.phones.phone_challenges_purge``,
    with ``since``, as a backstop). Rows being sent under a live lease are left to their drain.
    Returns how many were cancelled.
    """
    waiting = Notification.objects.filter(
        Q(status=Status.PENDING) | Q(status=Status.SENDING, lease_until__lt=now),
        # Repeated for the planner: the drain's partial index holds exactly these rows.
        status__in=[Status.PENDING, Status.SENDING],
        template=PHONE_CODE_TEMPLATE,
        created_at__lt=now - PHONE_CODE_TTL,
    )
    if since is not None:
        waiting = waiting.filter(created_at__gte=since)
    cancelled = 0
    for row in waiting.order_by().only("pk", "template", "body"):
        # The status condition again: a drain may have claimed the row since it was read.
        cancelled += Notification.objects.filter(
            Q(status=Status.PENDING) | Q(status=Status.SENDING, lease_until__lt=now), pk=row.pk
        ).update(
            status=Status.FAILED,
            last_error="cancelled: the code expired before it was sent",
            lease_until=None,
            body=_kept_body(row),
        )
    return cancelled


def _send(row: Notification) -> None:
    message = Message(
        to=row.recipient, body=row.body, subject=row.subject, reference=f"notification-{row.pk}"
    )
    if row.channel == Channel.SMS:
        send_sms(message)
    else:
        send_email(message)


def _finish(row: Notification, **fields: Any) -> None:
    """Record the outcome only if the lease is still ours (a slow drain never overwrites a newer one)."""
    Notification.objects.filter(pk=row.pk, status=Status.SENDING, lease_until=row.lease_until).update(
        **fields
    )


def drain(
    *, batch_size: int = BATCH_SIZE, now: dt.datetime | None = None, max_batches: int = 50
) -> DrainReport:
    """Send due notifications in batches until none is left (or ``max_batches``)."""
    report = DrainReport()
    report.expired = phone_codes_expire(now=now or timezone.now())
    budget = _send_budget()
    for _batch in range(max_batches):
        moment = now or timezone.now()
        batch_started = time.monotonic()  # the lease runs from ``moment``
        rows = _claim(moment, batch_size)
        if not rows:
            break
        report.claimed += len(rows)
        last_batch = len(rows) < batch_size
        for index, row in enumerate(rows):
            # One send at least per batch, whatever the timeouts.
            if index and time.monotonic() - batch_started > budget:
                report.released += _release(rows[index:])
                last_batch = False
                break
            try:
                _send(row)
            except PermanentFailure as exc:
                report.failed += 1
                _finish(
                    row,
                    status=Status.FAILED,
                    last_error=str(exc)[:500],
                    lease_until=None,
                    body=_kept_body(row),
                )
                logger.warning("notification %s failed permanently", row.pk)
            except Exception as exc:  # temporary failures and anything unexpected: retry later
                if isinstance(exc, ChannelDown):
                    _seen_failing.add(row.channel)
                    kind = CHANNEL_DOWN[:-2]
                else:
                    kind = "temporary" if isinstance(exc, TemporaryFailure) else type(exc).__name__
                if row.attempts >= MAX_ATTEMPTS:
                    report.failed += 1
                    _finish(
                        row,
                        status=Status.FAILED,
                        last_error=f"{kind}: {exc}"[:500],
                        lease_until=None,
                        body=_kept_body(row),
                    )
                else:
                    report.retried += 1
                    retry_at = timezone.now() + backoff(row.attempts)
                    if row.template == PHONE_CODE_TEMPLATE:
                        # Wake the drain when the code expires at the latest: it then cancels it.
                        retry_at = min(retry_at, row.created_at + PHONE_CODE_TTL)
                    _finish(
                        row,
                        status=Status.PENDING,
                        last_error=f"{kind}: {exc}"[:500],
                        next_attempt_at=retry_at,
                        lease_until=None,
                    )
                logger.info("notification %s will be retried (%s)", row.pk, kind)
            else:
                report.sent += 1
                # The secret tracking link is not kept once it has been delivered.
                _finish(
                    row,
                    status=Status.SENT,
                    sent_at=timezone.now(),
                    last_error="",
                    lease_until=None,
                    body=_kept_body(row),
                )
                if _back(row):
                    forward = _pull_forward(row.channel, moment)
                    if forward:
                        report.pulled_forward += forward
                        last_batch = False
                        logger.info("%s sends again: %s waiting messages due now", row.channel, forward)
        if last_batch:  # fewer were due than a batch: none is left (a later change queues a run)
            break
    return report


def next_due() -> dt.datetime | None:
    """When the next message waiting to be sent is due (None when nothing waits)."""
    first: dt.datetime | None = (
        Notification.objects.filter(status=Status.PENDING)
        .order_by("next_attempt_at")
        .values_list("next_attempt_at", flat=True)
        .first()
    )
    return first
