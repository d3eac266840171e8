"""Request bodies: one size cap, and bodies Django cannot read answered in each interface's format.

Three layers, outermost first:

1. Under daphne, Twisted reads the whole body before the application runs (to a temporary file
   past 100 kB) and daphne then queues all of it in memory at once: an 80 MB POST cost 80 MB of
   queued chunks however early the application refused it. ``cap_daphne_request_bodies`` keeps
   no byte of a body whose Content-Length is over the cap, and at most one byte past the cap of a
   body sent without one; the rest is read off the socket and dropped. It also stops Twisted from
   parsing form bodies itself (``email.parser`` over the whole body, about ten times its size).
2. ``RequestBodyLimit`` wraps the ASGI application (any server, daphne or not): a declared length
   over the cap is never read, and a streamed body is cut at the cap. Django then gets an empty
   body and a mark on the scope.
3. ``RequestBodyMiddleware`` answers those with 413, and reads form bodies before anything else
   does, so that a body Django refuses to parse (too large, more than 1,000 fields, broken
   multipart) is a 400 or 413 in the interface's format instead of Django's English HTML page:
   the JSON API's envelope under ``/api/`` (its views are answered by ``api.errors``), Open311's
   errors under ``/open311/`` (XML unless the path ends in ``.json``), elsewhere a translated page.

``REQUEST_BODY_MAX_BYTES`` is the submit form's whole allowance (five photos of 10 MB and the
fields) with room to spare. Uploads past ``FILE_UPLOAD_MAX_MEMORY_SIZE`` go to temporary files.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from django.conf import settings
from django.core.exceptions import (
    BadRequest,
    RequestDataTooBig,
    SuspiciousOperation,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.http import HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext as _

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[..., Awaitable[None]]

#: Set on the ASGI scope when the body was over the cap and was not (or not wholly) read.
BODY_CUT = "petitions.body_cut"
#: Exceptions Django raises when it will not or cannot read a body.
UNREADABLE_BODY = (RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent, MultiPartParserError, BadRequest)
FORM_CONTENT_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
_MIB = 1024 * 1024


def _megabytes(size: int) -> str:
    return f"{size / _MIB:.0f}"


def too_large_message() -> str:
    return _("The request is too large: at most %(megabytes)s MB can be sent at once.") % {
        "megabytes": _megabytes(settings.REQUEST_BODY_MAX_BYTES)
    }


def unreadable_body(exc: Exception) -> tuple[int, str] | None:
    """The status and the translated message for a body Django refused to read; None for other errors."""
    if isinstance(exc, RequestDataTooBig):
        # DATA_UPLOAD_MAX_MEMORY_SIZE: the body without its files (a JSON body is all of it).
        return 413, _("The request body is too large: at most %(megabytes)s MB of fields can be sent.") % {
            "megabytes": f"{settings.DATA_UPLOAD_MAX_MEMORY_SIZE / _MIB:.1f}"
        }
    if isinstance(exc, TooManyFieldsSent):
        return 400, _("The request has too many fields: at most %(count)s.") % {
            "count": settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
        }
    if isinstance(exc, TooManyFilesSent):
        return 400, _("The request has too many files: at most %(count)s.") % {
            "count": settings.DATA_UPLOAD_MAX_NUMBER_FILES
        }
    if isinstance(exc, MultiPartParserError | BadRequest):
        return 400, _("The request body could not be read: it is not well-formed form data.")
    return None


# --- 1. daphne ------------------------------------------------------------------------------


def cap_daphne_request_bodies(max_bytes: int) -> None:
    """Make daphne keep at most ``max_bytes + 1`` bytes of a body (none when Content-Length is over).

    daphne builds its requests from ``daphne.http_protocol.WebRequest`` (a Twisted request whose
    ``handleContentChunk`` stores every byte); a subclass that stops storing at the cap takes its
    place. The application still sees the declared Content-Length, or more bytes than the cap, and
    refuses the request (``RequestBodyLimit``). The subclass also leaves form bodies to Django.
    """
    from daphne import http_protocol

    base = http_protocol.WebRequest
    base = getattr(base, "uncapped", base)

    class CappedWebRequest(base):  # type: ignore[misc, valid-type]
        uncapped = base
        body_room = 0

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            # Twisted parses a POSTed form into ``request.args`` before daphne runs, which daphne
            # never reads: a multipart body went through ``email.parser`` whole, at about ten
            # times its size in memory (docs/performance.md, "Upload memory"). Django parses it.
            self._parsePOSTFormSubmission = False

        def gotLength(self, length: int | None) -> None:
            over = length is not None and length > max_bytes
            self.body_room = 0 if over else max_bytes + 1
            super().gotLength(0 if over else length)

        def handleContentChunk(self, data: bytes) -> None:
            if self.body_room <= 0:
                return
            kept = data[: self.body_room]
            self.body_room -= len(kept)
            super().handleContentChunk(kept)

    http_protocol.WebRequest = CappedWebRequest


# --- 2. the ASGI application ----------------------------------------------------------------


def _declared_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name.lower() == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


class RequestBodyLimit:
    """ASGI middleware: bodies over ``max_bytes`` are never handed on; Django answers them (413)."""

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        scope = dict(scope)
        declared = _declared_length(scope)
        state = {"received": 0, "ended": False}
        if declared is not None and declared > self.max_bytes:
            scope[BODY_CUT] = True

        async def limited_receive() -> Message:
            if state["ended"]:
                # The body was cut: what the client still sends is dropped; the disconnect passes.
                while True:
                    message = await receive()
                    if message["type"] != "http.request":
                        return message
            if scope.get(BODY_CUT):
                state["ended"] = True
                return {"type": "http.request", "body": b"", "more_body": False}
            message = await receive()
            if message["type"] == "http.request":
                state["received"] += len(message.get("body", b""))
                if state["received"] > self.max_bytes:
                    scope[BODY_CUT] = True
                    state["ended"] = True
                    return {"type": "http.request", "body": b"", "more_body": False}
                if not message.get("more_body", False):
                    state["ended"] = True
                    # The whole body arrived: later calls wait for the disconnect as before.
                    state["received"] = 0
                    scope.pop(BODY_CUT, None)
            return message

        await self.app(scope, limited_receive, send)


# --- 3. Django ------------------------------------------------------------------------------


def open311_language(request: HttpRequest) -> str:
    # ``?locale=`` or Accept-Language, as the Open311 views choose; the body's locale cannot be read.
    raw = request.GET.get("locale") or translation.get_language_from_request(request) or ""
    code = raw.replace("_", "-").split("-")[0].lower()
    return code if code in ("vi", "en") else settings.LANGUAGE_CODE


def _answer(exc: Exception | None) -> tuple[int, str]:
    """Status and message: ``None`` is a body over the cap; other errors are a plain 400."""
    if exc is None:
        return 413, too_large_message()
    return unreadable_body(exc) or (400, _("The request could not be understood."))


def open311_refusal(request: HttpRequest, answer: Callable[[], tuple[int, str]]) -> HttpResponse:
    """An Open311 error in the format and the language the request asked for; ``answer`` gives its
    status and message, in that language."""
    from portal.open311.render import error_response

    language = open311_language(request)
    with translation.override(language):
        status, message = answer()
        response = error_response("json" if request.path_info.endswith(".json") else "xml", status, message)
    response["Content-Language"] = language
    return response


def refusal(request: HttpRequest, exc: Exception | None) -> HttpResponse:
    """The answer to an unreadable body (``None``: over the cap) in the format of the request's interface."""
    path = request.path_info
    if path.startswith("/api/"):
        from api.errors import body_error_response

        response: HttpResponse = body_error_response(*_answer(exc))
    elif path.startswith("/open311/"):
        response = open311_refusal(request, lambda: _answer(exc))
    else:
        status, message = _answer(exc)
        template = "413.html" if status == 413 else "400.html"
        response = render(request, template, {"message": message}, status=status)
    if response.status_code == 413:
        # The rest of the body may still be on its way: this connection is not reused.
        response["Connection"] = "close"
    return response


def _cut(request: HttpRequest) -> bool:
    if getattr(request, "scope", {}).get(BODY_CUT):
        return True
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0) > settings.REQUEST_BODY_MAX_BYTES
    except ValueError:
        return False


def _form_body(request: HttpRequest) -> bool:
    return request.method not in ("GET", "HEAD", "OPTIONS") and (
        (request.content_type or "").lower() in FORM_CONTENT_TYPES
    )


class RequestBodyMiddleware:
    """413 for bodies over the cap; form bodies parsed here, their errors in the interface's format.

    After LocaleMiddleware and ApiLanguageMiddleware (the messages are translated), before
    anything that reads ``request.POST`` (the NUL check, CSRF, the rate limits' keys).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if _cut(request):
            return self._refuse(request, None)
        # The API reads JSON only (a form body is its 415); its views answer body errors themselves.
        if _form_body(request) and not request.path_info.startswith("/api/"):
            try:
                request.POST  # noqa: B018 (parsed now, read from the cache later)
                request.FILES  # noqa: B018
            except UNREADABLE_BODY as exc:
                return self._refuse(request, exc)
        return self.get_response(request)

    @staticmethod
    def _refuse(request: HttpRequest, exc: Exception | None) -> HttpResponse:
        # Nothing may read this body again (Django would raise the same error, or read a cut body).
        request._mark_post_parse_error()  # type: ignore[attr-defined]
        return refusal(request, exc)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """``handler400``: any other 400 (a SuspiciousOperation) in the interface's format, translated."""
    return refusal(request, exception if exception is not None else SuspiciousOperation())
