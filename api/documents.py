"""The petition's PDF documents through the API: to the citizen (tracking token) and to the handling unit.

As on the portal and the desk (docs/architecture.md): nobody else gets them, and they are always a
download (``petitions.downloads.document_response``: ``Content-Disposition: attachment``, nosniff, a
sandboxing CSP). The list is in the tracking answer (``documents``) and in the case detail (for the
handling unit's staff).
"""

from __future__ import annotations

from typing import Any

from django.http import FileResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.decorators import api_view
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.request import Request

from api import errors
from api.selectors import MAX_ID, api_case, petition_by_code_and_token
from api.throttling import check_caller_rate, portal_rate
from api.views import CASE_ID, PUBLIC, STAFF, TRACKING_TOKEN_HEADER, _public
from petitions.downloads import document_response
from petitions.limits import track_code_wait
from petitions.retention import petition_past_retention
from routing.models import membership_of

DOCUMENT_ID = OpenApiParameter(
    "document", OpenApiTypes.INT, OpenApiParameter.PATH, description="Document id."
)
PDF = OpenApiResponse(
    OpenApiTypes.BINARY,
    description="The PDF, as an attachment (Content-Disposition: attachment) under its name.",
)


class AnyAccept(BaseContentNegotiation):
    """A download answers whatever the client accepts: the PDF, or an error in the API's JSON.

    (DRF would refuse ``Accept: application/pdf`` with a 406, the API rendering only JSON.)
    """

    def select_parser(self, request: Request, parsers: Any) -> Any:
        return parsers[0] if parsers else None

    def select_renderer(self, request: Request, renderers: Any, format_suffix: str | None = None) -> Any:
        return (renderers[0], renderers[0].media_type)


def _download(view: Any) -> Any:
    view.content_negotiation_class = AnyAccept
    return view


@extend_schema(
    tags=[PUBLIC],
    operation_id="track_documents_retrieve",
    summary="Download a document of a petition",
    description="For the citizen: with the petition's X-Tracking-Token. A wrong code, token or document is 404, "
    "and so is every document past the retention period.",
    parameters=[
        OpenApiParameter("code", str, OpenApiParameter.PATH, description="Tracking code, e.g. PA-26-7KQ3M9."),
        DOCUMENT_ID,
        TRACKING_TOKEN_HEADER,
    ],
    responses={(200, "application/pdf"): PDF, **errors.error_responses(401, 404, 429)},
)
@api_view(["GET"])
@_public
@_download
def track_document(request: Request, code: str, document: int) -> FileResponse:
    check_caller_rate(request, group="api-track", address_rate=portal_rate("track_ip"))
    petition = petition_by_code_and_token(code=code, token=request.headers.get("X-Tracking-Token", ""))
    if petition is None:
        if wait := track_code_wait(request, code):
            raise errors.Throttled(wait=wait)
        raise errors.not_found()
    found = petition.documents.for_citizen().filter(pk=document).first() if 0 < document <= MAX_ID else None
    if found is None or petition_past_retention(petition):
        raise errors.not_found()
    return document_response(found)


@extend_schema(
    tags=[STAFF],
    operation_id="cases_documents_retrieve",
    summary="Download a document of a case's petition",
    description="Staff of the unit handling the case only (as on the case desk); a leader above it, who reads "
    "the case, gets 403; a case outside the user's jurisdiction is 404.",
    parameters=[CASE_ID, DOCUMENT_ID],
    responses={(200, "application/pdf"): PDF, **errors.error_responses(401, 403, 404, 429)},
)
@api_view(["GET"])
@_download
def case_document(request: Request, pk: int, document: int) -> FileResponse:
    case = api_case(user=request.user, case_id=pk)
    if case is None:
        raise errors.not_found()
    membership = membership_of(request.user)
    if membership is None or membership.unit_id != case.unit_id:
        raise errors.ApiError(
            status_code=status.HTTP_403_FORBIDDEN,
            code=errors.PERMISSION_DENIED,
            message=_("Documents are only for the unit handling this case."),
        )
    found = case.petition.documents.filter(pk=document).first() if 0 < document <= MAX_ID else None
    if found is None:
        raise errors.not_found()
    return document_response(found)
