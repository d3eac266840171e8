"""The API's language comes from Accept-Language (Vietnamese by default, or English).

Django's LocaleMiddleware gives every URL without a language prefix the default
language, because the site's pages use ``i18n_patterns`` with an unprefixed
Vietnamese. API clients cannot use prefixes: for ``/api/`` the header decides.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import translation

API_PREFIX = "/api/"


class ApiLanguageMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info.startswith(API_PREFIX):
            language = translation.get_language_from_request(request, check_path=False)
            translation.activate(language)
            request.LANGUAGE_CODE = translation.get_language()
        return self.get_response(request)
