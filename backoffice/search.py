"""The back-office search page and the similar cases of the desk, over whichever search backend is configured.

Jurisdiction comes from ``search.base.scope_for(user)`` and is applied by the backend inside
its query (facet counts included): officers search their unit, leaders their subtree,
the central level everything.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from backoffice import forms as f
from backoffice.access import staff_required
from petitions.models import Category
from routing.models import Case, CaseState, Level, Unit, membership_of
from search import get_backend
from search.base import FACETS, Hit, SearchQuery, SearchResult, SearchUnavailable, scope_for

logger = logging.getLogger(__name__)

PAGE_SIZE = 25
SIMILAR_LIMIT = 5

#: facet name → the GET parameter (and SearchForm field) that selects its values.
FACET_PARAMS = {
    "state": "state",
    "category": "category",
    "level": "level",
    "province": "province",
    "commune": "commune",
    "overdue": "overdue",
}


@dataclass
class HitRow:
    """A hit as pages show it: the backend's facts with names for its unit and state."""

    case_id: int
    code: str
    title: str
    state: str
    state_label: str
    unit_name: str
    category_name: str
    submitted_at: Any
    #: The title with its matches marked, when the backend highlighted it; else the plain title.
    title_html: SafeString | str = ""
    #: Escaped by the backend (only <mark> is markup), so safe to render as HTML.
    highlights: list[SafeString] = field(default_factory=list)


@dataclass
class FacetValue:
    value: str  # as it goes in the URL
    label: str
    count: int | None  # None: selected, but not among the listed values
    selected: bool


@dataclass
class Facet:
    name: str
    param: str
    label: str
    values: list[FacetValue]


def _state_label(value: str) -> str:
    return str(CaseState(value).label) if value in CaseState.values else value


def _unit_names(codes: Iterable[str]) -> dict[str, str]:
    wanted = {code for code in codes if code}
    if not wanted:
        return {}
    return dict(Unit.objects.filter(code__in=wanted).values_list("code", "name"))


def _plain(fragment: str) -> str:
    return html.unescape(fragment.replace("<mark>", "").replace("</mark>", "")).strip("…").strip()


def _split_title(hit: Hit) -> tuple[SafeString | str, list[SafeString]]:
    """The highlighted title (if a fragment is the whole title) and the other fragments.

    The backends escape the text and add only <mark>…</mark> (``search.base.Hit``), so the
    fragments are safe to render as HTML.
    """
    fragments = [mark_safe(fragment) for fragment in hit.highlights]  # noqa: S308
    for index, fragment in enumerate(fragments):
        if _plain(fragment) == hit.title.strip():
            return fragment, fragments[:index] + fragments[index + 1 :]
    return hit.title, fragments


def hit_rows(
    hits: list[Hit], *, unit_names: dict[str, str] | None = None, categories: dict[int, str] | None = None
) -> list[HitRow]:
    names = unit_names if unit_names is not None else _unit_names(hit.unit_code for hit in hits)
    rows = []
    for hit in hits:
        title_html, highlights = _split_title(hit)
        rows.append(
            HitRow(
                case_id=hit.case_id,
                code=hit.code,
                title=hit.title,
                state=hit.state,
                state_label=_state_label(hit.state),
                unit_name=names.get(hit.unit_code, hit.unit_code),
                category_name=(categories or {}).get(hit.category_id, ""),
                submitted_at=hit.submitted_at,
                title_html=title_html,
                highlights=highlights,
            )
        )
    return rows


def similar_to(case: Case, user: Any) -> list[HitRow]:
    """Similar cases for the desk; none (and a log line) when search is down, so the desk still opens."""
    try:
        hits = get_backend().similar(case_id=case.pk, scope=scope_for(user), limit=SIMILAR_LIMIT)
    except SearchUnavailable:
        logger.warning("search unavailable: no similar cases shown for case %s", case.pk)
        return []
    return hit_rows(hits)


# --- the search page -------------------------------------------------------------------------


def _query(data: dict[str, Any], user: Any, page: int) -> SearchQuery:
    text = data.get("q") or ""
    return SearchQuery(
        scope=scope_for(user),
        text=text,
        states=tuple(data.get("state") or ()),
        category_ids=tuple(data.get("category") or ()),
        levels=tuple(data.get("level") or ()),
        province_codes=tuple(data.get("province") or ()),
        commune_codes=tuple(data.get("commune") or ()),
        since=data.get("since"),
        until=data.get("until"),
        overdue=data.get("overdue"),
        sort=data.get("sort") or f.default_search_sort(text),
        page=page,
        page_size=PAGE_SIZE,
    )


def _selected(data: dict[str, Any], name: str) -> list[str]:
    if name == "overdue":
        value = data.get("overdue")
        return [] if value is None else ["1" if value else "0"]
    return [str(value) for value in data.get(FACET_PARAMS[name]) or ()]


def _facets(
    result: SearchResult, data: dict[str, Any], categories: dict[int, str], unit_names: dict[str, str]
) -> list[Facet]:
    titles = {
        "state": _("Status"),
        "category": _("Topic"),
        "level": _("Level"),
        "province": _("Province"),
        "commune": _("Commune"),
        "overdue": _("Overdue"),
    }

    def label(name: str, value: str) -> str:
        if name == "state":
            return _state_label(value)
        if name == "category":
            return categories.get(int(value), value) if value.isdigit() else value
        if name == "level":
            return str(Level(value).label) if value in Level.values else value
        if name in ("province", "commune"):
            return unit_names.get(value, value)
        return _("Overdue") if value == "1" else _("Not overdue")

    facets = []
    for name in FACETS:
        selected = _selected(data, name)
        counted = [
            ("1" if value else "0") if name == "overdue" else str(value)
            for value, _count in result.facets.get(name, [])
        ]
        counts = dict(zip(counted, (count for _value, count in result.facets.get(name, [])), strict=True))
        values = [
            FacetValue(value, label(name, value), count, value in selected) for value, count in counts.items()
        ]
        values += [
            FacetValue(value, label(name, value), None, True) for value in selected if value not in counts
        ]
        if values:
            facets.append(Facet(name, FACET_PARAMS[name], titles[name], values))
    return facets


def _scope_note(user: Any) -> str:
    scope = scope_for(user)
    membership = membership_of(user)
    unit = membership.unit.name if membership else ""
    if scope.path_prefix == "/":
        return _("You search every case.")
    if scope.path_prefix:
        return _("You search the cases of %(unit)s and of the units below it.") % {"unit": unit}
    return _("You search the cases of %(unit)s.") % {"unit": unit}


def _paging(request: HttpRequest) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


@require_GET
@staff_required
def search(request: HttpRequest) -> HttpResponse:
    form = f.SearchForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else getattr(form, "cleaned_data", {})
    categories = {c.pk: c.display_name for c in Category.objects.all()}
    text = data.get("q") or ""
    if form.has_error("q"):
        text = str(form.data.get("q") or "")  # refused, but the sort list still shows what words mean
    context: dict[str, Any] = {
        "form": form,
        "sorts": f.SEARCH_SORTS,
        "scope_note": _scope_note(request.user),
        "refusals": form.refusals,
        "period_refused": form.has_error("until", "order"),
        "left_out": form.left_out,
        "default_sort": f.default_search_sort(text),
        "sort": data.get("sort") or f.default_search_sort(text),
    }
    if context["refusals"]:
        # Searching without the words (or with an impossible period) would list cases as if
        # they matched: search nothing and say why. Selected filters stay selected.
        selected = _unit_names([value for name in ("province", "commune") for value in _selected(data, name)])
        empty = SearchResult(total=0, hits=[])
        context.update({"result": empty, "rows": [], "facets": _facets(empty, data, categories, selected)})
        return render(request, "backoffice/search.html", context)
    try:
        backend = get_backend()
        query = _query(data, request.user, data.get("page") or 1)
        result = backend.search(query)
        page = Paginator(range(result.total), PAGE_SIZE).get_page(query.page)
        if result.total and page.number != query.page:
            # Past the last page (the results shrank since the link was made): show the last one.
            query = _query(data, request.user, page.number)
            result = backend.search(query)
    except SearchUnavailable:
        logger.warning("search unavailable for the back-office search page")
        context["unavailable"] = True
        return render(request, "backoffice/search.html", context, status=503)

    codes = [hit.unit_code for hit in result.hits]
    for name in ("province", "commune"):
        codes += [str(value) for value, _count in result.facets.get(name, [])] + _selected(data, name)
    unit_names = _unit_names(codes)
    context.update(
        {
            "result": result,
            "rows": hit_rows(result.hits, unit_names=unit_names, categories=categories),
            "facets": _facets(result, data, categories, unit_names),
            "page": page,
            "query": _paging(request),
            "sort": query.sort,
        }
    )
    return render(request, "backoffice/search.html", context)
