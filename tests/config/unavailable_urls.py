"""URLs of tests/config/test_unavailable.py: views that lose the database, beside the project's."""

from django.db import OperationalError
from django.http import HttpRequest, HttpResponse
from django.urls import path

from config.urls import urlpatterns as project_urlpatterns

CALLS: list[str] = []


def lost(request: HttpRequest) -> HttpResponse:
    CALLS.append(request.path)
    raise OperationalError("couldn't get a connection after 10.00 sec")


def bug(request: HttpRequest) -> HttpResponse:
    raise ValueError("a bug, not the database")


def fine(request: HttpRequest) -> HttpResponse:
    CALLS.append(request.path)
    return HttpResponse("fine")


urlpatterns = [
    path("api/v1/lost/", lost),
    path("open311/lost.json", lost),
    path("lost/", lost),
    path("fine/", fine),
    path("bug/", bug),
    *project_urlpatterns,
]
handler500 = "config.unavailable.server_error"
