"""The project's URLs (``config.urls``) plus ``bench/intake.py``'s two bench-only views.

The project's patterns are taken as they are (not ``include()``d: ``i18n_patterns`` must stay at the
root), with its error handlers.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import path
from intake_sql import totals

from config import urls as project_urls
from config.urls import *  # noqa: F403 (handler400 and friends)


def hello(request: HttpRequest) -> HttpResponse:
    """Hello world: what the project's full middleware stack costs around an empty view."""
    return HttpResponse(b"Hello, world\n", content_type="text/plain")


def sql_counts(request: HttpRequest) -> JsonResponse:
    if request.META.get("REMOTE_ADDR") not in ("127.0.0.1", "::1"):
        return JsonResponse({}, status=404)
    return JsonResponse(totals())


urlpatterns = [
    path("bench/hello/", hello),
    path("bench/sql/", sql_counts),
    *project_urls.urlpatterns,
]
