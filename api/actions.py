"""Case actions over the API: the back office's own registry, forms and services, with JSON in and out.

``routing.actions.ACTIONS`` names each action with its form and the service it
runs. The API builds one request serializer per action from that form's fields
(types for the schema and a first check of the input), then binds the very
same form (which checks choices against the case: officers of the unit, units
of the same level, the extension limit...) and runs the very same service
(which locks the row, compares ``version``, checks jurisdiction, state and
permission). So the rules cannot diverge between the two.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.db import models
from rest_framework import serializers

from api.fields import JsonCharField, JsonDateField, JsonIntegerField
from routing.actions import ACTIONS, Action, ActionForm, not_permitted_message

Serializer = serializers.Serializer[Any]

#: What each action is, for the OpenAPI document.
DESCRIPTIONS = {
    "accept": "Accept a submitted case and assign it (an officer takes it; a leader assigns any officer of the unit).",
    "reject": "Refuse a submitted petition; the reason is shown to the citizen.",
    "mark_duplicate": "Merge a submitted case into an earlier one (its tracking code); the citizen follows the original.",
    "escalate": "Send the case to the parent unit, where a new triage clock starts.",
    "transfer": "Hand a submitted case to another unit of the same level under the same parent (leader).",
    "return_down": "Send a submitted case from a province or central down to a unit below (leader).",
    "refer": "Ask an outside agency for input; the resolution clock pauses until it replies.",
    "agency_replied": "Record the agency's reply; the resolution clock resumes.",
    "ask_citizen": (
        "Ask the citizen a public question (the assigned officer or a leader); the resolution clock pauses "
        "until they answer on their page, or until the sweep returns the case (`citizen_no_answer`)."
    ),
    "reassign": "Give an accepted case to another officer of the unit (leader).",
    "extend": "Extend the resolution deadline once at this unit (leader); the reason is shown to the citizen.",
    "submit_response": "Draft the response; it waits for a leader's approval.",
    "approve": (
        "Publish the drafted response to the citizen (leader). With `text`, the leader's edit of the draft "
        "is published instead; the officer's draft stays in the internal timeline (a `response_edited` event)."
    ),
    "send_back": "Return the draft to the officer with a note (leader).",
}

#: What a choice field of a form means in the API (the form checks the id against the case).
CHOICE_HELP = {
    "assignee": "Id of an active officer of the handling unit (officers may only name themselves).",
    "officer": "Id of another active officer of the handling unit.",
    "unit": "Id of the unit to send the case to (see the unit rules of the action).",
    "days": "Working days, 1 to the longest extension of the unit's SLA policy (10 by default).",
}


def url_segment(name: str) -> str:
    """``mark_duplicate`` → ``mark-duplicate``: the action's path segment."""
    return name.replace("_", "-")


def _serializer_field(name: str, field: forms.Field) -> serializers.Field:
    help_text = CHOICE_HELP.get(name) or str(field.help_text or "")
    common: dict[str, Any] = {"required": field.required, "help_text": help_text or None}
    if name == "version":
        return JsonIntegerField(
            min_value=1, help_text="The case version you acted on; a newer one answers 409 conflict."
        )
    if isinstance(field, forms.ModelChoiceField):
        # Beyond the key's range the database raises instead of finding nothing (users have 32-bit keys).
        queryset = field.queryset
        big = queryset is not None and isinstance(queryset.model._meta.pk, models.BigAutoField)
        return JsonIntegerField(min_value=1, max_value=2**63 - 1 if big else 2**31 - 1, **common)
    if isinstance(field, forms.IntegerField):
        if field.min_value is not None:
            common["min_value"] = field.min_value
        return JsonIntegerField(max_value=field.max_value or 2**31 - 1, **common)
    if isinstance(field, forms.DateField):
        return JsonDateField(**common)
    if isinstance(field, forms.CharField):
        if field.max_length is not None:
            common["max_length"] = field.max_length
        return JsonCharField(allow_blank=not field.required, **common)
    raise TypeError(f"no API field for form field {name}: {type(field).__name__}")  # pragma: no cover


def _request_serializer(action: Action) -> type[Serializer]:
    # Files come with the desk's form; a JSON body carries none (an API draft has no documents).
    form_fields: dict[str, forms.Field] = {
        name: field
        for name, field in action.form.base_fields.items()
        if not isinstance(field, forms.FileField)
    }
    # `version` first: every action carries it.
    ordered = {"version": form_fields.pop("version"), **form_fields}
    attrs: dict[str, Any] = {name: _serializer_field(name, field) for name, field in ordered.items()}
    camel = "".join(part.title() for part in action.name.split("_"))
    attrs["__doc__"] = DESCRIPTIONS.get(action.name, "")
    attrs["__module__"] = __name__
    return type(f"{camel}ActionSerializer", (serializers.Serializer,), attrs)


REQUEST_SERIALIZERS: dict[str, type[Serializer]] = {
    name: _request_serializer(a) for name, a in ACTIONS.items()
}


def form_data(validated: dict[str, Any]) -> dict[str, Any]:
    """Serializer output as form input (dates as ISO strings, like a browser sends them)."""
    return {
        key: value.isoformat() if isinstance(value, dt.date) else value
        for key, value in validated.items()
        if value is not None
    }


def bind_form(action: Action, *, case: Any, user: Any, validated: dict[str, Any]) -> ActionForm:
    return action.form(form_data(validated), case=case, user=user)


def leader_only_message(action: str = "") -> str:
    """Why a member of the handling unit may not do ``action`` (the desk says the same)."""
    return not_permitted_message(action)
