"""Fields for JSON request bodies that take only the JSON type the schema states.

DRF's fields coerce: a ``CharField`` turns ``0`` into ``"0"``, a ``BooleanField`` takes ``0``, ``"yes"``
and ``"off"``, an ``IntegerField`` takes ``"5"`` and ``5.0``. For a query string that is right (every
value there is text); for a JSON body it hides a client's bug. ``{"reason": 0}`` rejected a case and
showed the citizen "0". So the bodies the API reads are made of these, and the schema's types are
the only ones accepted.
"""

from __future__ import annotations

from typing import Any

from rest_framework import serializers


class JsonCharField(serializers.CharField):
    """A JSON string; a number, a boolean, a list or an object is refused."""

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class JsonRegexField(serializers.RegexField):
    """A JSON string matching the field's pattern."""

    default_error_messages = {"not_text": "Not a valid string."}

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("not_text")  # "invalid" is the pattern's: "not in the expected form"
        return super().to_internal_value(data)


class JsonBooleanField(serializers.BooleanField):
    """``true`` or ``false``; not ``0``, ``1``, ``"true"`` or ``"on"``."""

    def to_internal_value(self, data: Any) -> bool:
        if not isinstance(data, bool):
            self.fail("invalid", input=data)
        return data


class JsonIntegerField(serializers.IntegerField):
    """A JSON integer; not a string of digits, a fraction or a boolean."""

    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return int(super().to_internal_value(data))


class JsonFloatField(serializers.FloatField):
    """A JSON number; not a string or a boolean."""

    def to_internal_value(self, data: Any) -> float:
        if isinstance(data, bool) or not isinstance(data, int | float):
            self.fail("invalid")
        return float(super().to_internal_value(data))


class JsonDateField(serializers.DateField):
    """A JSON string holding an ISO date."""

    def to_internal_value(self, data: Any) -> Any:
        if not isinstance(data, str):
            self.fail("invalid", format="YYYY-MM-DD")
        return super().to_internal_value(data)
