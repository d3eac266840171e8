"""The API's one error format: ``{"error": {"code": ..., "message": ..., "fields": {...}}}``.

Codes are stable (clients branch on them); messages are translated into the
request's language (``Accept-Language``: Vietnamese by default, or English).
Every error the API returns goes through ``exception_handler``, including
errors raised by the case and intake services.

Django REST framework's own messages are never shown: its Vietnamese catalog
is almost empty, and some of its messages mix languages (the 429 appended
"Expected available in N seconds."). Its exceptions get our messages by class
(``exception_handler``), and the per-field messages of its serializer fields
ours by error code (``validated``).
"""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, JsonResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, inline_serializer
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.settings import api_settings

from config.bodies import unreadable_body
from routing.errors import CaseActionForbidden, CaseConflict, TransitionNotPossible

NOT_AUTHENTICATED = "not_authenticated"
PERMISSION_DENIED = "permission_denied"
NOT_FOUND = "not_found"
METHOD_NOT_ALLOWED = "method_not_allowed"
NOT_ACCEPTABLE = "not_acceptable"
UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type"
CONFLICT = "conflict"
TRANSITION_NOT_ALLOWED = "transition_not_allowed"
THROTTLED = "throttled"
VALIDATION_FAILED = "validation_failed"
PAYLOAD_TOO_LARGE = "payload_too_large"
UNAVAILABLE = "unavailable"

ERROR_CODES = (
    NOT_AUTHENTICATED,
    PERMISSION_DENIED,
    NOT_FOUND,
    METHOD_NOT_ALLOWED,
    NOT_ACCEPTABLE,
    UNSUPPORTED_MEDIA_TYPE,
    CONFLICT,
    TRANSITION_NOT_ALLOWED,
    THROTTLED,
    VALIDATION_FAILED,
    PAYLOAD_TOO_LARGE,
)
ERROR_CODE_CHOICES = [(code, code) for code in ERROR_CODES]


class ApiError(exceptions.APIException):
    """An error with one of the stable codes, for views to raise directly."""

    def __init__(self, *, status_code: int, code: str, message: str) -> None:
        self.status_code = status_code
        self.error_code = code
        super().__init__(detail=message, code=code)


class Throttled(ApiError):
    """Over a rate limit: 429 with Retry-After (``wait`` seconds)."""

    def __init__(self, wait: int) -> None:
        self.wait = max(1, int(wait))
        super().__init__(
            status_code=status.HTTP_429_TOO_MANY_REQUESTS,
            code=THROTTLED,
            message=_("Too many requests. Try again in %(seconds)s seconds.") % {"seconds": self.wait},
        )


class CredentialsRefused(exceptions.AuthenticationFailed):
    """Our own 401 (a staff token or partner key we refuse), with our own message.

    An ``AuthenticationFailed`` so that DRF answers 401 with WWW-Authenticate.
    """


class Conflict(ApiError):
    def __init__(self, message: str | None = None, *, code: str = CONFLICT) -> None:
        super().__init__(
            status_code=status.HTTP_409_CONFLICT,
            code=code,
            message=message
            or _("Someone else updated this case a moment ago. Review its current state and try again."),
        )


def not_found() -> ApiError:
    return ApiError(
        status_code=status.HTTP_404_NOT_FOUND, code=NOT_FOUND, message=_("Nothing was found at this address.")
    )


# --- the schema of an error, for the OpenAPI document --------------------------------------


# Built with inline_serializer: a declared field named ``fields`` would shadow Serializer.fields for mypy.
ErrorDetailSerializer = inline_serializer(
    "ErrorDetail",
    {
        "code": serializers.ChoiceField(choices=ERROR_CODE_CHOICES, help_text="Stable error code."),
        "message": serializers.CharField(help_text="What went wrong, in the request's language."),
        "fields": serializers.DictField(
            child=serializers.ListField(child=serializers.CharField()),
            required=False,
            help_text="For validation_failed: messages per input field (non_field_errors for the whole input).",
        ),
    },
)
ErrorSerializer = inline_serializer("Error", {"error": ErrorDetailSerializer})


def _payload(code: str, message: str, fields: dict[str, list[str]] | None = None) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message}
    if fields is not None:
        error["fields"] = fields
    return {"error": error}


_DESCRIPTIONS = {
    400: "validation_failed: the input is not valid (see `fields`).",
    401: "not_authenticated: no valid staff token (or a partner key that is not valid).",
    403: "permission_denied: the token's user may not do this.",
    404: "not_found: no such resource, or not one the caller may see.",
    409: "conflict (the case changed since `version`) or transition_not_allowed (not in its current state).",
    413: "payload_too_large: the body is larger than the API reads.",
    415: "unsupported_media_type: the body is not JSON (send Content-Type: application/json).",
    429: "throttled: too many requests; see Retry-After.",
}

#: One example per status, as the API answers it in English (Accept-Language: en).
_EXAMPLES: dict[int, list[tuple[str, dict[str, Any]]]] = {
    400: [
        (
            "validation_failed",
            _payload(
                VALIDATION_FAILED,
                "Some of the input is not valid. See the messages per field.",
                {
                    "title": ["Give your petition a short title."],
                    "phone": ["Enter a valid phone number, for example 0912 345 678."],
                },
            ),
        )
    ],
    401: [
        (
            "not_authenticated",
            _payload(
                NOT_AUTHENTICATED,
                "Send the API token of an active staff member: Authorization: Token <key>.",
            ),
        )
    ],
    403: [
        (
            "permission_denied",
            _payload(PERMISSION_DENIED, "Only staff of the unit handling this case can act on it."),
        )
    ],
    404: [("not_found", _payload(NOT_FOUND, "Nothing was found at this address."))],
    409: [
        (
            "conflict",
            _payload(
                CONFLICT,
                "Someone else updated this case a moment ago. Review its current state and try again.",
            ),
        ),
        (
            "transition_not_allowed",
            _payload(
                TRANSITION_NOT_ALLOWED, "This action is not possible for the case in its current state."
            ),
        ),
    ],
    413: [
        (
            "payload_too_large",
            _payload(
                PAYLOAD_TOO_LARGE, "The request body is too large: at most 2.5 MB of fields can be sent."
            ),
        )
    ],
    415: [
        (
            "unsupported_media_type",
            _payload(UNSUPPORTED_MEDIA_TYPE, "Send the body as JSON, with Content-Type: application/json."),
        )
    ],
    429: [("throttled", _payload(THROTTLED, "Too many requests. Try again in 1218 seconds."))],
}


def error_responses(*statuses: int) -> dict[int, OpenApiResponse]:
    """The documented error responses of an operation (all share one schema, each status its example)."""
    return {
        code: OpenApiResponse(
            ErrorSerializer,
            description=_DESCRIPTIONS[code],
            examples=[
                OpenApiExample(name, value=value, status_codes=[code], response_only=True)
                for name, value in _EXAMPLES[code]
            ],
        )
        for code in statuses
    }


# --- turning exceptions into responses ------------------------------------------------------


def _messages(value: Any) -> list[str]:
    """Every message inside a DRF error detail (lists and dicts of lists, nested), as strings."""
    if isinstance(value, dict):
        return [message for item in value.values() for message in _messages(item)]
    if isinstance(value, list | tuple):
        return [message for item in value for message in _messages(item)]
    return [str(value)]


def field_errors(detail: Any) -> dict[str, list[str]]:
    """``{"field": ["message", ...]}`` from a DRF or Django validation error detail."""
    if isinstance(detail, dict):
        return {
            ("non_field_errors" if key in ("__all__", None) else str(key)): _messages(value)
            for key, value in detail.items()
        }
    return {"non_field_errors": _messages(detail)}


def error_response(
    status_code: int, code: str, message: str, fields: dict[str, list[str]] | None = None
) -> Response:
    return Response(_payload(code, message, fields), status=status_code)


def body_error_response(status_code: int, message: str) -> JsonResponse:
    """A body the API did not read (over the size cap, too many fields, broken): 413 or 400, outside DRF."""
    code = PAYLOAD_TOO_LARGE if status_code == status.HTTP_413_REQUEST_ENTITY_TOO_LARGE else VALIDATION_FAILED
    fields = None if code == PAYLOAD_TOO_LARGE else {"non_field_errors": [message]}
    return JsonResponse(
        _payload(code, message, fields), status=status_code, json_dumps_params={"ensure_ascii": False}
    )


#: The database cannot be reached (``config.unavailable``): said by the API and Open311 alike.
UNAVAILABLE_MESSAGE = gettext_lazy(
    "The service is briefly unavailable. What you just sent was not received: send it again in a minute."
)


def unavailable_payload() -> dict[str, Any]:
    """The database cannot be reached (``config.unavailable``): 503, try again; nothing was received."""
    return _payload(UNAVAILABLE, str(UNAVAILABLE_MESSAGE))


def validation_response(detail: Any) -> Response:
    return error_response(
        status.HTTP_400_BAD_REQUEST,
        VALIDATION_FAILED,
        _("Some of the input is not valid. See the messages per field."),
        field_errors(detail),
    )


def _django_validation_detail(exc: DjangoValidationError) -> Any:
    return exc.message_dict if hasattr(exc, "error_dict") else exc.messages


# --- our words for DRF's field messages --------------------------------------------------------


def _field_message(field: Any, code: str | None, fallback: str) -> str:
    """Our message for DRF's error ``code`` on ``field`` (its limits and choices filled in)."""
    if code == "required":
        return _("This field is required.")
    if code == "null":
        return _("This field may not be null.")
    if code == "blank":
        return _("This field may not be blank.")
    if code in ("null_characters_not_allowed", "surrogate_characters_not_allowed"):
        return _("This text contains characters that are not allowed.")
    is_list = isinstance(field, serializers.ListField | serializers.ListSerializer)
    if code == "max_length":
        count = getattr(field, "max_length", None)
        if is_list:
            return _("At most %(count)s items.") % {"count": count}
        return _("At most %(count)s characters.") % {"count": count}
    if code == "min_length":
        count = getattr(field, "min_length", None)
        if is_list:
            return _("At least %(count)s items.") % {"count": count}
        return _("At least %(count)s characters.") % {"count": count}
    if code == "max_value":
        return _("At most %(value)s.") % {"value": getattr(field, "max_value", None)}
    if code == "min_value":
        return _("At least %(value)s.") % {"value": getattr(field, "min_value", None)}
    if code in ("max_string_length", "overflow"):
        return _("This number is too large.")
    if code == "invalid_choice":
        choices = ", ".join(str(choice) for choice in getattr(field, "choices", {}))
        return _("Choose one of: %(choices)s.") % {"choices": choices}
    if code in ("not_a_list", "empty"):
        return _("Send a list of values.") if code == "not_a_list" else _("This list may not be empty.")
    if code == "not_text":
        return _("Send text.")
    if code in ("not_a_dict", "datetime", "date", "invalid"):
        return _invalid_message(field, code)
    return fallback


def _invalid_message(field: Any, code: str) -> str:
    if isinstance(field, serializers.Serializer | serializers.DictField) or code == "not_a_dict":
        return _("Send a JSON object with the fields of this operation.")
    if isinstance(field, serializers.BooleanField):
        return _("Send true or false.")
    if isinstance(field, serializers.IntegerField):
        return _("Send a whole number.")
    if isinstance(field, serializers.FloatField):
        return _("Send a number.")
    if isinstance(field, serializers.DateTimeField) or code == "date":
        return _("Send a date and time, for example 2026-11-21T09:30:00+07:00.")
    if isinstance(field, serializers.DateField):
        return _("Send a date, for example 2026-11-21.")
    if isinstance(field, serializers.RegexField):
        return _("This value is not in the expected form.")
    return _("Send text.")


def _translate(field: Any, detail: Any) -> Any:
    if isinstance(detail, dict):
        return {key: _translate(_child(field, key), value) for key, value in detail.items()}
    if isinstance(detail, list | tuple):
        return [_translate(field, item) for item in detail]
    return _field_message(field, getattr(detail, "code", None), str(detail))


def _child(field: Any, key: Any) -> Any:
    if isinstance(field, serializers.ListField):
        return field.child
    if isinstance(field, serializers.ListSerializer):
        return field.child
    if isinstance(field, serializers.Serializer) and key != api_settings.NON_FIELD_ERRORS_KEY:
        return field.fields.get(key, field)
    return field


def validated(serializer: serializers.BaseSerializer[Any]) -> Any:
    """``serializer.validated_data``, or a 400 with every message of every field in our words."""
    if not serializer.is_valid():
        raise exceptions.ValidationError(_translate(serializer, serializer.errors))
    return serializer.validated_data


# --- turning exceptions into responses ------------------------------------------------------


def _not_json_fields(exc: exceptions.ParseError) -> dict[str, list[str]]:
    # DRF's detail is English ("JSON parse error - Expecting value: line 1 column 2 (char 1)"): keep the place.
    place = re.search(r"line (\d+) column (\d+)", str(exc.detail))
    if place is None:
        return {"non_field_errors": [_("The request body is not valid JSON.")]}
    message = _("The request body is not valid JSON (line %(line)s, column %(column)s).") % {
        "line": place.group(1),
        "column": place.group(2),
    }
    return {"non_field_errors": [message]}


def _drf_error(exc: exceptions.APIException) -> tuple[str, str]:
    """The stable code and our message for one of DRF's own exceptions (never its English detail)."""
    if isinstance(exc, exceptions.NotAuthenticated):
        return NOT_AUTHENTICATED, _(
            "Send the API token of an active staff member: Authorization: Token <key>."
        )
    if isinstance(exc, exceptions.AuthenticationFailed):
        return NOT_AUTHENTICATED, _("This API token is not valid.")
    if isinstance(exc, exceptions.PermissionDenied):
        return PERMISSION_DENIED, _("You may not do this.")
    if isinstance(exc, exceptions.NotFound):
        return NOT_FOUND, _("Nothing was found at this address.")
    if isinstance(exc, exceptions.MethodNotAllowed):
        return METHOD_NOT_ALLOWED, _("This method is not allowed here.")
    if isinstance(exc, exceptions.NotAcceptable):
        return NOT_ACCEPTABLE, _("This API answers in JSON only (Accept: application/json).")
    if isinstance(exc, exceptions.UnsupportedMediaType):
        return UNSUPPORTED_MEDIA_TYPE, _("Send the body as JSON, with Content-Type: application/json.")
    if isinstance(exc, exceptions.Throttled):
        return THROTTLED, _("Too many requests. Try again later.")
    if exc.status_code == 400:
        return VALIDATION_FAILED, _("Some of the input is not valid. See the messages per field.")
    return PERMISSION_DENIED, _("You may not do this.")


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's exception handler for the API: every error in the one format, with a stable code."""
    if isinstance(exc, DjangoValidationError):
        return validation_response(_django_validation_detail(exc))
    body = unreadable_body(exc)
    if body is not None:
        # Django would answer these with its own HTML 400 page.
        status_code, message = body
        if status_code == status.HTTP_413_REQUEST_ENTITY_TOO_LARGE:
            return error_response(status_code, PAYLOAD_TOO_LARGE, message)
        return error_response(status_code, VALIDATION_FAILED, message, {"non_field_errors": [message]})
    if isinstance(exc, exceptions.ValidationError):
        return validation_response(exc.detail)
    if isinstance(exc, TransitionNotPossible):
        return error_response(status.HTTP_409_CONFLICT, TRANSITION_NOT_ALLOWED, exc.message)
    if isinstance(exc, CaseConflict):
        return error_response(status.HTTP_409_CONFLICT, CONFLICT, exc.message)
    if isinstance(exc, CaseActionForbidden):
        return error_response(status.HTTP_403_FORBIDDEN, PERMISSION_DENIED, exc.message)
    if isinstance(exc, Http404):
        exc = not_found()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    if not isinstance(exc, exceptions.APIException):
        return None  # a bug: Django's 500 handling (logged, no details shown)
    if isinstance(exc, exceptions.ParseError):
        return error_response(
            status.HTTP_400_BAD_REQUEST,
            VALIDATION_FAILED,
            _("The request body is not valid JSON."),
            _not_json_fields(exc),
        )

    if isinstance(exc, ApiError):
        code, message = exc.error_code, " ".join(_messages(exc.detail))
    elif isinstance(exc, CredentialsRefused):
        code, message = NOT_AUTHENTICATED, " ".join(_messages(exc.detail))
    else:
        code, message = _drf_error(exc)
    response = error_response(exc.status_code, code, message)
    # APIView.handle_exception chose 401 with this header (or 403 without an authenticator).
    auth_header = getattr(exc, "auth_header", None)
    if auth_header:
        response["WWW-Authenticate"] = str(auth_header)
    wait = getattr(exc, "wait", None)
    if wait is not None:
        response["Retry-After"] = str(max(1, int(wait)))
    return response


@csrf_exempt
def api_not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
    """Unknown addresses under /api/ answer in the API's format, not with the site's HTML page.

    CSRF-exempt like every API view: a POST to a mistyped address is a 404, not the site's CSRF page.
    """
    return JsonResponse(
        _payload(NOT_FOUND, _("Nothing was found at this address.")),
        status=404,
        json_dumps_params={"ensure_ascii": False},
    )
