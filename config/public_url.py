"""The site's public address, for links that leave the page: SMS, email, documents for other programs.

Production sets ``PUBLIC_BASE_URL`` (required when ``DJANGO_DEBUG=0``). The embedded default has no
fixed address: ``make run PORT=8101`` serves on 8101, and a phone on the LAN reaches it by the
machine's address. So, unless ``PUBLIC_BASE_URL`` is set, the address is the one the request came
to (its Host, checked against ``ALLOWED_HOSTS``), kept for the request (and the work it does
before answering, such as writing the citizen's receipt); outside a request it is
``http://127.0.0.1:$PORT``.

So in the embedded default the person whose request writes a message decides its link: an officer
working at ``127.0.0.1`` writes citizens' SMS with ``127.0.0.1`` links, which a phone on the LAN
cannot open; and with ``DJANGO_ALLOWED_HOSTS=*`` any Host header would do. Set ``PUBLIC_BASE_URL``
whenever others than this machine's own browser use the site (production requires it).
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.http import HttpRequest, HttpResponse

_request_base: ContextVar[str | None] = ContextVar("public_base_url", default=None)


def public_base_url() -> str:
    """``https://gopy.example.vn``: no trailing slash."""
    base = settings.PUBLIC_BASE_URL or _request_base.get() or f"http://127.0.0.1:{settings.PORT}"
    return str(base).rstrip("/")


class PublicBaseUrlMiddleware:
    """Remember the address this request came to, when ``PUBLIC_BASE_URL`` does not name one."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if settings.PUBLIC_BASE_URL:
            return self.get_response(request)
        try:
            base = f"{request.scheme}://{request.get_host()}"
        except DisallowedHost:
            base = None  # CommonMiddleware answers it with a 400
        token = _request_base.set(base)
        try:
            return self.get_response(request)
        finally:
            _request_base.reset(token)
