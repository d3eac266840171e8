"""Plain-language wording of case states and events for citizens: the tracking page, the API and
Open311 say the same."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from routing.models import Case, CaseEvent, CaseState, EventKind


def deadline_words(moment: dt.datetime | None) -> str:
    """'Friday 27/11/2026, 23:59' in the active language."""
    if moment is None:
        return ""
    local = timezone.localtime(moment)
    return formats.date_format(local, "l d/m/Y, H:i")


def status_sentence(case: Case) -> str:
    unit = case.unit.name
    due = deadline_words(case.due_at)
    state = case.state
    late = case.due_at is not None and case.due_at < timezone.now()
    if state == CaseState.SUBMITTED:
        if late:
            return _("Waiting for %(unit)s to review it. This was due by %(due)s and is late.") % {
                "unit": unit,
                "due": due,
            }
        return _("Waiting for %(unit)s to review it, by %(due)s.") % {"unit": unit, "due": due}
    if state == CaseState.IN_PROGRESS:
        if late:
            return _("%(unit)s is handling it. The response was due by %(due)s and is late.") % {
                "unit": unit,
                "due": due,
            }
        return _("%(unit)s is handling it. The response is due by %(due)s.") % {"unit": unit, "due": due}
    if state == CaseState.AWAITING_AGENCY:
        return _("%(unit)s is waiting for input from another agency (%(agency)s).") % {
            "unit": unit,
            "agency": case.agency_name,
        }
    if state == CaseState.AWAITING_CITIZEN:
        return _("%(unit)s has asked you a question (below). Please answer it by %(due)s.") % {
            "unit": unit,
            "due": due,
        }
    if state == CaseState.PENDING_APPROVAL:
        return _("A response has been drafted and is waiting for approval by the leaders of %(unit)s.") % {
            "unit": unit
        }
    if state == CaseState.RESPONDED:
        return _("%(unit)s has responded. Tell us by %(due)s whether this resolved your matter.") % {
            "unit": unit,
            "due": due,
        }
    if state == CaseState.CLOSED:
        return _("This petition is closed.")
    if state == CaseState.REJECTED:
        return _("This petition was not accepted. The reason is shown below.")
    if state == CaseState.DUPLICATE:
        return _("This petition is handled together with an earlier petition on the same matter.")
    return _("You withdrew this petition.")


def files_phrase(data: dict[str, Any]) -> str:
    """``{"photos": 2, "documents": 1}`` → "2 photos and 1 document" (empty without files)."""
    photos, documents = int(data.get("photos") or 0), int(data.get("documents") or 0)
    parts = []
    if photos:
        parts.append(ngettext("%(count)s photo", "%(count)s photos", photos) % {"count": photos})
    if documents:
        parts.append(ngettext("%(count)s document", "%(count)s documents", documents) % {"count": documents})
    if len(parts) == 2:
        return _("%(first)s and %(second)s") % {"first": parts[0], "second": parts[1]}
    return parts[0] if parts else ""


def event_sentence(event: CaseEvent) -> str:
    kind = event.kind
    to_unit = event.to_unit.name if event.to_unit_id and event.to_unit else ""
    if kind == EventKind.ASK_CITIZEN:
        return _(
            "%(unit)s asked you a question. The time to handle your petition stops until you answer."
        ) % {"unit": to_unit}
    if kind == EventKind.CITIZEN_ANSWER:
        files = files_phrase(event.data)
        return _("You answered, with %(files)s.") % {"files": files} if files else _("You answered.")
    if kind == EventKind.CITIZEN_REMINDER:
        return _("Reminder: we are waiting for your answer to the question above.")
    if kind == EventKind.CITIZEN_NO_ANSWER:
        return _("No answer arrived in time: the unit continues with what it has.")
    if kind == EventKind.CITIZEN_INFO:
        files = files_phrase(event.data)
        return (
            _("You added information, with %(files)s.") % {"files": files}
            if files
            else _("You added information.")
        )
    if kind == EventKind.SUBMITTED:
        received = event.data.get("received_at")
        if received:
            # Entered by an officer from a letter, a call or a visit: when the unit received it.
            when = formats.date_format(timezone.localtime(dt.datetime.fromisoformat(received)), "d/m/Y")
            return _("Petition received on %(date)s and sent to %(unit)s.") % {"date": when, "unit": to_unit}
        return _("Petition received and sent to %(unit)s.") % {"unit": to_unit}
    if kind == EventKind.ACCEPT:
        return _("Accepted for handling by %(unit)s.") % {"unit": to_unit}
    if kind == EventKind.REJECT:
        return _("Not accepted.")
    if kind == EventKind.MARK_DUPLICATE:
        return _("Merged with an earlier petition on the same matter.")
    if kind == EventKind.ESCALATE:
        if event.data.get("automatic"):
            return _("Moved up to %(unit)s because it was not reviewed in time.") % {"unit": to_unit}
        return _("Moved up to %(unit)s.") % {"unit": to_unit}
    if kind == EventKind.TRANSFER:
        return _("Transferred to %(unit)s.") % {"unit": to_unit}
    if kind == EventKind.RETURN_DOWN:
        return _("Sent to %(unit)s to handle.") % {"unit": to_unit}
    if kind == EventKind.REFER:
        return _("Referred to %(agency)s for input.") % {"agency": event.data.get("agency", "")}
    if kind == EventKind.EXTEND:
        days = int(event.data.get("days") or 0)
        return ngettext(
            "The deadline was extended by %(days)s working day.",
            "The deadline was extended by %(days)s working days.",
            days,
        ) % {"days": days}
    if kind == EventKind.APPROVE:
        return _("The response was published.")
    if kind == EventKind.CITIZEN_SATISFIED:
        return _("You said the matter was resolved (rating %(rating)s/5).") % {
            "rating": event.data.get("rating")
        }
    if kind == EventKind.CITIZEN_UNSATISFIED:
        return _("You said the matter was not resolved (rating %(rating)s/5); it was reopened.") % {
            "rating": event.data.get("rating")
        }
    if kind == EventKind.AUTO_CLOSE:
        return _("Closed: no feedback was given within the feedback period.")
    if kind == EventKind.WITHDRAW:
        return _("You withdrew the petition.")
    if kind == EventKind.NOTE:
        return _("Message from %(unit)s.") % {"unit": to_unit}
    return str(event.get_kind_display())
