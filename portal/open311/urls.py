"""``/open311/``: the discovery document and GeoReport v2 under ``v2/``, outside the language prefixes."""

from __future__ import annotations

from django.urls import re_path

from portal.open311 import updates, views

app_name = "open311"

FORMAT = r"\.(?P<fmt>json|xml)$"

urlpatterns = [
    re_path(rf"^discovery{FORMAT}", views.discovery, name="open311-discovery"),
    re_path(rf"^v2/services{FORMAT}", views.services, name="open311-services"),
    re_path(
        rf"^v2/services/(?P<service_code>[^/]+?){FORMAT}", views.service_definition, name="open311-service"
    ),
    re_path(rf"^v2/requests{FORMAT}", views.requests, name="open311-requests"),
    re_path(
        rf"^v2/requests/(?P<service_request_id>[^/]+?){FORMAT}", views.request_detail, name="open311-request"
    ),
    re_path(rf"^v2/tokens/(?P<token>[^/]+?){FORMAT}", views.token, name="open311-token"),
    # mySociety's extension, as FixMyStreet and its Open311 clients read and post updates.
    re_path(rf"^v2/servicerequestupdates{FORMAT}", updates.service_request_updates, name="open311-updates"),
    re_path(r"^(?P<path>.*)$", views.not_found, name="open311-not-found"),
]
