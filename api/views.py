"""The JSON API, version 1. Thin views: input through serializers, reads through selectors, writes through services.

Public endpoints (reference data, filing a petition, following it with its
tracking token) need no account. Case endpoints need a staff token and see
exactly what ``cases_visible_to`` lets the token's user see: a case outside
their jurisdiction is 404, never 403, so its existence does not leak.
"""

from __future__ import annotations

from base64 import b64decode
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

from django.core import signing
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    inline_serializer,
)
from rest_framework import serializers, status
from rest_framework.decorators import api_view, authentication_classes, permission_classes
from rest_framework.pagination import Cursor, CursorPagination
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

from api import actions, errors
from api import serializers as s
from api.actions import url_segment
from api.auth import PartnerKeyAuthentication, partner_key_of
from api.presenters import public_case
from api.selectors import (
    MAX_ID,
    api_case,
    api_case_events,
    api_cases,
    api_province,
    petition_by_code_and_token,
)
from api.throttling import check_caller_rate, portal_rate
from notifications.texts import tracking_url
from petitions.limits import submit_phone_wait, track_code_wait
from petitions.models import Category, Channel
from petitions.services import Submission, petition_idempotency_key_used, petition_submit
from routing import services
from routing.actions import ACTIONS, Action
from routing.models import Case, CaseEvent, Level, Role, Unit, membership_of
from routing.selectors import case_available_actions, case_moved_away_from, unit_code_by_national_code

PUBLIC = "public"
STAFF = "cases"

TRACKING_TOKEN_HEADER = OpenApiParameter(
    name="X-Tracking-Token",
    type=str,
    location=OpenApiParameter.HEADER,
    required=True,
    description="The petition's secret tracking token (given once, when it was filed, and sent by SMS/email).",
)
IDEMPOTENCY_KEY_HEADER = OpenApiParameter(
    name="Idempotency-Key",
    type=str,
    location=OpenApiParameter.HEADER,
    required=False,
    description="Up to 80 characters. A retry with the same key and the same input returns the first petition "
    "(200, token null); the same key with different input is refused.",
)
CASE_ID = OpenApiParameter(
    name="id", type=OpenApiTypes.INT, location=OpenApiParameter.PATH, description="Case id."
)


def _public(view: Callable[..., Any]) -> Callable[..., Any]:
    """No account; an optional partner key (X-API-Key). A stray Authorization header changes nothing."""
    return authentication_classes([PartnerKeyAuthentication])(permission_classes([AllowAny])(view))


# --- public: reference data -------------------------------------------------------------------


@extend_schema(
    tags=[PUBLIC],
    operation_id="categories_list",
    summary="Categories a petition can be filed under",
    responses={200: s.CategorySerializer(many=True), **errors.error_responses(401, 429)},
)
@api_view(["GET"])
@_public
def categories(request: Request) -> Response:
    rows = Category.objects.filter(is_active=True).order_by("position", "code")
    return Response(s.CategorySerializer(rows, many=True).data)


@extend_schema(
    tags=[PUBLIC],
    operation_id="provinces_list",
    summary="Provinces and centrally governed cities",
    responses={200: s.ProvinceSerializer(many=True), **errors.error_responses(401, 429)},
)
@api_view(["GET"])
@_public
def provinces(request: Request) -> Response:
    rows = Unit.objects.filter(level=Level.PROVINCE, is_active=True).order_by("admin_code", "code")
    return Response(s.ProvinceSerializer(rows, many=True).data)


@extend_schema(
    tags=[PUBLIC],
    operation_id="provinces_communes_list",
    summary="Communes, wards and special zones of a province",
    parameters=[
        OpenApiParameter(
            "code",
            str,
            OpenApiParameter.PATH,
            description="Province code (P01) or its national register code (01).",
        )
    ],
    responses={200: s.CommuneSerializer(many=True), **errors.error_responses(401, 404, 429)},
)
@api_view(["GET"])
@_public
def communes(request: Request, code: str) -> Response:
    province = api_province(code)
    if province is None:
        raise errors.not_found()
    rows = Unit.objects.filter(parent=province, level=Level.COMMUNE, is_active=True).order_by(
        "admin_code", "code"
    )
    for row in rows:
        row.parent = province  # one query: every row's province is this one
    return Response(s.CommuneSerializer(rows, many=True).data)


# --- public: filing and following a petition ---------------------------------------------------


def _reference(value: Any, *, max_length: int, level: str | None = None) -> str | None:
    """A category or unit reference as ``petition_submit`` reads it; None when not given.

    A zero-padded number (``00070``, ``01``) is the unit's national register code, as in
    Open311 (``petition_submit`` reads a number as an id). Anything shaped like no code at all
    becomes ``?``, which matches nothing, so the service answers with its own message.
    """
    if value in (None, ""):
        return None
    value = str(value).strip()
    if len(value) > max_length or not s.REFERENCE.fullmatch(value):
        return "?"
    if level is not None and value.isdigit() and value.startswith("0"):
        return unit_code_by_national_code(level=level, national_code=value) or "?"
    return value


#: How the API writes a time (DRF's, in the site's time zone); one field, not a serializer per answer.
_DATETIME = serializers.DateTimeField()


def _submission_input(data: dict[str, Any]) -> dict[str, Any]:
    """The serializer's output (types checked) as a ``Submission``'s fields; ``petition_submit`` checks the rest."""
    given = {name: value for name, value in data.items() if value is not None}
    return {
        "phone": "",
        "title": "",
        "text": "",
        **given,
        "category": _reference(given.get("category"), max_length=40),
        "commune": _reference(given.get("commune"), max_length=16, level=Level.COMMUNE),
        "province": _reference(given.get("province"), max_length=16, level=Level.PROVINCE),
        "language": given.get("language") or "vi",
    }


EXAMPLE_PETITION = {
    "category": "environment",
    "commune": "W00070",
    "phone": "0912 345 678",
    "submitter_name": "Nguyễn Văn An",
    "title": "Rác thải ùn ứ trên phố Hàng Bông",
    "text": "Rác thải sinh hoạt trước số 12 Hàng Bông không được thu gom ba ngày nay, gây mùi hôi.",
    "address": "12 Hàng Bông, Hoàn Kiếm, Hà Nội",
    "latitude": 21.0301,
    "longitude": 105.8489,
    "consent_publish": True,
    "language": "vi",
}
EXAMPLE_SUBMISSION = {
    "tracking_code": "PA-26-7KQ3M9",
    "token": "q8Vd3kR2xN5mT7pL1cZ9wY4bH6jF0sA2eU8gK3nP5rQ",
    "tracking_url": "https://gopy.example.gov.vn/t/q8Vd3kR2xN5mT7pL1cZ9wY4bH6jF0sA2eU8gK3nP5rQ/",
    "created": True,
    "state": "submitted",
    "unit": {"name": "Phường Hoàn Kiếm", "level": "commune"},
    "submitted_at": "2026-11-21T09:30:00+07:00",
    "triage_due_at": "2026-11-24T09:30:00+07:00",
}


@extend_schema(
    tags=[PUBLIC],
    operation_id="petitions_create",
    summary="File a petition",
    description="The same intake as the portal's form: same validation (every field's problem in one "
    "answer, except input of the wrong JSON type, which is answered first), routing, tracking code and "
    "token. Keep the returned token: it is the only way to follow the petition by API, and it is not "
    "stored. A retry with the Idempotency-Key of a petition already filed is answered even over the "
    "rate limit.",
    parameters=[IDEMPOTENCY_KEY_HEADER],
    request=s.PetitionSubmitSerializer,
    examples=[
        OpenApiExample("A petition", value=EXAMPLE_PETITION, request_only=True),
    ],
    responses={
        201: OpenApiResponse(
            s.SubmissionSerializer,
            description="Filed.",
            examples=[
                OpenApiExample("Filed", value=EXAMPLE_SUBMISSION, status_codes=[201], response_only=True)
            ],
        ),
        200: OpenApiResponse(
            s.SubmissionSerializer,
            description="An idempotent retry: the earlier petition (created false, token null).",
            examples=[
                OpenApiExample(
                    "An idempotent retry",
                    value={**EXAMPLE_SUBMISSION, "created": False, "token": None, "tracking_url": None},
                    status_codes=[200],
                    response_only=True,
                )
            ],
        ),
        **errors.error_responses(400, 401, 413, 415, 429),
    },
)
@api_view(["POST"])
@_public
def petition_create(request: Request) -> Response:
    idempotency_key = request.headers.get("Idempotency-Key")
    # A retry of a petition already filed is answered whatever the limits: it files nothing (the
    # service returns the earlier petition or refuses other input), and a client that timed out
    # would otherwise lose the only answer with its petition's tracking code.
    partner_key = partner_key_of(request)
    partner = partner_key.partner if partner_key is not None else None
    replay = petition_idempotency_key_used(idempotency_key, channel=Channel.API, partner=partner)
    if not replay:
        check_caller_rate(request, group="api-submit", address_rate=portal_rate("submit_ip"))
    serializer = s.PetitionSubmitSerializer(data=request.data, context={"types_only": True})
    data = _submission_input(errors.validated(serializer))
    if not replay and (wait := submit_phone_wait(request, data["phone"])):
        raise errors.Throttled(wait=wait)
    result = petition_submit(
        submission=Submission(**data),
        channel=Channel.API,
        partner=partner,
        idempotency_key=idempotency_key,
        key_unused=not replay,
    )
    petition = result.petition
    case: Case = petition.case
    # The body as SubmissionSerializer documents it, built here: its values are plain already.
    body = {
        "tracking_code": petition.tracking_code,
        "token": result.token,
        "tracking_url": tracking_url(result.token, petition.language) if result.token else None,
        "created": result.created,
        "state": case.state,
        "unit": {"name": case.unit.name, "level": case.unit.level},
        "submitted_at": _DATETIME.to_representation(petition.submitted_at),
        "triage_due_at": _DATETIME.to_representation(case.triage_due_at) if case.triage_due_at else None,
    }
    return Response(body, status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK)


@extend_schema(
    tags=[PUBLIC],
    operation_id="track_retrieve",
    summary="Follow a petition",
    description="What the citizen's tracking page shows: status, public timeline and published response. "
    "A wrong code or token is 404, either way.",
    parameters=[
        OpenApiParameter("code", str, OpenApiParameter.PATH, description="Tracking code, e.g. PA-26-7KQ3M9."),
        TRACKING_TOKEN_HEADER,
    ],
    responses={200: s.PublicCaseSerializer, **errors.error_responses(401, 404, 429)},
)
@api_view(["GET"])
@_public
def track(request: Request, code: str) -> Response:
    check_caller_rate(request, group="api-track", address_rate=portal_rate("track_ip"))
    # Only failed look-ups count against the code, and the right token is never refused by them: a
    # citizen's app may poll its own petition, and a tracking code is public (Open311 lists it), so
    # guesses at a code (here or on the portal's form) must not lock its citizen out. A token of
    # 43 random characters cannot be guessed in a few tries; the phone on the portal's form can,
    # which is why that form checks the budget first.
    petition = petition_by_code_and_token(code=code, token=request.headers.get("X-Tracking-Token", ""))
    if petition is None:
        if wait := track_code_wait(request, code):
            raise errors.Throttled(wait=wait)
        raise errors.not_found()
    return Response(s.PublicCaseSerializer(public_case(petition)).data)


# --- staff ---------------------------------------------------------------------------------------


@extend_schema(
    tags=[STAFF],
    operation_id="me_retrieve",
    summary="Who this token belongs to",
    responses={
        200: inline_serializer(
            "Me",
            {
                "user": s.UserRefSerializer(),
                "unit": s.UnitRefSerializer(),
                "role": serializers.ChoiceField(choices=Role.choices),
            },
        ),
        **errors.error_responses(401, 429),
    },
)
@api_view(["GET"])
def me(request: Request) -> Response:
    membership = membership_of(request.user)
    assert membership is not None
    return Response(
        {
            "user": s.UserRefSerializer(request.user).data,
            "unit": s.UnitRefSerializer(membership.unit).data,
            "role": membership.role,
        }
    )


class CaseCursorPagination(CursorPagination):
    ordering = ("-submitted_at", "-id")
    page_size_query_param = "page_size"
    max_page_size = 100

    def __init__(self) -> None:
        from django.conf import settings

        self.page_size = settings.API_PAGE_SIZE

    def get_page_size(self, request: Request) -> int:
        # DRF falls back to the default for ``page_size=null`` or ``=0``: a client's bug would pass unseen.
        if self.page_size_query_param not in request.query_params:
            return int(self.page_size or 1)
        raw = request.query_params.get(self.page_size_query_param)
        data = errors.validated(s.PageSizeSerializer(data={"page_size": raw}))
        return int(data["page_size"])

    # Cursors are signed: a cursor the API did not give out (edited or forged) is a 404, never a
    # query over a position that came from the client (a 500, or a 400 in English). The signature
    # covers the position only: a cursor from one filter works on another list, harmlessly (it is
    # a place in the same ordering, and the list is the user's own).
    _signer = signing.Signer(salt="api.cases.cursor")

    def encode_cursor(self, cursor: Cursor) -> str:
        url = super().encode_cursor(cursor)
        encoded = parse_qs(urlsplit(url).query)[self.cursor_query_param][0]
        return replace_query_param(url, self.cursor_query_param, self._signer.sign(encoded))

    def decode_cursor(self, request: Request) -> Cursor | None:
        signed = request.query_params.get(self.cursor_query_param)
        if signed is None:
            return None
        try:
            tokens = parse_qs(b64decode(self._signer.unsign(signed)).decode("ascii"), keep_blank_values=True)
            offset = int(tokens.get("o", ["0"])[0])
            reverse = tokens.get("r", ["0"])[0] == "1"
            position: Any = tokens.get("p", [None])[0]  # text: the stubs say int
        except (signing.BadSignature, ValueError, TypeError):
            raise errors.ApiError(
                status_code=status.HTTP_404_NOT_FOUND,
                code=errors.NOT_FOUND,
                message=_("This cursor is not valid: follow the next or previous address as given."),
            ) from None
        return Cursor(offset=min(max(offset, 0), self.offset_cutoff), reverse=reverse, position=position)


CasePageSerializer = inline_serializer(
    "CasePage",
    {
        "next": serializers.URLField(allow_null=True, help_text="The next page, or null on the last."),
        "previous": serializers.URLField(allow_null=True),
        "results": s.CaseSummarySerializer(many=True),
    },
)


@extend_schema(
    tags=[STAFF],
    operation_id="cases_list",
    summary="Cases within the token user's jurisdiction",
    description="Officers see their unit's cases; leaders also those of every unit below; the central level all. "
    "Newest first, with cursor pagination: follow `next`.",
    parameters=[
        s.CaseFilterSerializer,
        OpenApiParameter("cursor", str, description="Opaque; taken from `next` or `previous`."),
        s.PageSizeSerializer,
    ],
    responses={200: CasePageSerializer, **errors.error_responses(400, 401, 404, 429)},
)
@api_view(["GET"])
def case_list(request: Request) -> Response:
    params = request.query_params
    raw: dict[str, Any] = {key: params.get(key) for key in params if key != "state"}
    if "state" in params:
        raw["state"] = params.getlist("state")
    data = errors.validated(s.CaseFilterSerializer(data=raw))
    cases = api_cases(
        user=request.user,
        states=data.get("state") or (),
        category_id=data.get("category"),
        level=data.get("level"),
        unit_code=data.get("unit"),
        overdue=data.get("overdue"),
        assigned_to_me=data.get("assigned_to_me"),
        query=data.get("q") or "",
        since=data.get("submitted_since"),
        until=data.get("submitted_until"),
    )
    paginator = CaseCursorPagination()
    page = paginator.paginate_queryset(cases, request)
    return paginator.get_paginated_response(s.CaseSummarySerializer(page, many=True).data)


def _case_or_404(request: Request, pk: int) -> Case:
    case = api_case(user=request.user, case_id=pk)
    if case is None:
        raise errors.not_found()
    return case


def _case_detail(request: Request, case: Case) -> dict[str, Any]:
    membership = membership_of(request.user)
    handles = membership is not None and membership.unit_id == case.unit_id
    available = [
        url_segment(name) for name in case_available_actions(case=case, user=request.user) if name in ACTIONS
    ]
    context = {"handles": handles, "available_actions": available, "events": list(api_case_events(case))}
    return dict(s.CaseDetailSerializer(case, context=context).data)


@extend_schema(
    tags=[STAFF],
    operation_id="cases_retrieve",
    summary="A case with its whole timeline",
    description="Internal events included. Contact details only for staff of the unit handling the case.",
    parameters=[CASE_ID],
    responses={200: s.CaseDetailSerializer, **errors.error_responses(401, 404, 429)},
)
@api_view(["GET"])
def case_detail(request: Request, pk: int) -> Response:
    return Response(_case_detail(request, _case_or_404(request, pk)))


@extend_schema(
    tags=[STAFF],
    operation_id="cases_notes_create",
    summary="Add a note to a case",
    description="Staff of the handling unit only. Public notes are shown to the citizen.",
    parameters=[CASE_ID],
    request=s.NoteSerializer,
    responses={201: s.EventSerializer, **errors.error_responses(400, 401, 403, 404, 413, 415, 429)},
)
@api_view(["POST"])
def case_note(request: Request, pk: int) -> Response:
    case = _case_or_404(request, pk)
    data = errors.validated(s.NoteSerializer(data=request.data))
    event = services.case_add_note(
        case_id=case.pk, actor=request.user, text=data["text"], is_public=data["is_public"]
    )
    event = CaseEvent.objects.select_related("actor", "from_unit", "to_unit").get(pk=event.pk)
    return Response(s.EventSerializer(event).data, status=status.HTTP_201_CREATED)


def _run_action(request: Request, pk: int, action: Action) -> Response:
    """The back office's ``case_act``, answering in JSON: same checks, same form, same service."""
    membership = membership_of(request.user)
    assert membership is not None
    case = api_case(user=request.user, case_id=pk)
    moved = _("This case was moved to another unit a moment ago.")
    if case is None:
        # Staff who saw the case at their unit learn that it moved on; nobody else learns anything.
        if 0 < pk <= MAX_ID and case_moved_away_from(case_id=pk, unit_id=membership.unit_id):
            raise errors.Conflict(moved)
        raise errors.not_found()
    validated = errors.validated(actions.REQUEST_SERIALIZERS[action.name](data=request.data))
    stale = validated["version"] != case.version
    if membership.unit_id != case.unit_id:
        if stale and case_moved_away_from(case_id=pk, unit_id=membership.unit_id):
            raise errors.Conflict(moved)
        raise errors.ApiError(
            status_code=status.HTTP_403_FORBIDDEN,
            code=errors.PERMISSION_DENIED,
            message=_("Only staff of the unit handling this case can act on it."),
        )
    if action.name not in case_available_actions(case=case, user=request.user):
        if stale:
            raise errors.Conflict()
        if action.name in {t.name for t in case.get_available_state_transitions()}:  # type: ignore[attr-defined]
            raise errors.ApiError(
                status_code=status.HTTP_403_FORBIDDEN,
                code=errors.PERMISSION_DENIED,
                message=actions.leader_only_message(action.name),
            )
        raise errors.Conflict(
            _("This action is not possible for the case in its current state."),
            code=errors.TRANSITION_NOT_ALLOWED,
        )
    form = actions.bind_form(action, case=case, user=request.user, validated=validated)
    if not form.is_valid():
        details = form.errors.get_json_data()
        return errors.validation_response(
            {field: [e["message"] for e in items] for field, items in details.items()}
        )
    # Service errors (ValidationError, CaseConflict, CaseActionForbidden) become API errors in errors.py.
    updated = action.run(case, request.user, form.cleaned_data, form.cleaned_data["version"])
    visible = api_case(user=request.user, case_id=updated.pk)
    return Response(
        {
            "id": updated.pk,
            "version": updated.version,
            "state": updated.state,
            "unit": s.UnitRefSerializer(updated.unit).data,
            "case": _case_detail(request, visible) if visible is not None else None,
        }
    )


def _action_view(action: Action) -> Callable[..., Any]:
    def view(request: Request, pk: int) -> Response:
        return _run_action(request, pk, action)

    view.__name__ = f"case_{action.name}"
    view.__doc__ = actions.DESCRIPTIONS.get(action.name, "")
    decorated = extend_schema(
        tags=[STAFF],
        operation_id=f"cases_{action.name}",
        summary=action.label,
        description=actions.DESCRIPTIONS.get(action.name, ""),
        parameters=[CASE_ID],
        request=actions.REQUEST_SERIALIZERS[action.name],
        responses={
            200: s.ActionResultSerializer,
            **errors.error_responses(400, 401, 403, 404, 409, 413, 415, 429),
        },
    )(api_view(["POST"])(view))
    return decorated


ACTION_VIEWS: dict[str, Callable[..., Any]] = {name: _action_view(action) for name, action in ACTIONS.items()}
