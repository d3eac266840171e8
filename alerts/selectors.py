"""Reads of alerts, always scoped: a leader sees the alerts of the units of their subtree only."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from alerts.models import LIVE_STATES, Alert
from routing.models import Case, membership_of
from routing.selectors import cases_visible_to
from search.documents import fold
from search.monitoring import title_topics


def _alert_path(user: Any) -> str | None:
    """The unit-path prefix of the alerts ``user`` may read: leaders' (and admins') subtree; else None."""
    if getattr(user, "is_superuser", False) and getattr(user, "is_active", False):
        return "/"
    membership = membership_of(user)
    if membership is None or not user.is_active or not membership.is_leader:
        return None
    return membership.unit.path


def alerts_visible_to(user: Any) -> QuerySet[Alert]:
    """Every alert ``user`` may read: those sent to a unit of their subtree (leaders only)."""
    prefix = _alert_path(user)
    if prefix is None:
        return Alert.objects.none()
    alerts = Alert.objects.select_related("place", "unit", "category", "acknowledged_by", "closed_by")
    if prefix == "/":
        return alerts.all()
    return alerts.filter(unit__path__startswith=prefix)


def alerts_open_for(user: Any) -> QuerySet[Alert]:
    """The live alerts of the user's subtree, newest first: the dashboard's banner."""
    return alerts_visible_to(user).filter(state__in=LIVE_STATES).order_by("-updated_at")


def alert_for_user(*, user: Any, alert_id: int) -> Alert | None:
    return alerts_visible_to(user).filter(pk=alert_id).first()


def alert_may_handle(*, user: Any, alert: Alert) -> bool:
    """Leaders of the alert's unit or of a unit above it may acknowledge or close it."""
    prefix = _alert_path(user)
    return prefix is not None and alert.unit.path.startswith(prefix)


def alert_cases(*, alert: Alert, user: Any) -> list[Case]:
    """The cases behind ``alert`` that ``user`` may read: the place's petitions of the subject in its window."""
    place = Q(petition__province_id=alert.place_id) | Q(petition__commune_id=alert.place_id)
    cases = (
        cases_visible_to(user)
        .filter(
            place, petition__submitted_at__gte=alert.window_start, petition__submitted_at__lt=alert.window_end
        )
        .select_related("petition", "unit")
        .order_by("-submitted_at")
    )
    if alert.category_id is not None:
        return list(cases.filter(petition__category_id=alert.category_id))
    found = cases.filter(petition__search_text__contains=f" {fold(alert.term)} ")
    return [case for case in found if alert.term in title_topics(case.petition.title)]
