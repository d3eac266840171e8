"""Each officer's back office in the language they chose, on every device.

The language switch posts to ``/i18n/setlang/``; ``language_set`` does what Django's
``set_language`` does (cookie, redirect to the page in that language) and also keeps the
choice on the officer's membership. ``OfficeLanguageMiddleware`` then sends a signed-in
officer who prefers another language than the default from an unprefixed ``/office/...``
address (a bookmark, a link in an email, a new browser) to the same page in their language.
An explicit prefix (``/en/office/...``) is left alone: it is a choice made for that page.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse, translate_url
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.views.i18n import set_language

from routing.models import membership_of
from routing.services import membership_set_language


def language_set(request: HttpRequest) -> HttpResponse:
    response = set_language(request)
    language = request.POST.get("language", "") if request.method == "POST" else ""
    membership = membership_of(request.user)
    if language in dict(settings.LANGUAGES) and membership is not None:
        membership_set_language(user=membership.user, language=language)
    return response


@cache
def _office_prefix() -> str:
    """``/office/``: the back office's addresses in the default language (no prefix)."""
    with translation.override(settings.LANGUAGE_CODE):
        return reverse("backoffice:backoffice-inbox")


class OfficeLanguageMiddleware:
    """After AuthenticationMiddleware: it reads the signed-in user's membership."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        target = self._in_chosen_language(request)
        if target is not None:
            response: HttpResponse = HttpResponseRedirect(target)
            patch_vary_headers(response, ["Cookie"])
            return response
        return self.get_response(request)

    @staticmethod
    def _in_chosen_language(request: HttpRequest) -> str | None:
        if request.method not in ("GET", "HEAD") or not request.path_info.startswith(_office_prefix()):
            return None
        membership = membership_of(getattr(request, "user", None))
        if membership is None or membership.language in ("", settings.LANGUAGE_CODE):
            return None
        current = request.get_full_path()
        target = translate_url(current, membership.language)
        return target if target != current else None
