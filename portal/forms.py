"""Forms of the public portal. They parse input; the intake and case services validate it."""

from __future__ import annotations

import secrets
from typing import Any

from django import forms
from django.core import signing
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from petitions.forms import MultipleDocumentField, MultipleImageField, PetitionForm, photos_hint
from petitions.forms import add_service_errors as add_service_errors
from petitions.forms import commune_choices as commune_choices
from petitions.forms import province_choices as province_choices
from petitions.services import normalize_tracking_code

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


class SubmitForm(PetitionForm):
    """The citizen's petition form, with spam defences that need no outside service: a field people
    never see, and a signed time stamp (bots post forms faster than people can read them)."""

    website = forms.CharField(required=False, label=_("Leave this field empty"))
    started = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("started", sign_started())


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

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["photos"].help_text = photos_hint()


class AnswerForm(AddInfoForm):
    """The citizen's answer to the handling unit's question."""

    text = forms.CharField(
        label=_("Your answer"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={"required": _("Write your answer.")},
    )


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
