"""The OpenAPI document and Swagger UI, served under the site's Content-Security-Policy.

Swagger UI's files come from drf-spectacular-sidecar through our static files,
and its start-up script is a separate same-origin request (the "split" view):
the page has no inline script or style, so ``script-src 'self'`` and
``style-src 'self'`` hold.
"""

from __future__ import annotations

from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.permissions import AllowAny


class SchemaView(SpectacularAPIView):
    authentication_classes = []
    permission_classes = [AllowAny]


class DocsView(SpectacularSwaggerSplitView):
    authentication_classes = []
    permission_classes = [AllowAny]
    template_name = "api/swagger_ui.html"
    url_name = "api:api-schema"
    title = "Petition portal API"
