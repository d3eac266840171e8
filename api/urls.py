"""``/api/``: the OpenAPI document, its interactive docs, and version 1 of the API."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path, re_path

from api import additions, documents, views
from api.actions import url_segment
from api.docs import DocsView, SchemaView
from api.errors import api_not_found

app_name = "api"

urlpatterns: list[URLPattern | URLResolver] = [
    path("schema/", SchemaView.as_view(), name="api-schema"),
    path("docs/", DocsView.as_view(), name="api-docs"),
    path("v1/categories/", views.categories, name="api-categories"),
    path("v1/provinces/", views.provinces, name="api-provinces"),
    path("v1/provinces/<str:code>/communes/", views.communes, name="api-communes"),
    path("v1/petitions/", views.petition_create, name="api-petition-create"),
    path("v1/track/<str:code>/", views.track, name="api-track"),
    path("v1/track/<str:code>/additions/", additions.petition_additions, name="api-track-additions"),
    path(
        "v1/track/<str:code>/documents/<int:document>/", documents.track_document, name="api-track-document"
    ),
    path("v1/me/", views.me, name="api-me"),
    path("v1/cases/", views.case_list, name="api-cases"),
    path("v1/cases/<int:pk>/", views.case_detail, name="api-case"),
    path("v1/cases/<int:pk>/notes/", views.case_note, name="api-case-note"),
    path("v1/cases/<int:pk>/documents/<int:document>/", documents.case_document, name="api-case-document"),
    *(
        path(f"v1/cases/<int:pk>/{url_segment(name)}/", view, name=f"api-case-{url_segment(name)}")
        for name, view in views.ACTION_VIEWS.items()
    ),
    # Anything else under /api/ answers in the API's error format, not with the site's HTML page.
    re_path(r"^[\s\S]*$", api_not_found, name="api-not-found"),
]
