"""Reads of cases, always scoped to what the reader may see.

No view fetches a case by bare id: they go through ``cases_visible_to`` (or
``case_for_user``), so jurisdiction is enforced in one place.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, ExpressionWrapper, F, FloatField, Prefetch, Q, QuerySet, Value
from django.db.models.functions import Cast

from routing.geodata import EARTH_RADIUS_KM, distance_km
from routing.models import (
    FINAL_STATES,
    OPEN_STATES,
    UNPUBLISHED_STATES,
    ActorKind,
    Case,
    CaseEvent,
    CaseState,
    EventKind,
    Level,
    Membership,
    Unit,
    membership_of,
)
from routing.reference import unit_table


def _is_central_admin(user: Any) -> bool:
    return bool(getattr(user, "is_superuser", False) and getattr(user, "is_active", False))


def visible_unit_path(user: Any) -> str | None:
    """The unit-path prefix whose cases ``user`` may see, or None for nothing.

    Officers see their own unit only; leaders and admins the subtree below
    their unit; anyone at the central level sees everything.
    """
    if _is_central_admin(user):
        return "/"
    membership = membership_of(user)
    if membership is None or not user.is_active:
        return None
    unit = membership.unit
    if unit.level == Level.CENTRAL:
        return "/"
    if membership.is_leader:
        return unit.path
    return None  # officers: exact unit, handled by the caller


def cases_visible_to(user: Any) -> QuerySet[Case]:
    """Every case ``user`` may read."""
    prefix = visible_unit_path(user)
    if prefix == "/":
        return Case.objects.all()
    if prefix is not None:
        return Case.objects.filter(unit__path__startswith=prefix)
    membership = membership_of(user)
    if membership is None or not user.is_active:
        return Case.objects.none()
    return Case.objects.filter(unit_id=membership.unit_id)


def cases_actionable_by(user: Any) -> QuerySet[Case]:
    """Cases at the user's own unit: the only ones they may change."""
    membership = membership_of(user)
    if membership is None or not user.is_active:
        return Case.objects.none()
    return Case.objects.filter(unit_id=membership.unit_id)


def case_for_user(*, user: Any, case_id: int) -> Case | None:
    """One case if ``user`` may read it, with what a case page needs; None otherwise."""
    return (
        cases_visible_to(user)
        .select_related("petition", "petition__category", "unit", "assignee", "duplicate_of__petition")
        .filter(pk=case_id)
        .first()
    )


def case_moved_away_from(*, case_id: int, unit_id: int) -> bool:
    """Whether the case was handled at ``unit_id`` and has since moved to another unit.

    Lets a page tell the unit's staff, who saw the case a moment ago, that it moved
    on, instead of a bare "not found"; nobody else learns anything from it.
    """
    return (
        CaseEvent.objects.filter(case_id=case_id, from_unit_id=unit_id).exclude(to_unit_id=unit_id).exists()
    )


def case_events_visible_to(user: Any) -> QuerySet[CaseEvent]:
    """Events of the cases ``user`` may read (so events never leak past jurisdiction)."""
    return CaseEvent.objects.filter(case__in=cases_visible_to(user))


def case_public_events(case: Case) -> QuerySet[CaseEvent]:
    """The citizen's timeline: public events only."""
    return case.events.filter(is_public=True).select_related("to_unit").order_by("created_at", "id")


def case_event_by_idempotency_key(*, case_id: int, key: str) -> CaseEvent | None:
    """The event a client's retried update recorded the first time (``routing.citizen_updates``)."""
    if not key:
        return None
    return CaseEvent.objects.filter(case_id=case_id, data__idempotency_key=key).order_by("id").first()


def case_available_actions(*, case: Case, user: Any) -> list[str]:
    """Names of the transitions ``user`` may run on ``case`` now (for back-office buttons)."""
    membership = membership_of(user)
    if membership is None or membership.unit_id != case.unit_id:
        return []
    return [t.name for t in case.get_available_user_state_transitions(user)]  # type: ignore[attr-defined]


def unit_officers(unit: Unit) -> QuerySet[Membership]:
    return Membership.objects.filter(unit=unit, user__is_active=True).select_related("user")


# --- the officers' inbox ------------------------------------------------------------

INBOX_TABS = ("triage", "mine", "agency", "approval", "overdue", "open", "closed")
_WORKING = (
    CaseState.IN_PROGRESS,
    CaseState.AWAITING_AGENCY,
    CaseState.AWAITING_CITIZEN,
    CaseState.PENDING_APPROVAL,
)


def _tab_filter(tab: str, user: Any) -> Q:
    return {
        "triage": Q(state=CaseState.SUBMITTED),
        "mine": Q(assignee_id=getattr(user, "pk", None), state__in=_WORKING),
        # Waiting for someone outside the unit: an agency or the citizen.
        "agency": Q(state__in=(CaseState.AWAITING_AGENCY, CaseState.AWAITING_CITIZEN)),
        "approval": Q(state=CaseState.PENDING_APPROVAL),
        "overdue": Q(is_overdue=True, state__in=OPEN_STATES),
        "open": Q(state__in=OPEN_STATES),
        "closed": Q(state__in=FINAL_STATES),
    }[tab]


INBOX_SORTS = {
    "due": ("due_at", "-submitted_at", "id"),
    "newest": ("-submitted_at", "-id"),
    "oldest": ("submitted_at", "id"),
}


def inbox_cases(
    *,
    user: Any,
    tab: str = "triage",
    category_id: int | None = None,
    commune_id: int | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
    overdue: bool | None = None,
    query: str = "",
    sort: str = "due",
    unit: Unit | None = None,
) -> QuerySet[Case]:
    """Cases at the user's own unit (or at ``unit``, read-only, if they may see it) for one tab, filtered and sorted."""
    if tab not in INBOX_TABS:
        raise ValueError(f"unknown inbox tab {tab!r}")
    cases = _unit_cases(user, unit).filter(_tab_filter(tab, user))
    if category_id:
        cases = cases.filter(category_id=category_id)
    if commune_id:
        cases = cases.filter(petition__commune_id=commune_id)
    if since:
        cases = cases.filter(submitted_at__date__gte=since)
    if until:
        cases = cases.filter(submitted_at__date__lte=until)
    if overdue is not None:
        cases = cases.filter(is_overdue=overdue)
    text = unicodedata.normalize("NFC", query or "").strip()
    if text:
        cases = cases.filter(
            Q(petition__tracking_code__iexact=text.upper())
            | Q(petition__title__icontains=text)
            | Q(petition__text__icontains=text)
        )
    return cases.select_related(
        "petition", "petition__category", "petition__commune", "assignee", "unit"
    ).order_by(*INBOX_SORTS.get(sort, INBOX_SORTS["due"]))


def inbox_counts(user: Any, unit: Unit | None = None) -> dict[str, int]:
    """How many cases each inbox tab holds, in two queries.

    The open tabs are counted over the unit's open cases only, and the closed tab on
    its own (an index-only count): a unit's whole history is read by neither.
    """
    cases = _unit_cases(user, unit)
    aggregates = {tab: Count("pk", filter=_tab_filter(tab, user)) for tab in INBOX_TABS if tab != "closed"}
    counts = dict(cases.filter(state__in=OPEN_STATES).aggregate(**aggregates))
    counts["closed"] = cases.filter(_tab_filter("closed", user)).count()
    return counts


def _unit_cases(user: Any, unit: Unit | None) -> QuerySet[Case]:
    if unit is None:
        return cases_actionable_by(user)
    return cases_visible_to(user).filter(unit_id=unit.pk)


def unit_visible_to(user: Any, code: str) -> Unit | None:
    """The unit with ``code`` if ``user`` may read its cases (their own unit, or below it for leaders)."""
    unit = Unit.objects.select_related("parent").filter(code=code).first()
    membership = membership_of(user)
    if unit is None or membership is None or not user.is_active:
        return None
    if unit.pk == membership.unit_id:
        return unit
    prefix = visible_unit_path(user)
    return unit if prefix is not None and unit.path.startswith(prefix) else None


def response_templates_for(case: Case) -> QuerySet[Any]:
    """Active templates of the case's unit and the units above it, for its category or any."""
    from routing.models import ResponseTemplate

    return (
        ResponseTemplate.objects.filter(is_active=True, unit__code__in=case.unit.ancestor_codes)
        .filter(Q(category__isnull=True) | Q(category_id=case.petition.category_id))
        .select_related("unit")
        .order_by("title")
    )


#: Open cases, or closed ones submitted this recently, are offered as similar (search backends).
SIMILAR_WINDOW = dt.timedelta(days=60)


# --- Open311 ------------------------------------------------------------------------------

#: Public events whose note explains a status to the world (not the citizen's own words).
STATUS_NOTE_KINDS = (
    EventKind.REJECT,
    EventKind.MARK_DUPLICATE,
    EventKind.ESCALATE,
    EventKind.TRANSFER,
    EventKind.RETURN_DOWN,
    EventKind.REFER,
    EventKind.EXTEND,
    EventKind.NOTE,
)

#: What an Open311 answer reads: never the citizen's name, phone or email.
OPEN311_FIELDS = (
    "id",
    "state",
    "version",
    "submitted_at",
    "updated_at",
    "closed_at",
    "due_at",
    "resolution_due_at",
    "responded_at",
    "response_text",
    "unit__id",
    "unit__name",
    "petition__id",
    "petition__tracking_code",
    "petition__title",
    "petition__text",
    "petition__channel",
    "petition__address",
    "petition__latitude",
    "petition__longitude",
    "petition__media_url",
    "petition__consent_publish",
    "petition__partner",
    "petition__submitted_at",
    "petition__category__id",
    "petition__category__code",
    "petition__category__name",
    "petition__category__name_en",
    "petition__commune__id",
    "petition__commune__name",
    "petition__province__id",
    "petition__province__name",
)


def open311_published() -> Q:
    """Cases shown to every Open311 caller: as on the portal, consented and accepted by a unit."""
    return Q(petition__consent_publish=True) & ~Q(state__in=UNPUBLISHED_STATES)


def open311_cases(*, partner_id: int | None, codes: list[str] | None = None) -> QuerySet[Case]:
    """Cases for Open311 answers, with what they show loaded in two queries whatever their number.

    Without ``codes``: the published cases, plus those the partner filed. With
    ``codes`` (tracking codes): those cases whoever filed them; the caller shows
    only their status unless ``open311_disclosure`` allows more.
    """
    if codes is not None:
        cases = Case.objects.filter(petition__tracking_code__in=codes)
    else:
        visible = open311_published()
        if partner_id is not None:
            visible |= Q(petition__partner_id=partner_id)
        cases = Case.objects.filter(visible)
    notes = (
        CaseEvent.objects.filter(is_public=True, kind__in=STATUS_NOTE_KINDS)
        .exclude(actor_kind=ActorKind.CITIZEN)
        .exclude(note="")
        .only("id", "case_id", "kind", "note", "created_at")
        .order_by("created_at", "id")
    )
    return (
        cases.select_related(
            "unit", "petition", "petition__category", "petition__commune", "petition__province"
        )
        .only(*OPEN311_FIELDS)
        .prefetch_related(Prefetch("events", queryset=notes, to_attr="status_note_events"))
        .order_by("-submitted_at", "-id")
    )


def open311_updates(
    *, partner_id: int | None, start: dt.datetime, end: dt.datetime, limit: int
) -> list[CaseEvent]:
    """Public updates of the requests an Open311 caller may list, in time order (one query).

    The citizen's own words (their added information, answers, ratings' comments) are theirs and
    the unit's: they are never sent to partners.
    """
    visible = open311_published()
    if partner_id is not None:
        visible |= Q(petition__partner_id=partner_id)
    return list(
        CaseEvent.objects.filter(
            is_public=True,
            created_at__gte=start,
            created_at__lte=end,
            case__in=Case.objects.filter(visible).values("pk"),
        )
        .exclude(actor_kind=ActorKind.CITIZEN)
        .select_related("case__petition", "case__unit", "to_unit")
        .order_by("created_at", "id")[:limit]
    )


def open311_disclosure(case: Case, partner_id: int | None) -> str:
    """How much of a case an Open311 caller sees: ``own`` (the filing partner), ``public`` or ``status``."""
    petition = case.petition
    if partner_id is not None and petition.partner_id == partner_id:
        return "own"
    if petition.consent_publish and case.state not in UNPUBLISHED_STATES:
        return "public"
    return "status"


#: A unit's code in the national register of administrative units (``01``, ``00070``).
NATIONAL_CODE = re.compile(r"[0-9]{1,9}")


def unit_code_by_national_code(*, level: str, national_code: str) -> str | None:
    """The portal's code of the unit of ``level`` with this national register code, if there is one."""
    if not NATIONAL_CODE.fullmatch(national_code):
        return None
    return unit_table().by_national_code.get((level, int(national_code)))


# --- open cases near a case's point (the desk's duplicate check) ---------------------------

#: The radii the desk offers, in metres; FixMyStreet looks for duplicates within 250 m.
NEARBY_RADII_M = (100, 250, 500, 1000)
NEARBY_DEFAULT_M = 250
#: At most this many candidates are read, the nearest by a flat-earth estimate in SQL.
NEARBY_LIMIT = 30


@dataclass(frozen=True)
class NearbyCase:
    case: Case
    distance_m: float


def cases_nearby(*, user: Any, case: Case, radius_m: int = NEARBY_DEFAULT_M) -> list[NearbyCase]:
    """Open cases ``user`` may read whose point lies within ``radius_m`` of ``case``'s, nearest first.

    One query: a latitude/longitude box around the point (``petition_point_idx``), ordered by
    a flat-earth distance (exact enough to rank points a few hundred metres apart) and cut at
    ``NEARBY_LIMIT``; the haversine distance of those few decides who is inside the circle.
    """
    petition = case.petition
    if petition.latitude is None or petition.longitude is None or radius_m <= 0:
        return []
    lat, lon = float(petition.latitude), float(petition.longitude)
    angle = radius_m / 1000 / EARTH_RADIUS_KM
    dlat = math.degrees(angle)
    # The widest longitude span of the circle (tangent meridians); near a pole, the whole band.
    ratio = math.sin(angle) / max(math.cos(math.radians(lat)), 1e-9)
    dlon = math.degrees(math.asin(ratio)) if ratio < 1 else 180.0
    step = Decimal("0.000001")  # one unit of the stored coordinates: rounding never drops a point
    squeeze = math.cos(math.radians(lat)) ** 2
    north = Cast(F("petition__latitude"), FloatField()) - Value(lat)
    east = Cast(F("petition__longitude"), FloatField()) - Value(lon)
    candidates = (
        cases_visible_to(user)
        .filter(
            state__in=OPEN_STATES,
            petition__latitude__range=(
                Decimal(f"{lat - dlat:.6f}") - step,
                Decimal(f"{lat + dlat:.6f}") + step,
            ),
            petition__longitude__range=(
                Decimal(f"{lon - dlon:.6f}") - step,
                Decimal(f"{lon + dlon:.6f}") + step,
            ),
        )
        .exclude(pk=case.pk)
        .select_related("petition", "unit")
        .annotate(flat=ExpressionWrapper(north * north + Value(squeeze) * east * east, FloatField()))
        .order_by("flat", "pk")[:NEARBY_LIMIT]
    )
    found = []
    for other in candidates:
        point = other.petition
        assert point.latitude is not None and point.longitude is not None
        metres = 1000 * distance_km(lat, lon, float(point.latitude), float(point.longitude))
        if metres <= radius_m:
            found.append(NearbyCase(other, metres))
    found.sort(key=lambda n: (n.distance_m, n.case.pk))
    return found
