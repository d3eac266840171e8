"""Forms of the phone-code flows: "My petitions" and co-signing. They parse; ``petitions.phones`` checks."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.functional import lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from petitions.phones import CODE_DIGITS, CODE_TTL


def _phone_field(help_text: Any) -> forms.CharField:
    return forms.CharField(
        label=_("Your phone number"),
        max_length=32,
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
        help_text=help_text,
        error_messages={"required": _("Enter your phone number.")},
    )


def _code_help() -> str:
    return gettext("%(digits)s digits. The code expires %(minutes)s minutes after it was sent.") % {
        "digits": CODE_DIGITS,
        "minutes": int(CODE_TTL.total_seconds() // 60),
    }


class PhoneForm(forms.Form):
    phone = _phone_field(_("We send a code to this number by SMS to check that it is yours."))


class CoSignForm(forms.Form):
    phone = _phone_field(
        _(
            "Your number is never shown to anyone: we send a code to it by SMS to check that it is"
            " yours, and count one co-signature per number."
        )
    )
    notify = forms.BooleanField(label=_("Send me an SMS when the response is published."), required=False)


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code from the SMS"),
        max_length=12,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "pattern": "[0-9 ]*"}
        ),
        help_text=lazy(_code_help, str)(),
        error_messages={"required": _("Enter the code from the SMS.")},
    )
