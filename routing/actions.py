"""The case actions staff take: one small form per action, and the table that names each with its
form and the service it runs.

The back office's case desk and the JSON API both read this table (the API builds its request
bodies from the forms' fields), so it lives in the domain app that owns the lifecycle: neither
audience imports the other (convention 13). Forms parse input; the case services validate and act.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from petitions.forms import MultipleDocumentField
from routing import services
from routing.deadlines import policy_for
from routing.models import Case, Level, Role, Unit
from routing.selectors import cases_visible_to
from routing.services import NOTE_MAX_LENGTH, RESPONSE_MAX_LENGTH

# --- one form per action ----------------------------------------------------------------


def officers_of(unit: Unit) -> Any:
    return User.objects.filter(membership__unit=unit, is_active=True).order_by("first_name", "username")


class OfficerChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return obj.get_full_name() or obj.username


class ActionForm(forms.Form):
    """Every action form carries the case version the officer was looking at."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args: Any, case: Case, user: Any, **kwargs: Any) -> None:
        self.case = case
        self.user = user
        super().__init__(*args, **kwargs)
        self.fields["version"].initial = case.version


def _reason(label: Any = None, *, required: bool = True, help_text: Any = "") -> forms.CharField:
    return forms.CharField(
        label=label or gettext_lazy("Reason"),
        required=required,
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=help_text,
    )


PUBLIC_HINT = gettext_lazy("Shown to the citizen.")
INTERNAL_HINT = gettext_lazy("Internal: staff only.")


class AcceptForm(ActionForm):
    assignee = OfficerChoiceField(label=gettext_lazy("Assign to"), queryset=User.objects.none())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["assignee"]
        assert isinstance(field, forms.ModelChoiceField)
        membership = self.user.membership
        if membership.role == Role.OFFICER:
            field.queryset = User.objects.filter(pk=self.user.pk)
            field.help_text = gettext_lazy(
                "Officers accept cases for themselves; a leader can assign anyone."
            )
        else:
            field.queryset = officers_of(self.case.unit)
        field.initial = self.user.pk


class RejectForm(ActionForm):
    reason = _reason(help_text=PUBLIC_HINT)


class DuplicateForm(ActionForm):
    original = forms.CharField(
        label=gettext_lazy("Tracking code of the original petition"),
        max_length=20,
        widget=forms.TextInput(attrs={"placeholder": "PA-26-XXXXXX"}),
    )
    note = _reason(gettext_lazy("Note"), required=False, help_text=PUBLIC_HINT)

    def clean_original(self) -> str:
        return str(self.cleaned_data["original"]).strip().upper()


class EscalateForm(ActionForm):
    reason = _reason(help_text=PUBLIC_HINT)


class UnitChoiceForm(ActionForm):
    unit = forms.ModelChoiceField(label=gettext_lazy("Unit"), queryset=Unit.objects.none())
    reason = _reason(help_text=PUBLIC_HINT)


class TransferForm(UnitChoiceForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["unit"]
        assert isinstance(field, forms.ModelChoiceField)
        unit = self.case.unit
        field.queryset = (
            Unit.objects.filter(parent_id=unit.parent_id, level=unit.level, is_active=True)
            .exclude(pk=unit.pk)
            .order_by("name")
        )
        field.label = gettext_lazy("Transfer to")


class ReturnDownForm(UnitChoiceForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["unit"]
        assert isinstance(field, forms.ModelChoiceField)
        unit = self.case.unit
        below = Unit.objects.filter(parent=unit, is_active=True).order_by("name")
        if unit.level == Level.PROVINCE:
            # Suggest the commune the petition is about first.
            below = below.order_by("name")
        field.queryset = below
        field.label = gettext_lazy("Send to")
        field.initial = (
            self.case.petition.commune_id if unit.level == Level.PROVINCE else self.case.petition.province_id
        )


class ReferForm(ActionForm):
    agency = forms.CharField(label=gettext_lazy("Agency"), max_length=200)
    due = forms.DateField(
        label=gettext_lazy("Reply expected by"), widget=forms.DateInput(attrs={"type": "date"})
    )
    note = _reason(gettext_lazy("Note"), required=False, help_text=PUBLIC_HINT)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["due"].initial = timezone.localdate() + dt.timedelta(days=7)


class AgencyRepliedForm(ActionForm):
    note = _reason(gettext_lazy("What the agency answered"), help_text=INTERNAL_HINT)


class AskCitizenForm(ActionForm):
    question = _reason(
        gettext_lazy("Your question to the citizen"),
        help_text=gettext_lazy(
            "Shown to the citizen and sent by SMS and e-mail. The time to handle the case stops until they "
            "answer; without an answer the case comes back to you after the policy's working days."
        ),
    )


class ReassignForm(ActionForm):
    officer = OfficerChoiceField(label=gettext_lazy("Reassign to"), queryset=User.objects.none())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["officer"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = officers_of(self.case.unit).exclude(pk=self.case.assignee_id)


class ExtendForm(ActionForm):
    # The most a policy's ``max_extension_days`` (a small integer) can hold; the form narrows it to the case's.
    days = forms.IntegerField(label=gettext_lazy("Extra working days"), min_value=1, max_value=32767)
    reason = _reason(help_text=PUBLIC_HINT)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["days"]
        assert isinstance(field, forms.IntegerField)
        limit = policy_for(self.case.unit.level, self.case.petition.category_id).max_extension_days
        field.max_value = limit
        field.widget.attrs["max"] = limit
        field.help_text = gettext_lazy("At most %(limit)s working days, once per unit.") % {"limit": limit}


class SubmitResponseForm(ActionForm):
    text = forms.CharField(
        label=gettext_lazy("Response to the citizen"),
        max_length=RESPONSE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=gettext_lazy("A leader of the unit approves it before the citizen sees it."),
    )
    documents = MultipleDocumentField(
        label=gettext_lazy("Reply letter and other documents (optional)"),
        required=False,
        help_text=gettext_lazy(
            "PDF, at most 3, 10 MB and 50 pages each. The citizen can download them once approved."
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["text"].initial = self.case.response_text
        _warn_if_public(self)


def _warn_if_public(form: ActionForm) -> None:
    """Say it when the response will be public: its citizen agreed to publish the petition and response.

    The desk shows ``public_warning`` above the form as a warning, and the text field points to it.
    """
    form.public_warning = ""  # type: ignore[attr-defined]
    if form.case.petition.consent_publish:
        form.public_warning = gettext_lazy(  # type: ignore[attr-defined]
            "Its citizen agreed to publication: this text will be shown on the public pages. "
            "Leave out names, addresses and phone numbers. The documents stay between the unit and the citizen."
        )


class ApproveForm(ActionForm):
    """Approve the draft as written, or edit it and approve in one step (the citizen reads this text)."""

    text = forms.CharField(
        label=gettext_lazy("Response to the citizen"),
        required=False,
        max_length=RESPONSE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=gettext_lazy(
            "Edit the draft here if it needs it: the citizen reads this text, and the officer's draft "
            "stays in the internal timeline."
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["text"].initial = self.case.response_text
        _warn_if_public(self)


class SendBackForm(ActionForm):
    note = _reason(gettext_lazy("What should change"), help_text=INTERNAL_HINT)


# --- who may, and the table ------------------------------------------------------------


def original_case_id(user: Any, code: str) -> int:
    """The id of the case with tracking ``code`` that ``user`` may see; a form error otherwise."""
    original = (
        cases_visible_to(user).filter(petition__tracking_code=code).values_list("pk", flat=True).first()
    )
    if original is None:
        raise ValidationError({"original": _("No case you can see has that tracking code.")})
    return int(original)


#: Actions the case's assignee may do besides the unit's leaders (every other refused one is leaders' only).
ASSIGNEE_OR_LEADER = {"ask_citizen"}


def not_permitted_message(action: str) -> str:
    """Why a member of the handling unit may not do ``action`` now (the desk and the API say the same)."""
    from django.utils.translation import gettext

    if action in ASSIGNEE_OR_LEADER:
        return gettext("Only the officer the case is assigned to, or a leader of the unit, can do this.")
    return gettext("Only a leader of the unit can do this.")


@dataclass(frozen=True)
class Action:
    name: str
    label: Any
    form: type[ActionForm]
    run: Callable[[Case, Any, dict[str, Any], int], Case]
    style: str = "secondary"


ACTIONS: dict[str, Action] = {
    a.name: a
    for a in (
        Action(
            "accept",
            gettext_lazy("Accept and assign"),
            AcceptForm,
            lambda c, u, d, v: services.case_accept(
                case_id=c.pk, actor=u, assignee=d["assignee"], expected_version=v
            ),
            "primary",
        ),
        Action(
            "reject",
            gettext_lazy("Reject"),
            RejectForm,
            lambda c, u, d, v: services.case_reject(
                case_id=c.pk, actor=u, reason=d["reason"], expected_version=v
            ),
            "danger",
        ),
        Action(
            "mark_duplicate",
            gettext_lazy("Mark as duplicate"),
            DuplicateForm,
            lambda c, u, d, v: services.case_mark_duplicate(
                case_id=c.pk,
                actor=u,
                original_id=original_case_id(u, d["original"]),
                note=d["note"],
                expected_version=v,
            ),
        ),
        Action(
            "escalate",
            gettext_lazy("Escalate to the level above"),
            EscalateForm,
            lambda c, u, d, v: services.case_escalate(
                case_id=c.pk, actor=u, reason=d["reason"], expected_version=v
            ),
        ),
        Action(
            "transfer",
            gettext_lazy("Transfer to another unit"),
            TransferForm,
            lambda c, u, d, v: services.case_transfer(
                case_id=c.pk, actor=u, unit=d["unit"], reason=d["reason"], expected_version=v
            ),
        ),
        Action(
            "return_down",
            gettext_lazy("Send to a unit below"),
            ReturnDownForm,
            lambda c, u, d, v: services.case_return_down(
                case_id=c.pk, actor=u, unit=d["unit"], reason=d["reason"], expected_version=v
            ),
        ),
        Action(
            "refer",
            gettext_lazy("Refer to an agency"),
            ReferForm,
            lambda c, u, d, v: services.case_refer(
                case_id=c.pk, actor=u, agency=d["agency"], due=d["due"], note=d["note"], expected_version=v
            ),
        ),
        Action(
            "agency_replied",
            gettext_lazy("Record the agency's reply"),
            AgencyRepliedForm,
            lambda c, u, d, v: services.case_agency_replied(
                case_id=c.pk, actor=u, note=d["note"], expected_version=v
            ),
            "primary",
        ),
        Action(
            "ask_citizen",
            gettext_lazy("Ask the citizen for more"),
            AskCitizenForm,
            lambda c, u, d, v: services.case_ask_citizen(
                case_id=c.pk, actor=u, question=d["question"], expected_version=v
            ),
        ),
        Action(
            "reassign",
            gettext_lazy("Reassign"),
            ReassignForm,
            lambda c, u, d, v: services.case_reassign(
                case_id=c.pk, actor=u, officer=d["officer"], expected_version=v
            ),
        ),
        Action(
            "extend",
            gettext_lazy("Extend the deadline"),
            ExtendForm,
            lambda c, u, d, v: services.case_extend(
                case_id=c.pk, actor=u, days=d["days"], reason=d["reason"], expected_version=v
            ),
        ),
        Action(
            "submit_response",
            gettext_lazy("Submit the response for approval"),
            SubmitResponseForm,
            lambda c, u, d, v: _submit_response(c, u, d, v),
            "primary",
        ),
        Action(
            "approve",
            gettext_lazy("Approve and publish the response"),
            ApproveForm,
            lambda c, u, d, v: services.case_approve(
                case_id=c.pk, actor=u, text=d.get("text") or None, expected_version=v
            ),
            "primary",
        ),
        Action(
            "send_back",
            gettext_lazy("Send the draft back"),
            SendBackForm,
            lambda c, u, d, v: services.case_send_back(
                case_id=c.pk, actor=u, note=d["note"], expected_version=v
            ),
        ),
    )
}


def _submit_response(case: Case, user: Any, data: dict[str, Any], version: int) -> Case:
    """Draft the response with the PDFs the desk staged (``document_tokens`` in ``session_key``)."""
    return services.case_submit_response(
        case_id=case.pk,
        actor=user,
        text=data["text"],
        expected_version=version,
        document_tokens=data.get("document_tokens") or [],
        session_key=data.get("session_key") or "",
    )
