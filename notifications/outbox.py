"""Writing notification rows with the change that causes them, and draining them.

Enqueue functions run inside the caller's transaction (they only insert rows);
``drain`` runs in the job engine after commit, claims due rows with a lease so
that two drains never send one row twice, sends each through its transport, and
records the outcome: sent, retry later with backoff (temporary failure), or
failed with the reason (permanent failure or too many attempts). The first message a channel
sends after failing pulls that channel's waiting messages forward (the gateway is back: they are
not kept waiting out backoffs of up to four hours); a batch that outlasts most of its lease (a slow
gateway) gives the rest back rather than let another drain send them again.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import hashlib
import logging
import re
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import F, Q
from django.utils import timezone

from config.claims import claim_rows
from notifications import texts
from notifications.models import CITIZEN_EVENT_KINDS, Channel, Notification, Status
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

#: Public status changes citizens are told about (their own actions are not echoed back).
CITIZEN_KINDS = {str(kind.value) for kind in CITIZEN_EVENT_KINDS}

#: Its text holds a one-time code until it is sent.
PHONE_CODE_TEMPLATE = "phone_code"
#: How long a one-time code is valid (``petitions.phones.CODE_TTL`` is this value). Its SMS is not
#: sent after that, and its text is masked: a code the citizen can no longer use is not kept.
PHONE_CODE_TTL = dt.timedelta(minutes=5)
#: What stands in the text for a code that is masked.
MASKED_CODE = "······"
#: A one-time code in a message's text (masked once the message has left).
_ONE_TIME_CODE = re.compile(r"\b[0-9]{6}\b")


def backoff(attempts: int) -> dt.timedelta:
    """1, 2, 4 … minutes after each temporary failure, at most 4 hours."""
    return dt.timedelta(minutes=min(2 ** max(attempts - 1, 0), 240))


def _key(*parts: Any) -> str:
    raw = ":".join(str(p) for p in parts)
    # Recipients are personal data: the key keeps only a digest of them.
    return hashlib.sha256(raw.encode()).hexdigest()


def _rows_for_citizen(
    petition: Any, text: texts.Text, template: str, cause: str, event: Any = None
) -> list[Notification]:
    common = {"petition": petition, "event": event, "template": template, "language": petition.language}
    rows = []
    if not petition.sms_opt_out:
        rows.append(
            Notification(
                channel=Channel.SMS,
                recipient=petition.phone,
                body=text.sms,
                dedupe_key=_key(cause, Channel.SMS, petition.phone),
                **common,
            )
        )
    if petition.email:
        rows.append(
            Notification(
                channel=Channel.EMAIL,
                recipient=petition.email,
                subject=text.subject[:200],
                body=text.email,
                dedupe_key=_key(cause, Channel.EMAIL, petition.email),
                **common,
            )
        )
    return rows


_paused: contextvars.ContextVar[bool] = contextvars.ContextVar("notifications_paused", default=False)


@contextlib.contextmanager
def paused() -> Iterator[None]:
    """Write no notifications inside this block (demo data: its citizens are invented)."""
    token = _paused.set(True)
    try:
        yield
    finally:
        _paused.reset(token)


def enqueue_receipt(*, petition: Any, token: str) -> int:
    """The tracking code and secret link, by SMS (and email), written with the petition."""
    if _paused.get():
        return 0
    text = texts.receipt(code=petition.tracking_code, token=token, language=petition.language)
    rows = _rows_for_citizen(petition, text, "petition_received", f"receipt:{petition.pk}")
    return _insert(rows)


def enqueue_phone_code(*, challenge: Any, code: str, minutes: int, language: str) -> int:
    """The one-time code of a ``petitions.PhoneChallenge`` by SMS, written with the challenge.

    The code is in this row's text until the SMS is sent (the drain then masks it); it is never
    logged.
    """
    petition = challenge.petition
    text = texts.phone_code(
        code=code,
        purpose=challenge.purpose,
        petition_code=petition.tracking_code if petition is not None else "",
        minutes=minutes,
        language=language,
    )
    row = Notification(
        channel=Channel.SMS,
        recipient=challenge.phone,
        template=PHONE_CODE_TEMPLATE,
        language=language,
        body=text.sms,
        petition=petition,
        dedupe_key=_key("phone-code", challenge.pk, challenge.salt),
    )
    return _insert([row])


def _rows_for_cosigners(events: list[Any]) -> list[Notification]:
    """One SMS to each co-signer who asked to hear of the response, when it is published.

    Two queries whatever the count, and one text per petition and language: a petition with
    thousands of co-signers is approved inside the leader's request, under the case's lock.
    """
    from petitions.models import CoSigner, Petition
    from routing.models import EventKind

    published = {event.case.petition_id: event for event in events if event.kind == EventKind.APPROVE}
    if not published:
        return []
    petitions = {
        petition.pk: petition
        for petition in Petition.objects.filter(pk__in=list(published)).only(
            "id", "tracking_code", "consent_publish"
        )
    }
    bodies: dict[tuple[int, str], str] = {}

    def body(petition: Any, language: str) -> str:
        if (petition.pk, language) not in bodies:
            # The published page when the petition is public; else (carried over to an unpublished
            # original) the look-up page, where they follow their own petition.
            url = (
                texts.public_petition_url(petition.tracking_code, language)
                if petition.consent_publish
                else texts.track_page_url(language)
            )
            text = texts.cosigned_response(code=petition.tracking_code, url=url, language=language)
            bodies[(petition.pk, language)] = text.sms
        return bodies[(petition.pk, language)]

    rows = []
    for petition_id, phone, language in (
        CoSigner.objects.filter(petition_id__in=list(published), notify=True)
        .exclude(phone="")
        .order_by("pk")
        .values_list("petition_id", "phone", "language")
    ):
        event, petition = published[petition_id], petitions[petition_id]
        language = language or settings.LANGUAGE_CODE
        rows.append(
            Notification(
                channel=Channel.SMS,
                recipient=phone,
                template="cosign_response",
                language=language,
                body=body(petition, language),
                petition=petition,
                event=event,
                dedupe_key=_key(f"event:{event.pk}", "cosigner", phone),
            )
        )
    return rows


def _tells_citizen(event: Any) -> bool:
    return bool(event.is_public and event.kind in CITIZEN_KINDS and event.actor_kind != "citizen")


STAFF_KINDS = {
    "accept",
    "reassign",
    "reminder",
    "overdue",
    "citizen_answered",
    "citizen_no_answer",
    "citizen_info",
}
#: Staff messages that fall back to the unit's leaders when the case has no assignee.
LEADER_FALLBACK_KINDS = {"reminder", "overdue", "citizen_info"}
#: Citizens' messages whose link opens the petition at once (``texts.signed_case_url``): they are
#: asked to answer, or told that the response is there to read and rate.
SIGNED_LINK_KINDS = {"ask_citizen", "citizen_reminder", "approve"}


def enqueue_for_events(events: Iterable[Any]) -> int:
    """Messages caused by case events, written in the events' transaction.

    Citizens hear about public status changes made by staff or the system; the
    new assignee hears about an assignment; assignees (or, without one, the unit's
    leaders) about reminders and about information the citizen added; assignees and
    leaders about missed deadlines; assignees about the citizen's answer or its absence.
    """
    from routing.models import CaseEvent, EventKind

    if _paused.get():
        return 0
    wanted = [e.pk for e in events if _tells_citizen(e) or e.kind in STAFF_KINDS]
    if not wanted:
        return 0
    loaded = list(
        CaseEvent.objects.filter(pk__in=wanted).select_related(
            "case__petition", "case__assignee", "case__unit", "to_unit", "actor"
        )
    )
    # Leaders of the units with reminders, missed deadlines or the citizen's added information
    # (when no one is assigned), in one query for the whole batch.
    leaders = _leaders_of({e.case.unit_id for e in loaded if e.kind in LEADER_FALLBACK_KINDS})
    rows: list[Notification] = []
    for event in loaded:
        case = event.case
        petition = case.petition
        if _tells_citizen(event):
            unit = event.to_unit.name if event.to_unit else case.unit.name
            note = (
                event.note
                if event.kind in (EventKind.REJECT, EventKind.EXTEND, EventKind.ASK_CITIZEN)
                else ""
            )
            link = (
                texts.signed_case_url(petition.pk, petition.language)
                if event.kind in SIGNED_LINK_KINDS
                else ""
            )
            text = texts.status_change(
                code=petition.tracking_code,
                kind=event.kind,
                unit=unit,
                note=note,
                language=petition.language,
                link=link,
            )
            rows += _rows_for_citizen(petition, text, f"case_{event.kind}", f"event:{event.pk}", event)
        rows += _rows_for_staff(event, case, petition, leaders.get(case.unit_id, []))
    rows += _rows_for_cosigners(loaded)
    return _insert(rows)


def _leaders_of(unit_ids: set[int]) -> dict[int, list[Any]]:
    """Active leaders of each unit, by unit id."""
    from django.contrib.auth.models import User

    from routing.models import LEADING_ROLES

    if not unit_ids:
        return {}
    by_unit: dict[int, list[Any]] = defaultdict(list)
    for user in User.objects.filter(
        membership__unit_id__in=unit_ids, membership__role__in=LEADING_ROLES, is_active=True
    ).select_related("membership"):
        by_unit[user.membership.unit_id].append(user)
    return by_unit


def _rows_for_staff(event: Any, case: Any, petition: Any, leaders: list[Any]) -> list[Notification]:
    from routing.models import EventKind

    recipients: list[Any] = []
    if event.kind in (EventKind.ACCEPT, EventKind.REASSIGN):
        if case.assignee and case.assignee_id != event.actor_id:
            recipients = [case.assignee]
        template = "case_assigned"
    elif event.kind == EventKind.REMINDER:
        recipients = [case.assignee] if case.assignee else leaders
        template = "deadline_reminder"
    elif event.kind == EventKind.OVERDUE:
        recipients = [u for u in [case.assignee, *leaders] if u is not None]
        template = "overdue_alert"
    elif event.kind == EventKind.CITIZEN_ANSWER:
        recipients = [case.assignee] if case.assignee else []
        template = "citizen_answered"
    elif event.kind == EventKind.CITIZEN_NO_ANSWER:
        recipients = [case.assignee] if case.assignee else []
        template = "citizen_unanswered"
    elif event.kind == EventKind.CITIZEN_INFO:
        # Whoever handles the case; before anyone does (or after they left), its unit's leaders.
        recipients = [case.assignee] if case.assignee else leaders
        template = "citizen_info"
    else:
        return []
    due = timezone.localtime(case.due_at).strftime("%d/%m/%Y %H:%M") if case.due_at else ""
    text = texts.staff_message(
        template=template,
        code=petition.tracking_code,
        title=petition.title,
        case_url=f"{texts.base_url()}/office/cases/{case.pk}/",
        due=due,
        added=event.note if event.kind == EventKind.CITIZEN_INFO else "",
    )
    rows = []
    for user in {u.pk: u for u in recipients}.values():
        if not user.email:
            continue
        rows.append(
            Notification(
                channel=Channel.EMAIL,
                recipient=user.email,
                user=user,
                event=event,
                petition=petition,
                template=template,
                subject=text.subject[:200],
                body=text.email,
                dedupe_key=_key(f"event:{event.pk}", Channel.EMAIL, user.pk),
            )
        )
    return rows


def enqueue_alert_digests(alerts: Sequence[Any]) -> int:
    """One e-mail to each leader of each alert's unit, listing that unit's new or grown alerts.

    Written in the caller's transaction (``alerts.services.alerts_notify_leaders``), before it
    records what the leaders were told. Leaders are role ``leader``, active, with an e-mail; each
    reads it in the back-office language they chose, else the site's. The key names every alert at
    its count, so the same digest is written once even by two runs at the same moment.
    """
    from django.contrib.auth.models import User

    from routing.models import Role

    if _paused.get() or not alerts:
        return 0
    by_unit: dict[int, list[Any]] = defaultdict(list)
    for alert in alerts:
        by_unit[alert.unit_id].append(alert)
    leaders = (
        User.objects.filter(
            membership__unit_id__in=list(by_unit), membership__role=Role.LEADER, is_active=True
        )
        .exclude(email="")
        .select_related("membership__unit")
        .order_by("pk")
    )
    rows = []
    texts_by: dict[tuple[int, str], texts.Text] = {}
    for user in leaders:
        unit = user.membership.unit
        unit_alerts = by_unit[unit.pk]
        language = user.membership.language or settings.LANGUAGE_CODE
        if (unit.pk, language) not in texts_by:
            texts_by[unit.pk, language] = texts.alert_digest(
                unit=unit.name, alerts=unit_alerts, language=language
            )
        text = texts_by[unit.pk, language]
        told = ",".join(f"{a.pk}@{a.observed}" for a in sorted(unit_alerts, key=lambda a: a.pk))
        rows.append(
            Notification(
                channel=Channel.EMAIL,
                recipient=user.email,
                user=user,
                template="alert_digest",
                language=language,
                subject=text.subject[:200],
                body=text.email,
                dedupe_key=_key(f"alerts:{told}", Channel.EMAIL, user.pk),
            )
        )
    return _insert(rows)


def _insert(rows: list[Notification]) -> int:
    if not rows:
        return 0
    Notification.objects.bulk_create(rows, ignore_conflicts=True)
    # After commit, wake the drain; if the job engine is down the rows wait for the next one.
    from config.jobs import enqueue_after_commit

    enqueue_after_commit("notifications.drain")
    return len(rows)


# --- the drain ------------------------------------------------------------------------------


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


def _claim(now: dt.datetime, batch_size: int) -> list[Notification]:
    """Take up to ``batch_size`` due rows for this drain only: a lease, in one statement (``config.claims``)."""
    return claim_rows(
        _due(now),
        order_by=("next_attempt_at", "pk"),
        limit=batch_size,
        assignments={"status": Status.SENDING, "lease_until": now + LEASE},
        increment=("attempts",),
    )


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
