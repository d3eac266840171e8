"""One small form per case action. They parse input; the case services validate and act."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django import forms
from django.contrib.auth.models import User
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from petitions.forms import MultipleDocumentField, PetitionForm
from petitions.models import Category, ReceivedVia
from petitions.services import Receipt, receipt_errors
from routing.deadlines import policy_for
from routing.models import Case, CaseState, Level, Role, Unit
from routing.services import NOTE_MAX_LENGTH, RESPONSE_MAX_LENGTH


def _officers(unit: Unit) -> Any:
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
        label=label or _("Reason"),
        required=required,
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=help_text,
    )


PUBLIC_HINT = _("Shown to the citizen.")
INTERNAL_HINT = _("Internal: staff only.")


class AcceptForm(ActionForm):
    assignee = OfficerChoiceField(label=_("Assign to"), queryset=User.objects.none())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["assignee"]
        assert isinstance(field, forms.ModelChoiceField)
        membership = self.user.membership
        if membership.role == Role.OFFICER:
            field.queryset = User.objects.filter(pk=self.user.pk)
            field.help_text = _("Officers accept cases for themselves; a leader can assign anyone.")
        else:
            field.queryset = _officers(self.case.unit)
        field.initial = self.user.pk


class RejectForm(ActionForm):
    reason = _reason(help_text=PUBLIC_HINT)


class DuplicateForm(ActionForm):
    original = forms.CharField(
        label=_("Tracking code of the original petition"),
        max_length=20,
        widget=forms.TextInput(attrs={"placeholder": "PA-26-XXXXXX"}),
    )
    note = _reason(_("Note"), required=False, help_text=PUBLIC_HINT)

    def clean_original(self) -> str:
        return str(self.cleaned_data["original"]).strip().upper()


class EscalateForm(ActionForm):
    reason = _reason(help_text=PUBLIC_HINT)


class UnitChoiceForm(ActionForm):
    unit = forms.ModelChoiceField(label=_("Unit"), queryset=Unit.objects.none())
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
        field.label = _("Transfer to")


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
        field.label = _("Send to")
        field.initial = (
            self.case.petition.commune_id if unit.level == Level.PROVINCE else self.case.petition.province_id
        )


class ReferForm(ActionForm):
    agency = forms.CharField(label=_("Agency"), max_length=200)
    due = forms.DateField(label=_("Reply expected by"), widget=forms.DateInput(attrs={"type": "date"}))
    note = _reason(_("Note"), required=False, help_text=PUBLIC_HINT)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["due"].initial = timezone.localdate() + dt.timedelta(days=7)


class AgencyRepliedForm(ActionForm):
    note = _reason(_("What the agency answered"), help_text=INTERNAL_HINT)


class AskCitizenForm(ActionForm):
    question = _reason(
        _("Your question to the citizen"),
        help_text=_(
            "Shown to the citizen and sent by SMS and e-mail. The time to handle the case stops until they "
            "answer; without an answer the case comes back to you after the policy's working days."
        ),
    )


class ReassignForm(ActionForm):
    officer = OfficerChoiceField(label=_("Reassign to"), queryset=User.objects.none())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["officer"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = _officers(self.case.unit).exclude(pk=self.case.assignee_id)


class ExtendForm(ActionForm):
    # The most a policy's ``max_extension_days`` (a small integer) can hold; the form narrows it to the case's.
    days = forms.IntegerField(label=_("Extra working days"), min_value=1, max_value=32767)
    reason = _reason(help_text=PUBLIC_HINT)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["days"]
        assert isinstance(field, forms.IntegerField)
        limit = policy_for(self.case.unit.level, self.case.petition.category_id).max_extension_days
        field.max_value = limit
        field.widget.attrs["max"] = limit
        field.help_text = _("At most %(limit)s working days, once per unit.") % {"limit": limit}


class SubmitResponseForm(ActionForm):
    text = forms.CharField(
        label=_("Response to the citizen"),
        max_length=RESPONSE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("A leader of the unit approves it before the citizen sees it."),
    )
    documents = MultipleDocumentField(
        label=_("Reply letter and other documents (optional)"),
        required=False,
        help_text=_("PDF, at most 3, 10 MB and 50 pages each. The citizen can download them once approved."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["text"].initial = self.case.response_text


class ApproveForm(ActionForm):
    """Approve the draft as written, or edit it and approve in one step (the citizen reads this text)."""

    text = forms.CharField(
        label=_("Response to the citizen"),
        required=False,
        max_length=RESPONSE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_(
            "Edit the draft here if it needs it: the citizen reads this text, and the officer's draft "
            "stays in the internal timeline. Left empty, the draft is published as written."
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["text"].initial = self.case.response_text


class SendBackForm(ActionForm):
    note = _reason(_("What should change"), help_text=INTERNAL_HINT)


class NoteForm(forms.Form):
    text = forms.CharField(
        label=_("Note"), max_length=NOTE_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 3})
    )
    is_public = forms.TypedChoiceField(
        label=_("Who sees it"),
        choices=[("0", _("Staff only (internal)")), ("1", _("The citizen too (public)"))],
        coerce=lambda value: value == "1",
        initial="0",
        widget=forms.RadioSelect,
    )


class InboxFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=200)
    category = forms.IntegerField(required=False)
    commune = forms.IntegerField(required=False)
    since = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    sort = forms.ChoiceField(
        label=_("Sort"),
        required=False,
        choices=[("due", _("Deadline first")), ("newest", _("Newest first")), ("oldest", _("Oldest first"))],
    )


class ValueListField(forms.Field):
    """A repeated GET parameter (``?commune=W00070&commune=W00073``): each value checked against ``pattern``."""

    widget = forms.MultipleHiddenInput

    def __init__(self, *, pattern: str, coerce: Any = str, max_values: int = 50, **kwargs: Any) -> None:
        self.pattern = re.compile(pattern)
        self.coerce = coerce
        self.max_values = max_values
        super().__init__(required=False, **kwargs)

    def to_python(self, value: Any) -> tuple[Any, ...]:
        values = [str(v).strip() for v in (value or []) if str(v).strip()]
        if len(values) > self.max_values or not all(self.pattern.fullmatch(v) for v in values):
            raise forms.ValidationError(_("Some of the chosen values are not valid."), code="invalid")
        return tuple(self.coerce(v) for v in dict.fromkeys(values))


SEARCH_SORTS = [("relevance", _("Best match")), ("newest", _("Newest first")), ("oldest", _("Oldest first"))]
SEARCH_TEXT_MAX_LENGTH = 200
SEARCH_MAX_PAGE = 10_000


def default_search_sort(text: str) -> str:
    """Best match when there are words to match, else the newest cases first."""
    return "relevance" if text.strip() else "newest"


class PageNumberField(forms.Field):
    """A page number from a link: anything else (``abc``, ``0``) is the first page, without a message."""

    widget = forms.HiddenInput

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(required=False, **kwargs)

    def to_python(self, value: Any) -> int | None:
        try:
            number = int(str(value).strip())
        except (TypeError, ValueError):
            return None
        return min(max(number, 1), SEARCH_MAX_PAGE)


class SearchForm(forms.Form):
    """The back-office search page: words, facet selections, dates, sort and page, all from GET.

    Words that are too long and a period that ends before it starts are *refusals*: the page
    says so and searches nothing (``refusals``). Other values it does not understand are left
    out of the search with a message.
    """

    q = forms.CharField(
        label=_("Words or tracking code"),
        required=False,
        max_length=SEARCH_TEXT_MAX_LENGTH,
        error_messages={
            "max_length": _(
                "Search words can be at most %(limit_value)d characters long (this search has "
                "%(show_value)d). Use a few words or a tracking code."
            )
        },
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": _("e.g. ngập lụt, PA-26-7KQ3M9"), "autocomplete": "off"}
        ),
    )
    state = forms.MultipleChoiceField(label=_("Status"), choices=CaseState.choices, required=False)
    category = ValueListField(label=_("Topic"), pattern=r"\d{1,9}", coerce=int)
    level = forms.MultipleChoiceField(label=_("Level"), choices=Level.choices, required=False)
    province = ValueListField(label=_("Province"), pattern=r"[A-Za-z0-9_-]{1,16}")
    commune = ValueListField(label=_("Commune"), pattern=r"[A-Za-z0-9_-]{1,16}")
    overdue = forms.TypedChoiceField(
        label=_("Overdue"),
        choices=[("", _("Any")), ("1", _("Overdue")), ("0", _("Not overdue"))],
        coerce=lambda value: value == "1",
        empty_value=None,
        required=False,
    )
    since = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    sort = forms.ChoiceField(label=_("Sort"), choices=SEARCH_SORTS, required=False)
    #: The order the page's sort list showed by itself, i.e. the default for the words on that
    #: page. A list left at it means "the default" again, so words typed on the empty page
    #: (which shows "newest first") sort by best match.
    default_sort = forms.ChoiceField(choices=SEARCH_SORTS, required=False, widget=forms.HiddenInput)
    page = PageNumberField()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("sort") and data.get("sort") == data.get("default_sort"):
            data["sort"] = ""
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            self.add_error(
                "until", forms.ValidationError(_("The period must start before it ends."), code="order")
            )
        return data

    @property
    def refusals(self) -> list[str]:
        """Why nothing may be searched (too many words, a period ending before it starts)."""
        if not self.is_bound:
            return []
        messages = [str(message) for message in self.errors.get("q", [])]
        if self.has_error("until", "order"):
            messages.append(str(_("The period must start before it ends.")))
        return messages

    @property
    def left_out(self) -> list[str]:
        """Messages about values that are left out of the search (the search still runs)."""
        if not self.is_bound:
            return []
        return [
            str(message)
            for name, messages in self.errors.items()
            if name != "q" and not (name == "until" and self.has_error("until", "order"))
            for message in messages
        ]


class OfficerPetitionForm(PetitionForm):
    """A petition received by phone or in person: the citizen's form without its spam guards.

    The scanned letter and photos the citizen brought are attached as on the portal.

    With how and when the unit received it: its deadlines count from then, and one entered more
    than ``LATE_ENTRY_DAYS`` later says why.
    """

    received_via = forms.ChoiceField(
        label=_("Received by"),
        choices=[("", "—"), *ReceivedVia.choices],
        error_messages={"required": _("Say how the petition was received.")},
    )
    received_at = forms.DateTimeField(
        label=_("Received on"),
        input_formats=["%Y-%m-%dT%H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=_("The deadlines count from this moment, not from when it is entered."),
    )
    late_entry_reason = forms.CharField(
        label=_("Why is it entered only now? (if received more than a few days ago)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["received_at"].initial = timezone.localtime().replace(second=0, microsecond=0)
        self.fields["documents"].label = _("Scanned letter and other documents (optional)")
        # The officer fills it in for the citizen: the citizen's words in the third person.
        self.fields["text"].label = _("What happened, and what does the citizen propose?")
        self.fields["is_anonymous"].label = _("The citizen does not want their name recorded")
        self.fields["phone"].help_text = _("The citizen receives the tracking code by SMS at this number.")
        self.fields["consent_publish"].label = _(
            "The citizen agrees that the response may be published on the portal, without name or contact details."
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if "received_via" in data and "received_at" in data:
            for field, message in receipt_errors(self.receipt(data), now=timezone.now()).items():
                self.add_error(field, message)
        return data

    def receipt(self, data: dict[str, Any] | None = None) -> Receipt:
        data = data if data is not None else self.cleaned_data
        return Receipt(
            via=data["received_via"], at=data["received_at"], late_reason=data.get("late_entry_reason") or ""
        )


class ResponseTemplateForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=120)
    category: forms.ModelChoiceField = forms.ModelChoiceField(
        label=_("Topic"),
        queryset=Category.objects.none(),
        required=False,
        empty_label=_("Every topic"),
    )
    text = forms.CharField(
        label=_("Text"),
        widget=forms.Textarea(attrs={"rows": 8}),
        max_length=RESPONSE_MAX_LENGTH,
        help_text=_(
            "Put what the officer must write in between square brackets, such as [ngày] or [cơ quan]: "
            "a response that still has them is refused until they are filled in."
        ),
    )
    is_active = forms.BooleanField(label=_("Offer this template"), required=False, initial=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["category"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = Category.objects.filter(is_active=True)


PERIODS = (
    ("7", _("Last 7 days")),
    ("30", _("Last 30 days")),
    ("90", _("Last 90 days")),
    ("365", _("Last 12 months")),
)
LONGEST_PERIOD_DAYS = 366


class PeriodForm(forms.Form):
    """A dashboard period: a preset (days up to today) or from/to dates."""

    period = forms.ChoiceField(
        label=_("Period"), choices=(*PERIODS, ("custom", _("Chosen dates"))), required=False
    )
    since = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # "custom" comes from the dates' own button (backoffice/_period_form.html), not the list.
        self.fields["period"].widget.choices = PERIODS

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        today = timezone.localdate()
        if data.get("period") == "custom" or (
            not data.get("period") and (data.get("since") or data.get("until"))
        ):
            since, until = data.get("since"), data.get("until") or today
            if since is None:
                raise forms.ValidationError(_("Choose the first day of the period."), code="since")
            if since > until:
                raise forms.ValidationError(_("The period must start before it ends."), code="order")
            if (until - since).days >= LONGEST_PERIOD_DAYS:
                raise forms.ValidationError(
                    _("Choose a period of at most %(days)s days.") % {"days": LONGEST_PERIOD_DAYS},
                    code="long",
                )
            data["period"] = "custom"
        else:
            days = int(data.get("period") or 30)
            since, until = today - dt.timedelta(days=days - 1), today
            data["period"] = str(days)
        data["since"], data["until"] = since, until
        return data


def iso_week(value: str | None, *, today: dt.date | None = None) -> dt.date:
    """The Monday of ISO week ``2026-W47``; by default the last complete week."""
    today = today or timezone.localdate()
    if value:
        try:
            year, week = value.upper().split("-W")
            return dt.date.fromisocalendar(int(year), int(week), 1)
        except ValueError:
            pass
    return today - dt.timedelta(days=today.weekday() + 7)
