"""What the API reads and writes. Explicit fields only, so the OpenAPI schema says exactly what is sent.

Output serializers take plain model instances (or the dicts ``api.presenters``
builds) and never reach for related rows that the selectors did not load.
"""

from __future__ import annotations

import re
from typing import Any

from django.core.validators import ProhibitNullCharactersValidator
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.fields import empty
from rest_framework.validators import ProhibitSurrogateCharactersValidator

from api.fields import JsonBooleanField, JsonCharField, JsonFloatField, JsonRegexField
from api.presenters import case_documents
from petitions.models import (
    ADDRESS_MAX_LENGTH,
    NAME_MAX_LENGTH,
    TEXT_MAX_LENGTH,
    TITLE_MAX_LENGTH,
    ReceivedVia,
)
from routing.models import ActorKind, CaseState, EventKind, Level
from routing.services import NOTE_MAX_LENGTH

#: The case actions of the back office (routing.actions.ACTIONS) as the API names them: by the path
#: segment of their endpoint, POST /api/v1/cases/{id}/{action}/ (``api.actions.url_segment``).
ACTION_CHOICES = [
    ("accept", "accept"),
    ("reject", "reject"),
    ("mark-duplicate", "mark-duplicate"),
    ("escalate", "escalate"),
    ("transfer", "transfer"),
    ("return-down", "return-down"),
    ("refer", "refer"),
    ("agency-replied", "agency-replied"),
    ("ask-citizen", "ask-citizen"),
    ("reassign", "reassign"),
    ("extend", "extend"),
    ("submit-response", "submit-response"),
    ("approve", "approve"),
    ("send-back", "send-back"),
]
#: The languages a citizen can be written to in (SMS and email), with the petition's tracking link.
CITIZEN_LANGUAGES = [("vi", "Tiếng Việt"), ("en", "English")]

Serializer = serializers.Serializer[Any]


class NullableChoiceField(serializers.ChoiceField):
    """A choice stored as a blank string when unset; the API sends null instead of ``""``."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(allow_null=True, **kwargs)

    def to_representation(self, value: Any) -> Any:
        return None if value in ("", None) else super().to_representation(value)


# --- reference data --------------------------------------------------------------------------


class CategorySerializer(Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField(source="display_name", help_text="In the request's language.")
    name_vi = serializers.CharField(source="name")
    name_en = serializers.CharField()
    description = serializers.CharField()
    allows_anonymous = serializers.BooleanField()
    default_level = NullableChoiceField(
        choices=Level.choices, help_text="Petitions of this category go straight to this level."
    )


class ProvinceSerializer(Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
    division_type = serializers.CharField()
    admin_code = serializers.IntegerField(allow_null=True)


class CommuneSerializer(ProvinceSerializer):
    province_code = serializers.CharField(source="parent.code")


class UnitRefSerializer(Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
    level = serializers.ChoiceField(choices=Level.choices)


class PublicUnitSerializer(Serializer):
    name = serializers.CharField()
    level = serializers.ChoiceField(choices=Level.choices)


class UserRefSerializer(Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    name = serializers.SerializerMethodField()

    def get_name(self, user: Any) -> str:
        return str(user.get_full_name() or user.username)


# --- public: submitting and tracking ----------------------------------------------------------


#: A code, an id or a national register code of a category or unit: letters, digits, ``-`` and ``_``;
#: a number within 64 bits.
REFERENCE = re.compile(r"^(?:[0-9]{1,18}|[A-Za-z0-9_-]*[A-Za-z_-][A-Za-z0-9_-]*)$")


def _reference(max_length: int, help_text: str, **kwargs: Any) -> JsonRegexField:
    return JsonRegexField(REFERENCE, max_length=max_length, help_text=help_text, **kwargs)


def _types_only(field: serializers.Field) -> None:
    """Relax ``field`` to a check of its JSON type: presence, blanks, lengths and shapes are left to the service."""
    field.required = False
    field.allow_null = True
    if field.default is empty:
        field.default = None
    if hasattr(field, "allow_blank"):
        field.allow_blank = True
    # Kept: text with NUL or lone surrogate characters cannot be stored (PostgreSQL refuses it).
    field.validators = [
        validator
        for validator in field.validators
        if isinstance(validator, ProhibitNullCharactersValidator | ProhibitSurrogateCharactersValidator)
    ]


class PetitionSubmitSerializer(Serializer):
    """A petition as a citizen (or a partner app on their behalf) files it. Photos are not taken by the API.

    The fields say what a valid petition is (for the schema). The view builds it with
    ``context={"types_only": True}``: then only the JSON types are checked here, and the
    intake service (``petition_submit``) checks everything else, answering every field's
    problem at once in the portal's own words.
    """

    category = _reference(40, "Category code (or id), from /categories/.")
    commune = _reference(
        16,
        "Commune code (or id), from /provinces/{code}/communes/; or its national register code when "
        "it starts with 0 (00070: a number without a leading 0 is an id).",
    )
    province = _reference(
        16,
        "Optional, checked against the commune: province code (or id), or its national register code "
        "when it starts with 0 (01).",
        required=False,
        allow_blank=True,
    )
    phone = JsonCharField(max_length=32, help_text="Vietnamese or international number; stored E.164.")
    submitter_name = JsonCharField(max_length=NAME_MAX_LENGTH, required=False, allow_blank=True, default="")
    is_anonymous = JsonBooleanField(
        required=False, default=False, help_text="Only for categories that allow it."
    )
    email = JsonCharField(max_length=254, required=False, allow_blank=True, default="")
    title = JsonCharField(max_length=TITLE_MAX_LENGTH)
    text = JsonCharField(max_length=TEXT_MAX_LENGTH)
    address = JsonCharField(max_length=ADDRESS_MAX_LENGTH, required=False, allow_blank=True, default="")
    latitude = JsonFloatField(required=False, allow_null=True, default=None)
    longitude = JsonFloatField(required=False, allow_null=True, default=None)
    target_level = serializers.ChoiceField(
        choices=Level.choices,
        required=False,
        allow_blank=True,
        default="",
        help_text="Address a level directly.",
    )
    consent_publish = JsonBooleanField(
        required=False,
        default=False,
        help_text=(
            "The citizen agrees that the petition and its response may be published, without name or contact "
            "details (published petitions can be co-signed)."
        ),
    )
    language = serializers.ChoiceField(
        choices=CITIZEN_LANGUAGES,
        required=False,
        default="vi",
        help_text="The citizen's language: of the SMS/email receipt, later messages and the tracking link. "
        "Accept-Language does not change it; it only chooses the language of the API's answer.",
    )

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        if self.context.get("types_only"):
            for field in fields.values():
                _types_only(field)
        return fields


class SubmissionSerializer(Serializer):
    tracking_code = serializers.CharField()
    token = serializers.CharField(
        allow_null=True,
        help_text="The secret tracking token: shown once. Null when an idempotent retry returned an earlier petition.",
    )
    tracking_url = serializers.CharField(allow_null=True, help_text="The citizen's private tracking link.")
    created = serializers.BooleanField(
        help_text="False when an idempotent retry returned an earlier petition."
    )
    state = serializers.ChoiceField(choices=CaseState.choices)
    unit = PublicUnitSerializer()
    submitted_at = serializers.DateTimeField()
    triage_due_at = serializers.DateTimeField(allow_null=True)


class TimelineEntrySerializer(Serializer):
    kind = serializers.ChoiceField(choices=EventKind.choices)
    created_at = serializers.DateTimeField()
    sentence = serializers.CharField(help_text="What happened, worded for the citizen.")
    note = serializers.CharField(help_text="A public note or reason; may be empty.")


class PublicResponseSerializer(Serializer):
    text = serializers.CharField()
    responded_at = serializers.DateTimeField()
    unit = serializers.CharField()


class OriginalPetitionSerializer(Serializer):
    tracking_code = serializers.CharField()
    state = serializers.ChoiceField(choices=CaseState.choices)
    state_label = serializers.CharField()
    response = serializers.CharField(allow_null=True)


class DocumentSerializer(Serializer):
    """A PDF document of the petition (the citizen's, sent with the petition or added later)."""

    id = serializers.IntegerField()
    name = serializers.CharField(help_text="The file name; the download is named so.")
    size = serializers.IntegerField(help_text="In bytes.")
    pages = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    url = serializers.CharField(
        help_text="Where to download it, with the same credentials as this answer's; always served as an "
        "attachment (Content-Disposition: attachment)."
    )


class PublicCaseSerializer(Serializer):
    """What the citizen's tracking page shows; nothing internal."""

    tracking_code = serializers.CharField()
    version = serializers.IntegerField()
    title = serializers.CharField()
    text = serializers.CharField()
    category = serializers.CharField()
    province = serializers.CharField()
    commune = serializers.CharField()
    submitted_at = serializers.DateTimeField()
    state = serializers.ChoiceField(choices=CaseState.choices)
    state_label = serializers.CharField()
    status = serializers.CharField(help_text="The status in one sentence.")
    unit = PublicUnitSerializer()
    due_at = serializers.DateTimeField(allow_null=True)
    timeline = TimelineEntrySerializer(many=True)
    response = PublicResponseSerializer(allow_null=True)
    original = OriginalPetitionSerializer(
        allow_null=True, help_text="For a duplicate: the petition it joined."
    )
    rating = serializers.IntegerField(allow_null=True)
    documents = DocumentSerializer(
        many=True,
        help_text="The petition's PDF documents; download each from its url with X-Tracking-Token. Empty past "
        "the retention period.",
    )


#: Links kept with information a partner adds (the portal never fetches them).
MEDIA_URL_PATTERN = r"^https?://\S+$"


class AdditionSerializer(Serializer):
    """What the citizen adds, sent by their app or by the partner that filed the petition."""

    text = JsonCharField(
        max_length=NOTE_MAX_LENGTH,
        help_text="The citizen's words: added information, or their answer while the unit waits for one.",
    )
    media_urls = serializers.ListField(
        child=JsonRegexField(MEDIA_URL_PATTERN, max_length=500),
        required=False,
        default=list,
        max_length=5,
        help_text="Links to photos or documents at the partner's (http or https): kept for the handling unit, "
        "never fetched by the portal. Files cannot be uploaded through the API.",
    )


class AdditionResultSerializer(Serializer):
    id = serializers.IntegerField(help_text="The update's id.")
    kind = serializers.ChoiceField(
        choices=EventKind.choices,
        help_text="citizen_answered: the answer to the unit's question (the case went back to the officer); "
        "citizen_info: added information (state, unit and deadlines unchanged).",
    )
    created = serializers.BooleanField(
        help_text="False when an idempotent retry returned the earlier update."
    )
    created_at = serializers.DateTimeField()
    tracking_code = serializers.CharField()
    state = serializers.ChoiceField(choices=CaseState.choices, help_text="The case's state now.")
    state_label = serializers.CharField()
    version = serializers.IntegerField()


# --- staff: cases ------------------------------------------------------------------------------


#: Text without a NUL, which the API refuses in every text it reads (PostgreSQL cannot hold it).
#: Non-empty: for a field that may be blank, drf-spectacular adds ``""`` as the other branch of a
#: ``oneOf``, and a pattern matching ``""`` too would make the empty text match both, so neither.
NO_NUL_PATTERN = r"^[^\u0000]+$"


@extend_schema_field({"type": "string", "maxLength": 200, "pattern": NO_NUL_PATTERN})
class SearchTextField(serializers.CharField):
    """The case list's ``q``: its schema says that a NUL is refused, as the field does (a 400)."""


class CaseFilterSerializer(Serializer):
    """Query parameters of the case list (all optional, combined with AND)."""

    state = serializers.ListField(
        child=serializers.ChoiceField(choices=CaseState.choices),
        required=False,
        max_length=len(CaseState.values),
        help_text="Repeat for several states.",
    )
    category = serializers.IntegerField(
        required=False, min_value=1, max_value=2**63 - 1, help_text="Category id."
    )
    level = serializers.ChoiceField(
        choices=Level.choices, required=False, help_text="Level of the handling unit."
    )
    unit = serializers.RegexField(r"^[A-Za-z0-9_-]{1,16}$", required=False, help_text="Handling unit code.")
    overdue = serializers.BooleanField(required=False, allow_null=True, default=None)
    assigned_to_me = serializers.BooleanField(required=False, allow_null=True, default=None)
    q = SearchTextField(
        required=False,
        allow_blank=True,
        max_length=200,
        help_text="Tracking code, or words of the title or text.",
    )
    submitted_since = serializers.DateField(required=False, help_text="On or after this day.")
    submitted_until = serializers.DateField(required=False, help_text="On or before this day.")


class PageSizeSerializer(Serializer):
    page_size = serializers.IntegerField(
        required=False, min_value=1, max_value=100, help_text="Cases per page (default 25, API_PAGE_SIZE)."
    )


class CategoryRefSerializer(Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField(source="display_name")


class CaseSummarySerializer(Serializer):
    id = serializers.IntegerField()
    version = serializers.IntegerField(help_text="Send it back with an action (optimistic concurrency).")
    tracking_code = serializers.CharField(source="petition.tracking_code")
    title = serializers.CharField(source="petition.title")
    category = CategoryRefSerializer(source="petition.category")
    commune = UnitRefSerializer(source="petition.commune")
    state = serializers.ChoiceField(choices=CaseState.choices)
    state_label = serializers.CharField(source="get_state_display")
    unit = UnitRefSerializer()
    assignee = UserRefSerializer(allow_null=True)
    submitted_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    due_at = serializers.DateTimeField(allow_null=True)
    is_overdue = serializers.BooleanField()
    cosigners = serializers.IntegerField(
        source="petition.cosigner_count",
        help_text="Citizens with the same problem who co-signed the published petition (each proved a phone).",
    )


class ContactSerializer(Serializer):
    name = serializers.CharField(source="submitter_name")
    is_anonymous = serializers.BooleanField()
    phone = serializers.CharField()
    email = serializers.CharField()
    address = serializers.CharField()


class EventSerializer(Serializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=EventKind.choices)
    kind_label = serializers.CharField(source="get_kind_display")
    created_at = serializers.DateTimeField()
    actor = UserRefSerializer(allow_null=True)
    actor_kind = serializers.ChoiceField(choices=ActorKind.choices)
    from_state = NullableChoiceField(choices=CaseState.choices)
    to_state = NullableChoiceField(choices=CaseState.choices)
    from_unit = UnitRefSerializer(allow_null=True)
    to_unit = UnitRefSerializer(allow_null=True)
    note = serializers.CharField()
    is_public = serializers.BooleanField(help_text="Shown to the citizen.")
    case_version = serializers.IntegerField()
    media_urls = serializers.SerializerMethodField(
        help_text="Links a partner sent with the citizen's words (never fetched by the portal): only for staff "
        "of the unit handling the case, else empty."
    )

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_media_urls(self, event: Any) -> list[str]:
        if not self.context.get("handles"):
            return []
        return [str(url) for url in (event.data or {}).get("media_urls") or []]


class CaseDocumentSerializer(DocumentSerializer):
    event = serializers.IntegerField(
        allow_null=True,
        help_text="The event it came with (added information, an answer); null: with the petition.",
    )


class DuplicateRefSerializer(Serializer):
    id = serializers.IntegerField()
    tracking_code = serializers.CharField(source="petition.tracking_code")


class CaseDetailSerializer(CaseSummarySerializer):
    text = serializers.CharField(source="petition.text")
    province = UnitRefSerializer(source="petition.province")
    channel = serializers.CharField(source="petition.channel")
    received_via = NullableChoiceField(
        source="petition.received_via",
        choices=ReceivedVia.choices,
        help_text="How the unit received a petition an officer entered (letter, phone...); null otherwise.",
    )
    received_at = serializers.DateTimeField(
        source="petition.received_at",
        allow_null=True,
        help_text="When the unit received it; its deadlines count from then. Null unless entered by an officer.",
    )
    late_entry_reason = serializers.CharField(
        source="petition.late_entry_reason", help_text="Why it was entered days after it was received."
    )
    target_level = NullableChoiceField(source="petition.target_level", choices=Level.choices)
    latitude = serializers.FloatField(source="petition.latitude", allow_null=True)
    longitude = serializers.FloatField(source="petition.longitude", allow_null=True)
    triaged_at = serializers.DateTimeField(allow_null=True)
    responded_at = serializers.DateTimeField(allow_null=True)
    closed_at = serializers.DateTimeField(allow_null=True)
    triage_due_at = serializers.DateTimeField(allow_null=True)
    resolution_due_at = serializers.DateTimeField(allow_null=True)
    agency_due_at = serializers.DateTimeField(allow_null=True)
    feedback_due_at = serializers.DateTimeField(allow_null=True)
    citizen_due_at = serializers.DateTimeField(
        allow_null=True, help_text="While the unit waits for the citizen's answer: when the window ends."
    )
    extension_used = serializers.BooleanField()
    agency_name = serializers.CharField()
    response_text = serializers.CharField(help_text="The drafted or published response.")
    rating = serializers.IntegerField(allow_null=True)
    citizen_comment = serializers.CharField()
    duplicate_of = DuplicateRefSerializer(allow_null=True)
    handles = serializers.SerializerMethodField(help_text="True when the caller's unit handles the case now.")
    contact = serializers.SerializerMethodField(
        help_text="The citizen's contact details: only for staff of the unit handling the case, else null."
    )
    available_actions = serializers.SerializerMethodField(
        help_text="Actions the caller may run now, named as their endpoints: POST /api/v1/cases/{id}/{action}/."
    )
    events = serializers.SerializerMethodField(help_text="The whole timeline, internal events included.")
    documents = serializers.SerializerMethodField(
        help_text="The petition's PDF documents, each with its download url: only for staff of the unit handling "
        "the case, else null."
    )

    def get_handles(self, case: Any) -> bool:
        return bool(self.context.get("handles"))

    @extend_schema_field(ContactSerializer(allow_null=True))
    def get_contact(self, case: Any) -> dict[str, Any] | None:
        if not self.context.get("handles"):
            return None
        return dict(ContactSerializer(case.petition).data)

    @extend_schema_field(serializers.ListField(child=serializers.ChoiceField(choices=ACTION_CHOICES)))
    def get_available_actions(self, case: Any) -> list[str]:
        return list(self.context.get("available_actions", []))

    @extend_schema_field(EventSerializer(many=True))
    def get_events(self, case: Any) -> list[dict[str, Any]]:
        context = {"handles": self.context.get("handles")}
        return list(EventSerializer(self.context.get("events", []), many=True, context=context).data)

    @extend_schema_field(CaseDocumentSerializer(many=True, allow_null=True))
    def get_documents(self, case: Any) -> list[dict[str, Any]] | None:
        if not self.context.get("handles"):
            return None
        return list(CaseDocumentSerializer(case_documents(case), many=True).data)


class NoteSerializer(Serializer):
    text = JsonCharField(max_length=NOTE_MAX_LENGTH)
    is_public = JsonBooleanField(
        required=False, default=False, help_text="Shown to the citizen when true; staff only otherwise."
    )


class ActionResultSerializer(Serializer):
    id = serializers.IntegerField()
    version = serializers.IntegerField()
    state = serializers.ChoiceField(choices=CaseState.choices)
    unit = UnitRefSerializer()
    case = CaseDetailSerializer(
        allow_null=True, help_text="The case after the action; null when it left the caller's sight."
    )
