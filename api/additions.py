"""The citizen's words after filing, through the API: added information, or the answer to the unit's question.

``POST /api/v1/track/{code}/additions/`` with the petition's tracking token (the citizen's app), or
with the ``X-API-Key`` of the partner that filed the petition (by this API or Open311). What the
words are is decided by ``routing.citizen_updates.case_citizen_update`` under the case's lock, as
for Open311's ``servicerequestupdates``: the answer while the unit waits for one (the case goes
back to the officer), else added information; nothing once the petition was answered or ended.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, status
from rest_framework.decorators import api_view
from rest_framework.request import Request
from rest_framework.response import Response

from api import errors
from api import serializers as s
from api.auth import partner_key_of
from api.selectors import petition_by_code_and_token, petition_filed_by_partner
from api.throttling import check_caller_rate, portal_rate
from api.views import PUBLIC, _public
from petitions.limits import add_info_wait, track_code_wait
from petitions.models import Channel, Petition
from petitions.services import IDEMPOTENCY_KEY_MAX_LENGTH, idempotency_key_stored
from routing.actors import CitizenActor
from routing.citizen_updates import CitizenUpdate, case_citizen_update
from routing.models import CaseState
from routing.selectors import case_event_by_idempotency_key

CODE = OpenApiParameter("code", str, OpenApiParameter.PATH, description="Tracking code, e.g. PA-26-7KQ3M9.")
OPTIONAL_TRACKING_TOKEN = OpenApiParameter(
    name="X-Tracking-Token",
    type=str,
    location=OpenApiParameter.HEADER,
    required=False,
    description="The petition's secret tracking token (the citizen's app). A partner that filed the petition "
    "sends its X-API-Key instead.",
)
ADDITION_IDEMPOTENCY_KEY = OpenApiParameter(
    name="Idempotency-Key",
    type=str,
    location=OpenApiParameter.HEADER,
    required=False,
    description="Up to 80 characters. A retry with the same key and the same words returns the update added "
    "the first time (200, created false), even over the rate limit; the same key with other words is refused.",
)
EXAMPLE_ADDITION = {
    "text": "Nước vẫn ngập sâu 40 cm sáng nay, xe máy không đi qua được.",
    "media_urls": ["https://cdn.phoxanh.example/photos/2.jpg"],
}
EXAMPLE_RESULT = {
    "id": 4127,
    "kind": "citizen_info",
    "created": True,
    "created_at": "2026-11-23T08:15:00+07:00",
    "tracking_code": "PA-26-7KQ3M9",
    "state": "in_progress",
    "state_label": "Đang xử lý",
    "version": 5,
}


def _petition(request: Request, code: str) -> Petition:
    """The petition the caller may add to: by its tracking token, or as the partner that filed it; else 404."""
    token = request.headers.get("X-Tracking-Token")
    partner_key = partner_key_of(request)
    petition = None
    if token:
        petition = petition_by_code_and_token(code=code, token=token)
    elif partner_key is not None:
        petition = petition_filed_by_partner(code=code, partner_id=partner_key.partner_id)
    if petition is None:
        # Failed look-ups count against the code, as on the tracking endpoint.
        if wait := track_code_wait(request, code):
            raise errors.Throttled(wait=wait)
        raise errors.not_found()
    return petition


@extend_schema(
    tags=[PUBLIC],
    operation_id="track_additions_create",
    summary="Add the citizen's information, or their answer to the unit's question",
    description="While the unit waits for the citizen's answer (state awaiting_citizen), the words are the "
    "answer and the case goes back to the officer (in_progress). Otherwise, while the petition is being "
    "handled, they are added information: the state, the unit and the deadlines do not change. After a "
    "response or an end, a 400. Send the petition's X-Tracking-Token, or the X-API-Key of the partner that "
    "filed it; anything else is 404. Added information counts against a limit per petition (as on the "
    "portal); answers do not.",
    parameters=[CODE, OPTIONAL_TRACKING_TOKEN, ADDITION_IDEMPOTENCY_KEY],
    request=s.AdditionSerializer,
    examples=[OpenApiExample("Added information", value=EXAMPLE_ADDITION, request_only=True)],
    responses={
        201: OpenApiResponse(
            s.AdditionResultSerializer,
            description="Added.",
            examples=[OpenApiExample("Added", value=EXAMPLE_RESULT, status_codes=[201], response_only=True)],
        ),
        200: OpenApiResponse(
            s.AdditionResultSerializer,
            description="An idempotent retry: the update added the first time (created false).",
        ),
        **errors.error_responses(400, 401, 404, 413, 415, 429),
    },
)
@api_view(["POST"])
@_public
def petition_additions(request: Request, code: str) -> Response:
    check_caller_rate(request, group="api-add-info", address_rate=portal_rate("feedback_ip"))
    petition = _petition(request, code)
    data = errors.validated(s.AdditionSerializer(data=request.data))
    client_key = (request.headers.get("Idempotency-Key") or "").strip()
    if len(client_key) > IDEMPOTENCY_KEY_MAX_LENGTH:
        raise exceptions.ValidationError(
            {"idempotency_key": [_("At most %(count)s characters.") % {"count": IDEMPOTENCY_KEY_MAX_LENGTH}]}
        )
    partner_key = partner_key_of(request)
    partner_id = partner_key.partner_id if partner_key is not None else None
    stored_key = idempotency_key_stored(client_key, channel=Channel.API, partner=partner_id)
    case = petition.case
    # A retry of an update already added is answered whatever the limit; answers are never counted.
    replay = case_event_by_idempotency_key(case_id=case.pk, key=stored_key) is not None
    if not replay and case.state != CaseState.AWAITING_CITIZEN and (wait := add_info_wait(request, code)):
        raise errors.Throttled(wait=wait)
    result = case_citizen_update(
        case_id=case.pk,
        actor=CitizenActor(petition_id=petition.pk),
        update=CitizenUpdate(
            text=data["text"],
            channel=Channel.API,
            partner_id=partner_id,
            idempotency_key=stored_key,
            media_urls=tuple(data.get("media_urls") or ()),
        ),
    )
    body = {
        "id": result.event.pk,
        "kind": result.event.kind,
        "created": result.created,
        "created_at": result.event.created_at,
        "tracking_code": petition.tracking_code,
        "state": result.case.state,
        "state_label": result.case.get_state_display(),
        "version": result.case.version,
    }
    return Response(
        s.AdditionResultSerializer(body).data,
        status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK,
    )
