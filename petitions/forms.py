"""Forms and form fields shared by the portal and the back office (imports point down): the petition's
fields, several files in one input, and showing a service's errors on a form."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from petitions.attachments import MAX_ATTACHMENTS
from petitions.images import MAX_UPLOAD_BYTES
from petitions.models import ADDRESS_MAX_LENGTH, NAME_MAX_LENGTH, TEXT_MAX_LENGTH, TITLE_MAX_LENGTH, Category
from petitions.reference import active_categories, active_category
from petitions.services import Submission, petition_validate
from routing.reference import unit_table


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


def photos_hint() -> str:
    """What photos a form takes, in the active language (formatted per request)."""
    return _("Up to %(count)s photos, JPEG, PNG or WebP, %(megabytes)s MB each.") % {
        "count": MAX_ATTACHMENTS,
        "megabytes": MAX_UPLOAD_BYTES // (1024 * 1024),
    }


class MultipleDocumentField(MultipleImageField):
    """Several PDF documents in one input (each checked by ``petitions.pdfs.check_pdf`` when staged)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": "application/pdf", "multiple": True}))
        kwargs.setdefault(
            "help_text",
            _("Scanned letters, decisions or receipts as PDF: at most 3, 10 MB and 50 pages each."),
        )
        super().__init__(*args, **kwargs)


def add_service_errors(form: forms.Form, error: ValidationError) -> None:
    """Show a service's ValidationError on the form: on its field when the form has it, else on top."""
    for field, messages in error.message_dict.items():
        form.add_error(field if field in form.fields else None, messages)


def province_choices() -> list[tuple[str, str]]:
    """Provinces and cities by name without their type ("Thành phố Hà Nội" under H), as Vietnamese forms list them."""
    return list(unit_table().provinces)


def commune_choices(province_code: str | None) -> list[tuple[str, str]]:
    """The communes, wards and special zones of a province, by name without their type."""
    if not province_code:
        return []
    return list(unit_table().communes.get(province_code, ()))


class ActiveCategoryField(forms.ChoiceField):
    """The active categories as a ``ModelChoiceField`` offers them, from the process's copy.

    Listing them and checking the one chosen reads no database (``petitions.reference``); the
    cleaned value is the ``Category``. Labels follow the language active when the form is shown.
    """

    def __init__(self, *, empty_label: Any, **kwargs: Any) -> None:
        def choices() -> list[tuple[str, Any]]:
            return [("", empty_label), *((str(row.pk), row) for row in active_categories())]

        super().__init__(choices=choices, **kwargs)

    def clean(self, value: Any) -> Category | None:
        value = super().clean(value)
        if value in self.empty_values:
            return None
        category = active_category(value)
        if category is None:  # deactivated between the choices and now
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return category


class PetitionForm(forms.Form):
    """A petition's fields as the citizen (portal) or an officer (back office) fills them in.

    Parses input; ``petitions.services.petition_submit`` checks it (``add_intake_errors`` asks the
    same checks of a form with errors, so that every error shows at once).
    """

    category = ActiveCategoryField(
        label=_("Topic"),
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
    documents = MultipleDocumentField(label=_("Documents (optional)"), required=False)
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
        label=_(
            "My petition and its response may be published on this portal, without my name or contact "
            "details; others with the same problem can then co-sign it."
        ),
        required=False,
    )

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
        self.fields["submitter_name"].help_text = self._name_hint()
        # Formatted per request, so it follows the active language.
        self.fields["photos"].help_text = photos_hint()

    def _name_hint(self) -> str:
        """When the name, marked required, may be left out: anonymous petitions, in the topics that allow them."""
        topics = active_categories()
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

    def submission(self, **extra: Any) -> Submission:
        """The cleaned fields as a ``Submission`` (those a subclass removed are left out), with ``extra``."""
        fields = {name: self.cleaned_data[name] for name in self.SUBMITTED_FIELDS if name in self.fields}
        return Submission(**fields, **extra)

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
        for required in ("category", "commune", "phone", "title", "text"):
            fields.setdefault(required, "")
        try:
            petition_validate(Submission(**fields))
        except ValidationError as error:
            for field, messages in error.message_dict.items():
                if field in self.fields and not self.has_error(field):
                    self.add_error(field, messages)
