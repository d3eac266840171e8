"""Forms of the public portal. They parse input; the intake and case services validate it."""

from __future__ import annotations

import secrets
from typing import Any

from django import forms
from django.core import signing
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from petitions.images import MAX_UPLOAD_BYTES
from petitions.models import (
    ADDRESS_MAX_LENGTH,
    NAME_MAX_LENGTH,
    TEXT_MAX_LENGTH,
    TITLE_MAX_LENGTH,
    Category,
)
from petitions.services import MAX_ATTACHMENTS, normalize_tracking_code, petition_validate
from routing.models import Level, Unit
from routing.units import unit_sort_key

_STARTED_SALT = "portal.form-started"


def sign_started(*, seconds_ago: int = 0) -> str:
    """The form's hidden stamp: when it was shown, and a key of its own (signed).

    The key makes the form's submission idempotent: a form sent again after its answer was
    lost (a reload, a double click, a dropped connection) returns the petition it filed the
    first time instead of filing a second one. ``seconds_ago`` dates the stamp back (a form
    shown again to a person who already filled it in need not wait out the bot check).
    """
    stamp = f"{int(timezone.now().timestamp()) - seconds_ago}.{secrets.token_urlsafe(16)}"
    return signing.TimestampSigner(salt=_STARTED_SALT).sign(stamp)


def _unsign_started(value: str) -> tuple[int, str] | None:
    try:
        raw = signing.TimestampSigner(salt=_STARTED_SALT).unsign(value, max_age=24 * 3600)
        seconds, _dot, key = raw.partition(".")
        return int(seconds), key
    except (signing.BadSignature, ValueError):
        return None


def seconds_since_started(value: str) -> float | None:
    """Seconds since the form was rendered, or None when the stamp is missing or forged."""
    started = _unsign_started(value)
    return None if started is None else timezone.now().timestamp() - started[0]


def form_submission_key(value: str) -> str | None:
    """The idempotency key of the form whose stamp is ``value`` (None for a forged or keyless stamp)."""
    started = _unsign_started(value)
    return f"portal-{started[1]}" if started is not None and started[1] else None


def add_service_errors(form: forms.Form, error: ValidationError) -> None:
    """Show a service's ValidationError on the form: on its field when the form has it, else on top."""
    for field, messages in error.message_dict.items():
        form.add_error(field if field in form.fields else None, messages)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleImageField(forms.FileField):
    """Several files in one input (Django's documented pattern)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault(
            "widget",
            MultipleFileInput(attrs={"accept": "image/jpeg,image/png,image/webp", "multiple": True}),
        )
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data if item]
        return [single(data, initial)] if data else []


class MultipleDocumentField(MultipleImageField):
    """Several PDF documents in one input (each checked by ``petitions.pdfs.check_pdf`` when staged)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": "application/pdf", "multiple": True}))
        kwargs.setdefault(
            "help_text",
            _("Scanned letters, decisions or receipts as PDF: at most 3, 10 MB and 50 pages each."),
        )
        super().__init__(*args, **kwargs)


def province_choices() -> list[tuple[str, str]]:
    """Provinces and cities by name without their type ("Thành phố Hà Nội" under H), as Vietnamese forms list them."""
    rows = Unit.objects.filter(level=Level.PROVINCE, is_active=True).values_list("code", "name")
    return sorted(rows, key=lambda row: unit_sort_key(row[1]))


def commune_choices(province_code: str | None) -> list[tuple[str, str]]:
    """The communes, wards and special zones of a province, by name without their type."""
    if not province_code:
        return []
    rows = Unit.objects.filter(level=Level.COMMUNE, is_active=True, parent__code=province_code).values_list(
        "code", "name"
    )
    return sorted(rows, key=lambda row: unit_sort_key(row[1]))


class SubmitForm(forms.Form):
    category = forms.ModelChoiceField(
        label=_("Topic"),
        queryset=Category.objects.filter(is_active=True),
        empty_label=_("— choose a topic —"),
        error_messages={"required": _("Choose a topic."), "invalid_choice": _("Choose a topic.")},
    )
    province = forms.ChoiceField(
        label=_("Province or city"),
        error_messages={"required": _("Choose a province or city.")},
    )
    commune = forms.ChoiceField(
        label=_("Commune, ward or special zone"),
        error_messages={"required": _("Choose a commune, ward or special zone from the list.")},
    )
    address = forms.CharField(
        label=_("Address or place (optional)"),
        required=False,
        max_length=ADDRESS_MAX_LENGTH,
        help_text=_("House number, street, hamlet — where the problem is."),
    )
    latitude = forms.DecimalField(label=_("Latitude"), required=False, max_digits=9, decimal_places=6)
    longitude = forms.DecimalField(label=_("Longitude"), required=False, max_digits=9, decimal_places=6)
    # Required here too, so that every missing field is reported at once (the intake
    # service checks them again, with the same messages).
    title = forms.CharField(
        label=_("Title"),
        max_length=TITLE_MAX_LENGTH,
        error_messages={"required": _("Give your petition a short title.")},
    )
    text = forms.CharField(
        label=_("What happened, and what do you propose?"),
        widget=forms.Textarea(attrs={"rows": 8, "maxlength": TEXT_MAX_LENGTH}),
        max_length=TEXT_MAX_LENGTH,
        error_messages={"required": _("Describe the matter.")},
    )
    photos = MultipleImageField(
        label=_("Photos (optional)"),
        required=False,
    )
    is_anonymous = forms.BooleanField(label=_("Send without my name"), required=False)
    submitter_name = forms.CharField(
        label=_("Full name"),
        required=False,
        max_length=NAME_MAX_LENGTH,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    phone = forms.CharField(
        label=_("Phone number"),
        max_length=32,
        error_messages={"required": _("Enter a valid phone number, for example 0912 345 678.")},
        help_text=_(
            "We send your tracking code by SMS. Only the unit handling your petition can see your phone number."
        ),
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
    )
    email = forms.CharField(
        label=_("Email (optional)"),
        required=False,
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    consent_publish = forms.BooleanField(
        label=_("The response may be published on this portal, without my name or contact details."),
        required=False,
    )
    # Spam defences that need no outside service: a field people never see, and a signed
    # time stamp (bots post forms faster than people can read them).
    website = forms.CharField(required=False, label=_("Leave this field empty"))
    started = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, province_code: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        province_field = self.fields["province"]
        assert isinstance(province_field, forms.ChoiceField)
        province_field.choices = [("", _("— choose a province or city —")), *province_choices()]
        code = province_code or (self.data.get("province") if self.is_bound else None)
        communes = commune_choices(code)
        first = (
            _("— choose a commune, ward or special zone —")
            if communes
            else _("— choose the province first —")
        )
        commune_field = self.fields["commune"]
        assert isinstance(commune_field, forms.ChoiceField)
        commune_field.choices = [("", first), *communes]
        # submit.js relabels the first option once it has loaded the communes.
        commune_field.widget.attrs["data-choose"] = str(_("— choose a commune, ward or special zone —"))
        if not self.is_bound:
            self.initial.setdefault("started", sign_started())
        self.fields["submitter_name"].help_text = self._name_hint()
        # Formatted per request, so it follows the active language.
        self.fields["photos"].help_text = _(
            "Up to %(count)s photos, JPEG, PNG or WebP, %(megabytes)s MB each."
        ) % {
            "count": MAX_ATTACHMENTS,
            "megabytes": MAX_UPLOAD_BYTES // (1024 * 1024),
        }

    def _name_hint(self) -> str:
        """When the name, marked required, may be left out: anonymous petitions, in the topics that allow them."""
        topics = list(Category.objects.filter(is_active=True).only("name", "name_en", "allows_anonymous"))
        needing = [topic.display_name for topic in topics if not topic.allows_anonymous]
        if len(needing) == len(topics):
            return ""
        # The checkbox's own label, so that the hint names it as the citizen sees it.
        anonymous = self.fields["is_anonymous"].label
        if not needing:
            return _("Not needed if you tick “%(anonymous)s”.") % {"anonymous": anonymous}
        return _("Not needed if you tick “%(anonymous)s”, except for these topics: %(topics)s.") % {
            "anonymous": anonymous,
            "topics": ", ".join(needing),
        }

    #: The fields ``petitions.services.petition_submit`` takes as they are.
    SUBMITTED_FIELDS = (
        "category",
        "province",
        "commune",
        "phone",
        "title",
        "text",
        "submitter_name",
        "is_anonymous",
        "email",
        "address",
        "latitude",
        "longitude",
        "consent_publish",
    )

    def submission(self) -> dict[str, Any]:
        """The cleaned fields as ``petition_submit`` keywords (those a subclass removed are left out)."""
        return {name: self.cleaned_data[name] for name in self.SUBMITTED_FIELDS if name in self.fields}

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("is_anonymous") and not (data.get("submitter_name") or "").strip():
            self.add_error("submitter_name", _("Enter your name."))
        return data

    def add_intake_errors(self) -> None:
        """Add what the intake service finds wrong in the fields this form accepted.

        Called when the form will not be filed as it is (its own errors, a refused photo): the
        service's checks (phone, email, the commune's province, text length...) would otherwise
        show only on the next try, one round of errors hiding the next.
        """
        checked = [
            name for name in self.SUBMITTED_FIELDS if name in self.fields and name != "consent_publish"
        ]
        fields = {
            name: self.cleaned_data[name] if name in self.cleaned_data else self.data.get(name, "")
            for name in checked
        }
        try:
            petition_validate(**fields)
        except ValidationError as error:
            for field, messages in error.message_dict.items():
                if field in self.fields and not self.has_error(field):
                    self.add_error(field, messages)


class TrackLookupForm(forms.Form):
    code = forms.CharField(
        label=_("Tracking code"),
        max_length=20,
        widget=forms.TextInput(attrs={"autocapitalize": "characters", "placeholder": "PA-26-XXXXXX"}),
        error_messages={"required": _("Enter the tracking code.")},
    )
    phone = forms.CharField(
        label=_("Phone number you gave"),
        max_length=32,
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
        error_messages={"required": _("Enter the phone number you gave.")},
    )

    def clean_code(self) -> str:
        return normalize_tracking_code(str(self.cleaned_data["code"]))


class FeedbackForm(forms.Form):
    resolved = forms.TypedChoiceField(
        label=_("Was your matter resolved?"),
        choices=[("yes", _("Yes, it was resolved")), ("no", _("No, it was not resolved"))],
        widget=forms.RadioSelect,
        coerce=lambda value: value == "yes",
        error_messages={"required": _("Say whether your matter was resolved.")},
    )
    rating = forms.TypedChoiceField(
        label=_("How do you rate the response?"),
        choices=[(str(n), str(n)) for n in range(1, 6)],
        widget=forms.RadioSelect,
        coerce=int,
        error_messages={"required": _("Choose a rating from 1 to 5.")},
    )
    comment = forms.CharField(
        label=_("Comment"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Required if the matter was not resolved: tell us what is still wrong."),
    )

    def clean(self) -> dict[str, Any]:
        # Checked here as well as by the service, so that a missing comment is reported with the
        # other missing answers, not after them.
        data = super().clean() or {}
        if data.get("resolved") is False and not (data.get("comment") or "").strip():
            self.add_error("comment", _("Tell us what is still wrong."))
        return data


class AddInfoForm(forms.Form):
    """A fact (and photos) the citizen adds to their petition while it is handled."""

    text = forms.CharField(
        label=_("What would you like to add?"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("The handling unit sees it at once. It does not change your petition's status."),
        error_messages={"required": _("Write what you would like to add.")},
    )
    photos = MultipleImageField(label=_("Photos (optional)"), required=False)
    documents = MultipleDocumentField(label=_("Documents (optional)"), required=False)


class AnswerForm(forms.Form):
    """The citizen's answer to the handling unit's question."""

    text = forms.CharField(
        label=_("Your answer"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={"required": _("Write your answer.")},
    )
    photos = MultipleImageField(label=_("Photos (optional)"), required=False)
    documents = MultipleDocumentField(label=_("Documents (optional)"), required=False)


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        label=_("Why do you withdraw it? (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    confirm = forms.BooleanField(
        label=_("Yes, withdraw my petition. This cannot be undone."),
        error_messages={"required": _("Tick the box to confirm.")},
    )
