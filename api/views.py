"""The JSON API, version 1. Thin views: input through serializers, reads through selectors, writes through services.

Public endpoints (reference data, filing a petition, following it with its
tracking token) need no account. Case endpoints need a staff token and see
exactly what ``cases_visible_to`` lets the token's user see: a case outside
their jurisdiction is 404, never 403, so its existence does not leak.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.decorators import api_view, authentication_classes, permission_classes
from rest_framework.pagination import CursorPagination
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from api import actions, errors
from api import serializers as s
from api.presenters import public_case
from api.selectors import CODE_SHAPE, MAX_ID, api_case, api_case_events, api_cases, petition_by_code_and_token
from api.throttling import check_rate, client_ip, portal_rate
from backoffice.views import ACTIONS, Action
from notifications.texts import tracking_url
from petitions.models import Category, Channel
from petitions.services import normalize_phone, normalize_tracking_code, petition_submit
from routing import services
from routing.models import Case, CaseEvent, Level, Role, Unit, membership_of
from routing.selectors import case_available_actions, case_moved_away_from

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
    """No account: no authentication is even attempted (a stray Authorization header changes nothing)."""
    return authentication_classes([])(permission_classes([AllowAny])(view))


# --- public: reference data -------------------------------------------------------------------


@extend_schema(
    tags=[PUBLIC],
    operation_id="categories_list",
    summary="Categories a petition can be filed under",
    responses={200: s.CategorySerializer(many=True), **errors.error_responses(429)},
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
    responses={200: s.ProvinceSerializer(many=True), **errors.error_responses(429)},
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
    parameters=[OpenApiParameter("code", str, OpenApiParameter.PATH, description="Province code, e.g. P01.")],
    responses={200: s.CommuneSerializer(many=True), **errors.error_responses(404, 429)},
)
@api_view(["GET"])
@_public
def communes(request: Request, code: str) -> Response:
    province = (
        Unit.objects.filter(level=Level.PROVINCE, is_active=True, code=code).first()
        if CODE_SHAPE.fullmatch(code)
        else None
    )
    if province is None:
        raise errors.not_found()
    rows = Unit.objects.filter(parent=province, level=Level.COMMUNE, is_active=True).order_by(
        "admin_code", "code"
    )
    for row in rows:
        row.parent = province  # one query: every row's province is this one
    return Response(s.CommuneSerializer(rows, many=True).data)


# --- public: filing and following a petition ---------------------------------------------------


def _phone_key(phone: str) -> Callable[[str, HttpRequest], str]:
    def key(group: str, request: HttpRequest) -> str:
        try:
            return normalize_phone(phone)
        except ValidationError:
            return phone.strip()

    return key


@extend_schema(
    tags=[PUBLIC],
    operation_id="petitions_create",
    summary="File a petition",
    description="The same intake as the portal's form: same validation, routing, tracking code and token. "
    "Keep the returned token: it is the only way to follow the petition by API, and it is not stored.",
    parameters=[IDEMPOTENCY_KEY_HEADER],
    request=s.PetitionSubmitSerializer,
    responses={
        201: OpenApiResponse(s.SubmissionSerializer, description="Filed."),
        200: OpenApiResponse(
            s.SubmissionSerializer, description="An idempotent retry: the earlier petition."
        ),
        **errors.error_responses(400, 429),
    },
)
@api_view(["POST"])
@_public
def petition_create(request: Request) -> Response:
    check_rate(request, group="api-submit", rate=portal_rate("submit_ip"), key=client_ip)
    serializer = s.PetitionSubmitSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    data = serializer.validated_data
    check_rate(
        request, group="api-submit-phone", rate=portal_rate("submit_phone"), key=_phone_key(data["phone"])
    )
    result = petition_submit(
        **data,
        channel=Channel.API,
        language=(get_language() or "vi")[:2],
        idempotency_key=request.headers.get("Idempotency-Key"),
    )
    petition = result.petition
    case: Case = petition.case
    body = {
        "tracking_code": petition.tracking_code,
        "token": result.token,
        "tracking_url": tracking_url(result.token, petition.language) if result.token else None,
        "created": result.created,
        "state": case.state,
        "unit": {"name": case.unit.name, "level": case.unit.level},
        "submitted_at": petition.submitted_at,
        "triage_due_at": case.triage_due_at,
    }
    return Response(
        s.SubmissionSerializer(body).data,
        status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK,
    )


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
    responses={200: s.PublicCaseSerializer, **errors.error_responses(404, 429)},
)
@api_view(["GET"])
@_public
def track(request: Request, code: str) -> Response:
    check_rate(request, group="api-track", rate=portal_rate("track_ip"), key=client_ip)
    normalized = normalize_tracking_code(code)[:16]

    def code_key(group: str, request: HttpRequest) -> str:
        return normalized

    # Only failed look-ups count against the code: a citizen's app may poll its own petition.
    check_rate(request, group="api-track-code", rate=portal_rate("track_code"), key=code_key, increment=False)
    petition = petition_by_code_and_token(code=normalized, token=request.headers.get("X-Tracking-Token", ""))
    if petition is None:
        check_rate(request, group="api-track-code", rate=portal_rate("track_code"), key=code_key)
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
        OpenApiParameter("page_size", OpenApiTypes.INT, description="1 to 100 (default 25)."),
    ],
    responses={200: CasePageSerializer, **errors.error_responses(400, 401, 404, 429)},
)
@api_view(["GET"])
def case_list(request: Request) -> Response:
    params = request.query_params
    raw: dict[str, Any] = {key: params.get(key) for key in params if key != "state"}
    if "state" in params:
        raw["state"] = params.getlist("state")
    filters = s.CaseFilterSerializer(data=raw)
    filters.is_valid(raise_exception=True)
    data = filters.validated_data
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
    available = [name for name in case_available_actions(case=case, user=request.user) if name in ACTIONS]
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
    responses={201: s.EventSerializer, **errors.error_responses(400, 401, 403, 404, 429)},
)
@api_view(["POST"])
def case_note(request: Request, pk: int) -> Response:
    case = _case_or_404(request, pk)
    serializer = s.NoteSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    event = services.case_add_note(
        case_id=case.pk,
        actor=request.user,
        text=serializer.validated_data["text"],
        is_public=serializer.validated_data["is_public"],
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
    serializer = actions.REQUEST_SERIALIZERS[action.name](data=request.data)
    serializer.is_valid(raise_exception=True)
    stale = serializer.validated_data["version"] != case.version
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
                message=actions.leader_only_message(),
            )
        raise errors.Conflict(
            _("This action is not possible for the case in its current state."),
            code=errors.TRANSITION_NOT_ALLOWED,
        )
    form = actions.bind_form(action, case=case, user=request.user, validated=serializer.validated_data)
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
        responses={200: s.ActionResultSerializer, **errors.error_responses(400, 401, 403, 404, 409, 429)},
    )(api_view(["POST"])(view))
    return decorated


ACTION_VIEWS: dict[str, Callable[..., Any]] = {name: _action_view(action) for name, action in ACTIONS.items()}
