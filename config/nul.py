"""Refuse requests carrying NUL characters before any view sees them.

PostgreSQL text cannot hold U+0000: a NUL in a path segment, a query parameter or a form field
that reaches a query or a row is a database error (a 500), wherever it slips past validation.
Django's forms refuse NULs in their own fields; this catches every other way in, once, in front:
the path, the query string and form-encoded bodies. The JSON API (``/api/``) answers such input
in its own error format, so it is left to it.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.utils.translation import gettext as _

NUL = "\x00"


def _carries_nul(request: HttpRequest) -> bool:
    if NUL in request.path:
        return True
    sources = [request.GET, request.POST] if request.method == "POST" else [request.GET]
    return any(
        NUL in key or any(NUL in value for value in values.getlist(key))
        for values in sources
        for key in values
    )


class RefuseNulMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith("/api/") and _carries_nul(request):
            message = _("The request contains a NUL character, which no field may hold.")
            if request.path.startswith("/open311/"):
                from portal.open311.render import error_response

                return error_response("json" if ".json" in request.path else "xml", 400, message)
            return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")
        return self.get_response(request)
