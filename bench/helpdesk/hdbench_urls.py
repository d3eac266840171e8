"""django-helpdesk at the site's root, as its install guide shows, and bench/intake.py's SQL counter."""

from django.http import JsonResponse
from django.urls import include, path
from intake_sql import totals


def sql_counts(request):
    if request.META.get("REMOTE_ADDR") not in ("127.0.0.1", "::1"):
        return JsonResponse({}, status=404)
    return JsonResponse(totals())


urlpatterns = [
    path("bench/sql/", sql_counts),
    path("", include("helpdesk.urls", namespace="helpdesk")),
]
