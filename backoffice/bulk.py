"""Bulk actions from the inbox: one action on many cases, each case through its own service call.

A checked row posts ``<case pk>:<case version>``. Every case then runs in its
own transaction with that version as ``expected_version``, so a case that
changed since the inbox was drawn is reported as a conflict, never acted on
blindly, and one refused case never stops the others.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from backoffice.access import staff_required
from petitions.forms import add_service_errors
from routing import services
from routing.actions import OfficerChoiceField, officers_of, original_case_id
from routing.errors import CaseActionForbidden, CaseConflict, TransitionNotPossible
from routing.models import Case, CaseState, membership_of
from routing.selectors import cases_actionable_by, cases_visible_to
from routing.services import NOTE_MAX_LENGTH

logger = logging.getLogger(__name__)

MAX_CASES = 100

_CASE_VERSION = re.compile(r"([0-9]{1,18}):([0-9]{1,9})")


class CaseVersionsField(forms.Field):
    """The checked rows, ``<case pk>:<case version>`` each, as {case pk: version} in the order posted."""

    widget = forms.MultipleHiddenInput
    default_error_messages = {
        "required": gettext_lazy("Select at least one case."),
        "invalid": gettext_lazy("The selection could not be read. Go back to the inbox and select again."),
    }

    def to_python(self, value: Any) -> dict[int, int]:
        if not value:
            return {}
        if not isinstance(value, list | tuple):
            value = [value]
        if len(value) > MAX_CASES:
            # Refuse before parsing: the cap is also what bounds the work of one request.
            raise ValidationError(
                _("Select at most %(limit)s cases at a time (you selected %(count)s).")
                % {"limit": MAX_CASES, "count": len(value)},
                code="too_many",
            )
        selected: dict[int, int] = {}
        for item in value:
            match = _CASE_VERSION.fullmatch(str(item))
            if match is None:
                raise ValidationError(self.error_messages["invalid"], code="invalid")
            selected.setdefault(int(match[1]), int(match[2]))
        return selected


ACTION_CHOICES = [
    ("", gettext_lazy("Choose an action")),
    ("assign", gettext_lazy("Accept and assign, or reassign")),
    ("escalate", gettext_lazy("Escalate to the level above")),
    ("mark_duplicate", gettext_lazy("Mark as duplicates of one petition")),
]


class BulkForm(forms.Form):
    """What to do with the checked cases of the inbox, and the one argument that action needs."""

    cases = CaseVersionsField(label=gettext_lazy("Cases"))
    action = forms.ChoiceField(label=gettext_lazy("Action"), choices=ACTION_CHOICES)
    assignee = OfficerChoiceField(
        label=gettext_lazy("Assign to"),
        queryset=User.objects.none(),
        required=False,
        empty_label=gettext_lazy("Choose an officer"),
        help_text=gettext_lazy(
            "Submitted cases are accepted and assigned; cases in progress are reassigned (leaders only)."
        ),
    )
    original = forms.CharField(
        label=gettext_lazy("Tracking code of the original petition"),
        required=False,
        max_length=20,
        help_text=gettext_lazy("To mark duplicates."),
        widget=forms.TextInput(attrs={"placeholder": "PA-26-XXXXXX", "autocomplete": "off"}),
    )
    reason = forms.CharField(
        label=gettext_lazy("Reason, shown to the citizen"),
        required=False,
        max_length=NOTE_MAX_LENGTH,
        help_text=gettext_lazy("Required to escalate; an optional note when marking duplicates."),
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        self.user = user
        # Ids of their own: the bulk controls share the inbox page with its filter form.
        kwargs.setdefault("auto_id", "bulk_%s")
        super().__init__(*args, **kwargs)
        membership = membership_of(user)
        assert membership is not None
        field = self.fields["assignee"]
        assert isinstance(field, forms.ModelChoiceField)
        # Any active officer of the unit is a valid answer; whether this user may assign them
        # is the case services' rule, checked (and reported) case by case.
        field.queryset = officers_of(membership.unit)
        if not membership.is_leader:
            # Officers are offered only themselves, the one choice that can succeed.
            field.widget.choices = [(user.pk, user.get_full_name() or user.username)]
            field.initial = user.pk

    def clean_original(self) -> str:
        return str(self.cleaned_data["original"]).strip().upper()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        action = data.get("action")
        if action == "assign" and not data.get("assignee"):
            self.add_error("assignee", _("Choose who to assign the cases to."))
        elif action == "escalate" and not (data.get("reason") or "").strip():
            self.add_error("reason", _("Give the reason for escalating: the citizen sees it."))
        elif action == "mark_duplicate":
            if not data.get("original"):
                self.add_error("original", _("Enter the tracking code of the original petition."))
            else:
                # One lookup for the whole request: a wrong code is a mistake in the form, not in each case.
                try:
                    data["original_id"] = original_case_id(self.user, data["original"])
                except ValidationError as exc:
                    add_service_errors(self, exc)
        return data


# --- running one action on many cases ---------------------------------------------------

Run = Callable[[Case, Any, dict[str, Any], int], Case]


def _assign(case: Case, user: Any, data: dict[str, Any], version: int) -> Case:
    if case.state == CaseState.IN_PROGRESS:
        return services.case_reassign(
            case_id=case.pk, actor=user, officer=data["assignee"], expected_version=version
        )
    # Any other state: accept, whose service says clearly if the case cannot be accepted now.
    return services.case_accept(
        case_id=case.pk, actor=user, assignee=data["assignee"], expected_version=version
    )


def _escalate(case: Case, user: Any, data: dict[str, Any], version: int) -> Case:
    return services.case_escalate(
        case_id=case.pk, actor=user, reason=data["reason"], expected_version=version
    )


def _mark_duplicate(case: Case, user: Any, data: dict[str, Any], version: int) -> Case:
    return services.case_mark_duplicate(
        case_id=case.pk,
        actor=user,
        original_id=data["original_id"],
        note=data["reason"],
        expected_version=version,
    )


RUNS: dict[str, Run] = {"assign": _assign, "escalate": _escalate, "mark_duplicate": _mark_duplicate}

DONE, CONFLICT, REFUSED = "done", "conflict", "refused"
OUTCOME_LABELS = {
    DONE: gettext_lazy("Done"),
    CONFLICT: gettext_lazy("Someone acted first"),
    REFUSED: gettext_lazy("Refused"),
}


@dataclass(frozen=True)
class Outcome:
    case_id: int
    code: str  # the tracking code, or "#<pk>" for a case the user may not see
    title: str  # the petition's title, "" for a case the user may not see
    result: str  # DONE, CONFLICT or REFUSED
    message: str
    linked: bool  # whether the user can still open the case

    @property
    def ok(self) -> bool:
        return self.result == DONE

    @property
    def label(self) -> str:
        return str(OUTCOME_LABELS[self.result])


def _run_one(run: Run, case: Case, user: Any, data: dict[str, Any], version: int) -> tuple[str, str]:
    try:
        run(case, user, data, version)
    except TransitionNotPossible as exc:
        return REFUSED, exc.message
    except CaseConflict as exc:
        return CONFLICT, exc.message
    except CaseActionForbidden as exc:
        return REFUSED, exc.message
    except ValidationError as exc:
        return REFUSED, " ".join(exc.messages)
    except Exception:
        # One broken case must not cost the officer the rest of the batch; its transaction
        # rolled back, and the traceback goes to the logs.
        logger.exception("bulk action on case %s failed", case.pk)
        return REFUSED, _("An unexpected error stopped this case; it was not changed.")
    return DONE, ""


def bulk_run(*, user: Any, action: str, selected: dict[int, int], data: dict[str, Any]) -> list[Outcome]:
    """Run ``action`` on each selected case of the user's unit, each in its own transaction."""
    run = RUNS[action]
    found = cases_actionable_by(user).select_related("petition").in_bulk(list(selected))
    missing = [pk for pk in selected if pk not in found]
    # Codes of the other selected cases the user may still read (e.g. a leader's case moved
    # down a level), so the results name them; cases they may not read stay anonymous.
    codes = (
        {
            pk: (code, title)
            for pk, code, title in cases_visible_to(user)
            .filter(pk__in=missing)
            .values_list("pk", "petition__tracking_code", "petition__title")
        }
        if missing
        else {}
    )
    outcomes = []
    for pk, version in selected.items():
        case = found.get(pk)
        if case is None:
            outcomes.append(
                Outcome(
                    case_id=pk,
                    code=codes[pk][0] if pk in codes else f"#{pk}",
                    title=codes[pk][1] if pk in codes else "",
                    result=REFUSED,
                    message=_("This case is not at your unit (any more): you cannot act on it."),
                    linked=pk in codes,
                )
            )
            continue
        result, message = _run_one(run, case, user, data, version)
        outcomes.append(
            Outcome(
                case_id=pk,
                code=case.petition.tracking_code,
                title=case.petition.title,
                result=result,
                message=message,
                # An escalated case has left the unit; its officers can no longer open it.
                linked=not (result == DONE and action == "escalate"),
            )
        )
    done = sum(o.ok for o in outcomes)
    logger.info(
        "bulk %s by user %s: %s of %s cases done", action, getattr(user, "pk", None), done, len(outcomes)
    )
    return outcomes


# --- the view -----------------------------------------------------------------------------


def _inbox_url(query: str) -> str:
    # Only a query string is carried over, re-encoded, onto the fixed inbox address.
    encoded = QueryDict(query).urlencode()
    return reverse("backoffice:backoffice-inbox") + (f"?{encoded}" if encoded else "")


@require_POST
@staff_required
def bulk_act(request: HttpRequest) -> HttpResponse:
    form = BulkForm(request.POST, user=request.user)
    query = request.POST.get("query", "")
    context: dict[str, Any] = {"form": form, "query": query, "inbox_url": _inbox_url(query)}
    if not form.is_valid():
        selected = form.cleaned_data.get("cases") or {}
        cases = cases_actionable_by(request.user).select_related("petition").in_bulk(list(selected))
        context["selected"] = [(cases[pk], version) for pk, version in selected.items() if pk in cases]
        return render(request, "backoffice/bulk_results.html", context, status=400)

    data = form.cleaned_data
    outcomes = bulk_run(user=request.user, action=data["action"], selected=data["cases"], data=data)
    done = sum(o.ok for o in outcomes)
    action_label = dict(ACTION_CHOICES)[data["action"]]
    if done == len(outcomes):
        messages.success(
            request,
            ngettext(
                "%(action)s: done for %(count)s case.",
                "%(action)s: done for all %(count)s cases.",
                done,
            )
            % {"action": action_label, "count": done},
        )
    else:
        messages.warning(
            request,
            ngettext(
                "%(action)s: done for %(done)s of %(total)s case; see below why the others were not changed.",
                "%(action)s: done for %(done)s of %(total)s cases; see below why the others were not changed.",
                len(outcomes),
            )
            % {"action": action_label, "done": done, "total": len(outcomes)},
        )
    context.update(outcomes=outcomes, action_label=action_label, done=done)
    return render(request, "backoffice/bulk_results.html", context)
