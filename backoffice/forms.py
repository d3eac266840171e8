"""The back office's forms: notes, inbox filters, search, officer-entered petitions, templates, periods.

The case actions' forms are in ``routing.actions`` (the API builds its bodies from them too)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from petitions.forms import PetitionForm
from petitions.models import Category, ReceivedVia
from petitions.services import Receipt, receipt_errors
from routing.models import CaseState, Level
from routing.services import NOTE_MAX_LENGTH, RESPONSE_MAX_LENGTH


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
        # The hint names the anonymity box as this form labels it.
        self.fields["submitter_name"].help_text = self._name_hint()
        self.fields["consent_publish"].label = _(
            "The citizen agrees that the petition and its response may be published on the portal, without name "
            "or contact details (others can then co-sign it)."
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
