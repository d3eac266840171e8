"""Reads for the API, all built on ``routing.selectors.cases_visible_to`` (jurisdiction in one place)."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Sequence
from typing import Any

from django.db.models import Q, QuerySet

from petitions.models import Petition
from petitions.services import normalize_tracking_code
from routing.models import Case, CaseEvent, Level, Unit
from routing.selectors import NATIONAL_CODE, cases_visible_to

#: Larger ids cannot exist (64-bit keys); the databases raise on them rather than find nothing.
MAX_ID = 2**63 - 1
#: What a unit or tracking code can look like: anything else is not looked up at all (PostgreSQL
#: refuses NUL characters in a query, and such a code cannot exist anyway).
CODE_SHAPE = re.compile(r"[A-Za-z0-9_-]{1,16}")


CASE_LIST_RELATED = ("petition", "petition__category", "petition__commune", "unit", "assignee")


def api_cases(
    *,
    user: Any,
    states: Sequence[str] = (),
    category_id: int | None = None,
    level: str | None = None,
    unit_code: str | None = None,
    overdue: bool | None = None,
    assigned_to_me: bool | None = None,
    query: str = "",
    since: dt.date | None = None,
    until: dt.date | None = None,
) -> QuerySet[Case]:
    """Cases ``user`` may read, filtered like the inbox, newest first (a stable order for cursors)."""
    cases = cases_visible_to(user)
    if states:
        cases = cases.filter(state__in=list(states))
    if category_id is not None:
        cases = cases.filter(category_id=category_id)
    if level:
        cases = cases.filter(unit__level=level)
    if unit_code:
        cases = cases.filter(unit__code=unit_code)
    if overdue is not None:
        cases = cases.filter(is_overdue=overdue)
    if assigned_to_me is True:
        cases = cases.filter(assignee_id=user.pk)
    elif assigned_to_me is False:
        cases = cases.exclude(assignee_id=user.pk)
    if since is not None:
        cases = cases.filter(submitted_at__date__gte=since)
    if until is not None:
        cases = cases.filter(submitted_at__date__lte=until)
    text = unicodedata.normalize("NFC", query or "").strip()
    if text:
        cases = cases.filter(
            Q(petition__tracking_code__iexact=normalize_tracking_code(text))
            | Q(petition__title__icontains=text)
            | Q(petition__text__icontains=text)
        )
    return cases.select_related(*CASE_LIST_RELATED).order_by("-submitted_at", "-id")


def api_case(*, user: Any, case_id: int) -> Case | None:
    """One case ``user`` may read, with what its detail shows; None when it does not exist for them."""
    if not 0 < case_id <= MAX_ID:
        return None
    return (
        cases_visible_to(user)
        .select_related(
            *CASE_LIST_RELATED,
            "petition__province",
            "duplicate_of__petition",
        )
        # The documents are listed to the handling unit (``CaseDetailSerializer.documents``).
        .prefetch_related("petition__documents")
        .filter(pk=case_id)
        .first()
    )


def api_case_events(case: Case) -> QuerySet[CaseEvent]:
    """Every event of a case the reader may see (internal ones too: staff only)."""
    return case.events.select_related("actor", "from_unit", "to_unit").order_by("created_at", "id")


def petition_by_code_and_token(*, code: str, token: str) -> Petition | None:
    """The petition with tracking ``code`` if ``token`` is its secret tracking token; None otherwise."""
    code = normalize_tracking_code(code)
    if not token or len(token) > 200 or not CODE_SHAPE.fullmatch(code):
        return None
    petition = (
        Petition.objects.select_related(
            "category", "commune", "province", "case__unit", "case__duplicate_of__petition"
        )
        .filter(tracking_code=code)
        .first()
    )
    if petition is None or not petition.check_token(token):
        return None
    return petition


def petition_filed_by_partner(*, code: str, partner_id: int) -> Petition | None:
    """The petition with tracking ``code`` if partner ``partner_id`` filed it (by Open311 or this API)."""
    code = normalize_tracking_code(code)
    if not CODE_SHAPE.fullmatch(code):
        return None
    return (
        Petition.objects.select_related("category", "commune", "province", "case__unit")
        .filter(tracking_code=code, partner_id=partner_id)
        .first()
    )


def api_province(code: str) -> Unit | None:
    """The active province with this code (``P01``) or national register code (``01``, ``1``)."""
    provinces = Unit.objects.filter(level=Level.PROVINCE, is_active=True)
    if NATIONAL_CODE.fullmatch(code):
        return provinces.filter(admin_code=int(code)).order_by("pk").first()
    if CODE_SHAPE.fullmatch(code):
        return provinces.filter(code=code).first()
    return None
