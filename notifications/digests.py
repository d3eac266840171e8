"""The deadline sweep's messages, set-based: citizens' per case, staff's in one digest per run.

``enqueue_for_swept`` runs inside each sweep batch's transaction (``routing.signals.
case_events_swept``) and writes, for the whole batch, with a handful of statements whatever its
size:

- the citizens' SMS and e-mails about public changes (escalated, closed automatically, reminded of
  a question, handled without their answer), one per case and channel as
  ``notifications.outbox.enqueue_for_events`` writes them (same texts, same deduplication keys):
  each citizen is a different person;
- the assignee's e-mail when a case comes back without the citizen's answer (rare, and to act on);
- a ``DigestEntry`` per staff member and case they are to hear of (one ``INSERT ... SELECT``):
  a case that became overdue (its assignee and its unit's leaders), that was escalated to a unit
  (that unit's leaders), or is due within a working day (its assignee, else its unit's leaders).
  Only members of the case's own unit: nobody hears of a case outside their jurisdiction.

``digests_send`` runs when the sweep has finished (``routing.signals.sweep_finished``): it takes
every waiting entry (deleting them) and writes one e-mail per person listing their cases, up to
``DIGEST_LIMIT`` per section with the count and a link to the inbox. Entries left by a run that
died are in the next run's digest, and two runs at once never tell one entry twice.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import ngettext

from notifications import texts
from notifications.models import Channel, DigestEntry, Notification, Status
from notifications.outbox import CITIZEN_KINDS, SIGNED_LINK_KINDS, _key, _paused

#: Cases listed per section of a digest; the rest are counted, and the inbox lists them.
DIGEST_LIMIT = 10
#: The digest's sections, in its order.
DIGEST_KINDS = ("overdue", "escalate", "reminder")

_NOTIFICATION_COLUMNS = (
    "channel",
    "recipient",
    "template",
    "language",
    "subject",
    "body",
    "petition_id",
    "event_id",
    "user_id",
    "dedupe_key",
    "status",
    "attempts",
    "last_error",
    "next_attempt_at",
    "created_at",
)


def _chunks(rows: Sequence[Any], width: int) -> list[Sequence[Any]]:
    """Rows per statement: as many as the database takes parameters (65,535 at most)."""
    limit = min(connection.features.max_query_params or 65535, 65535)
    size = max(1, limit // width)
    return [rows[i : i + size] for i in range(0, len(rows), size)]


def _insert_notifications(rows: list[tuple[Any, ...]]) -> int:
    """Multi-row ``INSERT``s of (channel, recipient, template, language, subject, body, petition,
    event, user, dedupe key); a key already written is skipped, as ``bulk_create(ignore_conflicts)``."""
    if not rows:
        return 0
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    table = connection.ops.quote_name(Notification._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(c) for c in _NOTIFICATION_COLUMNS)
    one = "(" + ", ".join(["%s"] * len(_NOTIFICATION_COLUMNS)) + ")"
    for part in _chunks(rows, len(_NOTIFICATION_COLUMNS)):
        params: list[Any] = []
        for row in part:
            params += [*row, Status.PENDING.value, 0, "", now, now]
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} ({columns}) VALUES {', '.join([one] * len(part))} "  # noqa: S608
                "ON CONFLICT DO NOTHING",
                params,
            )
    # After commit, wake the drain; if the job engine is down the rows wait for the next one.
    from config.jobs import enqueue_after_commit

    enqueue_after_commit("notifications.drain")
    return len(rows)


# --- in the batch ---------------------------------------------------------------------------


def enqueue_for_swept(events: Sequence[Any]) -> int:
    """The batch's citizens' messages, the assignees' unanswered-question e-mails and digest entries.

    ``events`` are ``routing.sweep.SweptEvent`` tuples. Returns how many notification rows it wrote
    (digest entries are not counted: they become one e-mail per person at the end of the run).
    """
    if _paused.get() or not events:
        return 0
    rows = _citizen_rows([e for e in events if e.is_public and e.kind in CITIZEN_KINDS])
    rows += _unanswered_rows([e for e in events if e.kind == "citizen_no_answer"])
    _digest_entries([e for e in events if e.kind in DIGEST_KINDS])
    return _insert_notifications(rows)


def _citizen_rows(events: Sequence[Any]) -> list[tuple[Any, ...]]:
    from routing.models import Case

    if not events:
        return []
    cases = {
        row[0]: row[1:]
        for row in Case.objects.filter(pk__in=[e.case_id for e in events]).values_list(
            "pk",
            "petition_id",
            "petition__tracking_code",
            "petition__language",
            "petition__phone",
            "petition__sms_opt_out",
            "petition__email",
            "unit__name",
        )
    }
    # The text of a kind, language and unit, with a stand-in of the code's length for the code:
    # rendering (translations, folding) once per combination, not once per case.
    templates: dict[tuple[str, str, str, int], texts.Text] = {}
    rows: list[tuple[Any, ...]] = []
    for event in events:
        petition_id, code, language, phone, sms_opt_out, email, unit = cases[event.case_id]
        if event.kind in SIGNED_LINK_KINDS:  # a link of its own: rendered for this petition
            text = texts.status_change(
                code=code,
                kind=event.kind,
                unit=unit,
                note="",
                language=language,
                link=texts.signed_case_url(petition_id, language),
            )
        else:
            key = (event.kind, language, unit, len(code))
            if key not in templates:
                templates[key] = texts.status_change(
                    code="\x1f" * len(code), kind=event.kind, unit=unit, note="", language=language
                )
            stand_in = "\x1f" * len(code)
            template = templates[key]
            text = texts.Text(
                sms=template.sms.replace(stand_in, code),
                subject=template.subject.replace(stand_in, code),
                email=template.email.replace(stand_in, code),
            )
        cause = f"event:{event.id}"
        common = (f"case_{event.kind}", language)
        if not sms_opt_out:
            rows.append(
                (
                    Channel.SMS.value,
                    phone,
                    *common,
                    "",
                    text.sms,
                    petition_id,
                    event.id,
                    None,
                    _key(cause, Channel.SMS, phone),
                )
            )
        if email:
            rows.append(
                (
                    Channel.EMAIL.value,
                    email,
                    *common,
                    text.subject[:200],
                    text.email,
                    petition_id,
                    event.id,
                    None,
                    _key(cause, Channel.EMAIL, email),
                )
            )
    return rows


def _unanswered_rows(events: Sequence[Any]) -> list[tuple[Any, ...]]:
    """The assignee hears that the case is back without the citizen's answer (one e-mail a case)."""
    from routing.models import Case

    if not events:
        return []
    by_case = {e.case_id: e for e in events}
    rows: list[tuple[Any, ...]] = []
    for pk, petition_id, code, title, due_at, user_id, email in Case.objects.filter(
        pk__in=list(by_case), assignee__isnull=False
    ).values_list(
        "pk",
        "petition_id",
        "petition__tracking_code",
        "petition__title",
        "due_at",
        "assignee_id",
        "assignee__email",
    ):
        if not email:
            continue
        text = texts.staff_message(
            template="citizen_unanswered",
            code=code,
            title=title,
            case_url=f"{texts.base_url()}/office/cases/{pk}/",
            due=timezone.localtime(due_at).strftime("%d/%m/%Y %H:%M") if due_at else "",
        )
        event = by_case[pk]
        rows.append(
            (
                Channel.EMAIL.value,
                email,
                "citizen_unanswered",
                settings.LANGUAGE_CODE,
                text.subject[:200],
                text.email,
                petition_id,
                event.id,
                user_id,
                _key(f"event:{event.id}", Channel.EMAIL, user_id),
            )
        )
    return rows


def _digest_entries(events: Sequence[Any]) -> None:
    """Who hears of each case in their digest: one ``INSERT ... SELECT`` for the batch.

    Members of the case's unit only (the unit it is at after the event): its leaders for overdue
    and escalated cases, and for a reminder when no member of the unit is assigned; the assignee
    for overdue marks and reminders. Active, with an e-mail.
    """
    from django.contrib.auth.models import User

    from routing.models import LEADING_ROLES, Case, CaseEvent, Membership

    if not events:
        return
    q = connection.ops.quote_name
    entry, event, case = (q(m._meta.db_table) for m in (DigestEntry, CaseEvent, Case))
    member, user = q(Membership._meta.db_table), q(User._meta.db_table)
    ids = ", ".join(["%s"] * len(events))
    leaders = ", ".join(["%s"] * len(LEADING_ROLES))
    sql = f"""
        INSERT INTO {entry} (user_id, case_id, event_id, kind, due_at, created_at)
        SELECT m.user_id, e.case_id, e.id, e.kind, c.due_at, %s
        FROM {event} e
        JOIN {case} c ON c.id = e.case_id
        JOIN {member} m ON m.unit_id = c.unit_id
        JOIN {user} u ON u.id = m.user_id
        WHERE e.id BETWEEN %s AND %s AND e.id IN ({ids}) AND u.is_active AND u.email <> '' AND (
            (m.user_id = c.assignee_id AND e.kind IN ('overdue', 'reminder'))
            OR (m.role IN ({leaders}) AND (
                e.kind IN ('overdue', 'escalate')
                OR (e.kind = 'reminder' AND NOT EXISTS (
                    SELECT 1 FROM {member} a WHERE a.user_id = c.assignee_id AND a.unit_id = c.unit_id
                ))
            ))
        )
        ON CONFLICT DO NOTHING
    """  # noqa: S608 - names from the models, values as parameters
    # The range as well as the list: the planner estimates a range well, and scans the batch's
    # stretch of the primary key instead of the whole table for a long list.
    event_ids = [e.id for e in events]
    params = [
        connection.ops.adapt_datetimefield_value(timezone.now()),
        min(event_ids),
        max(event_ids),
        *event_ids,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, *sorted(str(r) for r in LEADING_ROLES)])


# --- at the end of the run ------------------------------------------------------------------


def digests_send() -> int:
    """One e-mail per staff member listing the cases of every waiting digest entry; returns how many.

    The entries are deleted in the transaction that writes the e-mails: a second run at the same
    moment waits for this one and then finds them gone.
    """
    from django.contrib.auth.models import User

    from routing.models import Case

    if _paused.get():
        return 0
    table = connection.ops.quote_name(DigestEntry._meta.db_table)
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {table} RETURNING id, user_id, case_id, kind, due_at")  # noqa: S608
            entries = cursor.fetchall()
        if not entries:
            return 0
        # user → kind → [(due, case, entry)]
        found: dict[int, dict[str, list[tuple[Any, int, int]]]] = defaultdict(lambda: defaultdict(list))
        for pk, user_id, case_id, kind, due_at in entries:
            found[user_id][kind].append((due_at, case_id, pk))
        listed: set[int] = set()
        for sections in found.values():
            for items in sections.values():
                # Soonest (most overdue) first; a case without a deadline last.
                items.sort(key=lambda item: (item[0] is None, item[0] if item[0] is not None else 0, item[1]))
                listed.update(case_id for _due, case_id, _pk in items[:DIGEST_LIMIT])
        cases = {
            row[0]: row[1:]
            for row in Case.objects.filter(pk__in=listed).values_list(
                "pk", "petition__tracking_code", "petition__title", "due_at", "unit__name"
            )
        }
        rows: list[tuple[Any, ...]] = []
        for user_id, email, language in (
            User.objects.filter(pk__in=list(found), is_active=True)
            .exclude(email="")
            .values_list("pk", "email", "membership__language")
            .order_by("pk")
        ):
            language = language or settings.LANGUAGE_CODE
            subject, body = _digest_text(found[user_id], cases, language)
            entry_ids = [pk for items in found[user_id].values() for _due, _case, pk in items]
            rows.append(
                (
                    Channel.EMAIL.value,
                    email,
                    "sweep_digest",
                    language,
                    subject[:200],
                    body,
                    None,
                    None,
                    user_id,
                    _key(
                        f"sweep-digest:{min(entry_ids)}-{max(entry_ids)}:{len(entry_ids)}",
                        Channel.EMAIL,
                        user_id,
                    ),
                )
            )
        return _insert_notifications(rows)


def _digest_text(
    sections: dict[str, list[tuple[Any, int, int]]], cases: dict[int, tuple[Any, ...]], language: str
) -> tuple[str, str]:
    headings = {
        "overdue": lambda n: ngettext("%(count)s case became overdue", "%(count)s cases became overdue", n),
        "escalate": lambda n: ngettext(
            "%(count)s case was escalated to your unit", "%(count)s cases were escalated to your unit", n
        ),
        "reminder": lambda n: ngettext(
            "%(count)s case is due within a working day", "%(count)s cases are due within a working day", n
        ),
    }
    with translation.override(language):
        blocks = []
        total = 0
        for kind in DIGEST_KINDS:
            items = sections.get(kind, [])
            if not items:
                continue
            total += len(items)
            lines = []
            for _due, case_id, _pk in items[:DIGEST_LIMIT]:
                code, title, due_at, unit = cases[case_id]
                due = timezone.localtime(due_at).strftime("%d/%m/%Y %H:%M") if due_at else ""
                lines.append(
                    {
                        "code": code,
                        "title": title,
                        "unit": unit,
                        "due": due,
                        "url": f"{texts.base_url()}/office/cases/{case_id}/",
                    }
                )
            blocks.append(
                {
                    "kind": kind,
                    "heading": headings[kind](len(items)) % {"count": len(items)},
                    "cases": lines,
                    "more": len(items) - len(lines),
                }
            )
        subject = ngettext(
            "Deadlines: %(count)s case needs your attention",
            "Deadlines: %(count)s cases need your attention",
            total,
        ) % {"count": total}
        body = render_to_string(
            "notifications/email/sweep_digest.txt",
            {
                "sections": blocks,
                "overdue_url": texts.office_url("?tab=overdue", language),
                "inbox_url": texts.office_url("", language),
            },
        )
        return subject, body.strip() + "\n"
