"""Reads of cases, always scoped to what the reader may see.

No view fetches a case by bare id: they go through ``cases_visible_to`` (or
``case_for_user``), so jurisdiction is enforced in one place.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from routing.models import Case, CaseEvent, Level, Membership, Unit, membership_of


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


def case_events_visible_to(user: Any) -> QuerySet[CaseEvent]:
    """Events of the cases ``user`` may read (so events never leak past jurisdiction)."""
    return CaseEvent.objects.filter(case__in=cases_visible_to(user))


def case_public_events(case: Case) -> QuerySet[CaseEvent]:
    """The citizen's timeline: public events only."""
    return case.events.filter(is_public=True).select_related("to_unit").order_by("created_at", "id")


def case_available_actions(*, case: Case, user: Any) -> list[str]:
    """Names of the transitions ``user`` may run on ``case`` now (for back-office buttons)."""
    membership = membership_of(user)
    if membership is None or membership.unit_id != case.unit_id:
        return []
    return [t.name for t in case.get_available_user_state_transitions(user)]  # type: ignore[attr-defined]


def unit_officers(unit: Unit) -> QuerySet[Membership]:
    return Membership.objects.filter(unit=unit, user__is_active=True).select_related("user")
