"""Writing notification rows with the change that causes them.

Enqueue functions run inside the caller's transaction (they only insert rows) and wake the drain
after commit (``notifications.sending.drain``, in the job engine), which sends them.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import hashlib
import logging
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from django.conf import settings
from django.utils import timezone

from notifications import texts
from notifications.models import CITIZEN_EVENT_KINDS, Channel, Notification

logger = logging.getLogger(__name__)

#: Public status changes citizens are told about (their own actions are not echoed back).
CITIZEN_KINDS = {str(kind.value) for kind in CITIZEN_EVENT_KINDS}

#: Its text holds a one-time code until it is sent.
PHONE_CODE_TEMPLATE = "phone_code"
#: How long a one-time code is valid (``petitions.phones.CODE_TTL`` is this value). Its SMS is not
#: sent after that, and its text is masked: a code the citizen can no longer use is not kept.
PHONE_CODE_TTL = dt.timedelta(minutes=5)


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
