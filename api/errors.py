"""The API's one error format: ``{"error": {"code": ..., "message": ..., "fields": {...}}}``.

Codes are stable (clients branch on them); messages are translated into the
request's language (``Accept-Language``: Vietnamese by default, or English).
Every error the API returns goes through ``exception_handler``, including
errors raised by the case and intake services.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.utils import OpenApiResponse, inline_serializer
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response

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
)
ERROR_CODE_CHOICES = [(code, code) for code in ERROR_CODES]


class ApiError(exceptions.APIException):
    """An error with one of the stable codes, for views to raise directly."""

    def __init__(self, *, status_code: int, code: str, message: str) -> None:
        self.status_code = status_code
        self.error_code = code
        super().__init__(detail=message, code=code)


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


_DESCRIPTIONS = {
    400: "validation_failed: the input is not valid (see `fields`).",
    401: "not_authenticated: no valid staff token.",
    403: "permission_denied: the token's user may not do this.",
    404: "not_found: no such resource, or not one the caller may see.",
    409: "conflict (the case changed since `version`) or transition_not_allowed (not in its current state).",
    429: "throttled: too many requests; see Retry-After.",
}


def error_responses(*statuses: int) -> dict[int, OpenApiResponse]:
    """The documented error responses of an operation (all share one schema)."""
    return {code: OpenApiResponse(ErrorSerializer, description=_DESCRIPTIONS[code]) for code in statuses}


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


def _payload(code: str, message: str, fields: dict[str, list[str]] | None = None) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message}
    if fields is not None:
        error["fields"] = fields
    return {"error": error}


def error_response(
    status_code: int, code: str, message: str, fields: dict[str, list[str]] | None = None
) -> Response:
    return Response(_payload(code, message, fields), status=status_code)


def validation_response(detail: Any) -> Response:
    return error_response(
        status.HTTP_400_BAD_REQUEST,
        VALIDATION_FAILED,
        _("Some of the input is not valid. See the messages per field."),
        field_errors(detail),
    )


def _django_validation_detail(exc: DjangoValidationError) -> Any:
    return exc.message_dict if hasattr(exc, "error_dict") else exc.messages


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's exception handler for the API: every error in the one format, with a stable code."""
    headers: dict[str, str] = {}
    if isinstance(exc, DjangoValidationError):
        return validation_response(_django_validation_detail(exc))
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

    if isinstance(exc, ApiError):
        code = exc.error_code
    elif isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
        code = NOT_AUTHENTICATED
        # APIView.handle_exception chose 401 with this header (or 403 without an authenticator).
        auth_header = getattr(exc, "auth_header", None)
        if auth_header:
            headers["WWW-Authenticate"] = str(auth_header)
    elif isinstance(exc, exceptions.PermissionDenied):
        code = PERMISSION_DENIED
    elif isinstance(exc, exceptions.NotFound):
        code = NOT_FOUND
    elif isinstance(exc, exceptions.MethodNotAllowed):
        code = METHOD_NOT_ALLOWED
    elif isinstance(exc, exceptions.NotAcceptable):
        code = NOT_ACCEPTABLE
    elif isinstance(exc, exceptions.UnsupportedMediaType):
        code = UNSUPPORTED_MEDIA_TYPE
    elif isinstance(exc, exceptions.Throttled):
        code = THROTTLED
        wait = getattr(exc, "wait", None)
        if wait is not None:
            headers["Retry-After"] = str(max(1, int(wait)))
    elif isinstance(exc, exceptions.ParseError):
        return error_response(
            status.HTTP_400_BAD_REQUEST,
            VALIDATION_FAILED,
            _("The request body is not valid JSON."),
            {"non_field_errors": [str(exc.detail)]},
        )
    else:
        code = VALIDATION_FAILED if exc.status_code == 400 else PERMISSION_DENIED
    message = " ".join(_messages(exc.detail))
    response = error_response(exc.status_code, code, message)
    for name, value in headers.items():
        response[name] = value
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
