"""Leaders' pages: the dashboard of a unit's subtree, the weekly report, a unit's case list, exports."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.dates import WEEKDAYS_ABBR
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from alerts.selectors import alerts_open_for
from backoffice import forms as f
from backoffice.access import leader_required, staff_required
from backoffice.tables import (
    PERFORMANCE_COLUMNS,
    PERFORMANCE_FORMATS,
    Sheet,
    csv_response,
    performance_values,
    xlsx_response,
)
from backoffice.views import TAB_LABELS, deadline_label, filtered_cases, list_query
from notifications.routes import DASHBOARD_SOCKET
from petitions.models import Category
from routing.metrics import OPEN_STATE_ORDER, Performance, Row, unit_performance, unit_summary
from routing.models import CaseState, Level, Unit, membership_of
from routing.selectors import INBOX_TABS, inbox_counts, unit_visible_to
from search.base import Scope

logger = logging.getLogger(__name__)

EXPORT_MAX_ROWS = 50_000
LIST_PAGE_SIZE = 25


def _scope(request: HttpRequest, code: str | None) -> Unit:
    """The unit the user looks at: theirs, or one they may see below it (``?unit=CODE``); else 403."""
    membership = membership_of(request.user)
    assert membership is not None
    if not code or code == membership.unit.code:
        return membership.unit
    unit = unit_visible_to(request.user, code)
    if unit is None:
        raise PermissionDenied
    return unit


def _opinion_scope(scope: Unit) -> tuple[Scope, str]:
    """What the opinion pages (monitoring, synthesis) read for ``scope``, and where they count places.

    Everything and per province for the central level; a unit's subtree and per commune below it.
    """
    if scope.level == Level.CENTRAL:
        return Scope(path_prefix="/"), "province"
    return Scope(path_prefix=scope.path), "commune"


def _breadcrumbs(scope: Unit, top: Unit) -> list[Unit]:
    """From the leader's own unit down to ``scope``."""
    chain = []
    unit: Unit | None = scope
    while unit is not None:
        chain.append(unit)
        if unit.pk == top.pk:
            break
        unit = unit.parent
    return list(reversed(chain))


def _daily_rows(perf: Performance) -> list[tuple[str, int, int]]:
    """The chart's table: "T2 07/12" per day, as ``date:"D d/m"`` writes it (a year is 365 rows:
    the weekday names are translated once, not per row)."""
    weekdays = [str(WEEKDAYS_ABBR[n]) for n in range(7)]
    return [(f"{weekdays[day.weekday()]} {day:%d/%m}", r, s) for day, r, s in perf.daily]


def _chart_data(perf: Performance) -> dict[str, Any]:
    return {
        "volume": {
            "labels": [f"{day:%d/%m}" for day, _r, _s in perf.daily],  # date_format(day, "d/m")
            "series": [
                {"label": _("Received"), "data": [r for _d, r, _s in perf.daily]},
                {"label": _("Responded"), "data": [s for _d, _r, s in perf.daily]},
            ],
        },
        "on_time": {
            "labels": [row.label for row in perf.units if row.responded],
            "series": [
                {
                    "label": _("Responded on time (%)"),
                    "data": [round(100 * (row.on_time_rate or 0), 1) for row in perf.units if row.responded],
                }
            ],
        },
    }


def _levels_within(scope: Unit) -> list[Level]:
    """The scope's level and those below it: the columns of the open-cases table."""
    order = [Level.CENTRAL, Level.PROVINCE, Level.COMMUNE]
    return order[order.index(Level(scope.level)) :]


def _open_table(perf: Performance) -> list[tuple[Any, list[int], int]]:
    levels = _levels_within(perf.scope)
    table = []
    for state in OPEN_STATE_ORDER:
        counts = [perf.open_by_state_level[state].get(level, 0) for level in levels]
        table.append((CaseState(state).label, counts, sum(counts)))
    return table


def _dashboard_period(request: HttpRequest) -> tuple[f.PeriodForm, str]:
    """The period form of the dashboard (the last 30 days unless told), and its query for the snapshot."""
    query = request.GET.copy()
    if not any(query.get(name) for name in ("period", "since", "until")):
        query["period"] = "30"
    return f.PeriodForm(query), query.urlencode()


def _open_alerts(request: HttpRequest, scope: Unit) -> list[Any]:
    """The banner's live alerts of the scope's subtree (the page and its snapshot)."""
    return list(alerts_open_for(request.user).filter(unit__path__startswith=scope.path)[:10])


@require_GET
@leader_required
def dashboard(request: HttpRequest) -> HttpResponse:
    membership = membership_of(request.user)
    assert membership is not None
    scope = _scope(request, request.GET.get("unit"))
    period, live_query = _dashboard_period(request)
    if not period.is_valid():
        context = {
            "period": period,
            "scope": scope,
            "crumbs": _breadcrumbs(scope, membership.unit),
            "crumb_base": reverse("backoffice:backoffice-dashboard"),
        }
        return render(request, "backoffice/dashboard.html", context, status=400)
    data = period.cleaned_data
    perf = unit_performance(scope=scope, since=data["since"], until=data["until"])
    return render(
        request,
        "backoffice/dashboard.html",
        {
            "open_alerts": _open_alerts(request, scope),
            "scope": scope,
            "crumbs": _breadcrumbs(scope, membership.unit),
            "crumb_base": reverse("backoffice:backoffice-dashboard"),
            "period": period,
            "perf": perf,
            "open_table": _open_table(perf),
            "levels": [level.label for level in _levels_within(scope)],
            "charts": _chart_data(perf),
            "daily_rows": _daily_rows(perf),
            "columns": PERFORMANCE_COLUMNS,
            "period_query": _period_query(data),
            "live_socket": f"{DASHBOARD_SOCKET}?{urlencode({'unit': scope.code})}",
            "live_query": live_query,
        },
    )


@require_GET
@leader_required
@never_cache
def dashboard_live(request: HttpRequest) -> JsonResponse:
    """The dashboard's alerts banner, summary counters and open-cases table, for its script to swap in."""
    scope = _scope(request, request.GET.get("unit"))
    period, _query = _dashboard_period(request)
    if not period.is_valid():
        return JsonResponse({"errors": period.errors.get_json_data()}, status=400)
    data = period.cleaned_data
    perf = unit_summary(scope=scope, since=data["since"], until=data["until"])
    context = {
        "perf": perf,
        "open_table": _open_table(perf),
        "levels": [level.label for level in _levels_within(scope)],
    }
    total = perf.total
    return JsonResponse(
        {
            "unit": scope.code,
            "counters": {"open": total.open, "overdue": total.overdue, "received": total.received},
            "html": {
                "summary": render_to_string("backoffice/_dashboard_summary.html", context, request=request),
                "open": render_to_string("backoffice/_dashboard_open.html", context, request=request),
                "alerts": render_to_string(
                    "backoffice/_alerts_banner.html",
                    {"open_alerts": _open_alerts(request, scope)},
                    request=request,
                ),
            },
        },
        json_dumps_params={"ensure_ascii": False},
    )


def _period_query(data: dict[str, Any]) -> str:
    if data["period"] == "custom":
        return f"period=custom&since={data['since'].isoformat()}&until={data['until'].isoformat()}"
    return f"period={data['period']}"


# --- weekly report ----------------------------------------------------------------------


def _report_rows(perf: Performance) -> Iterator[list[Any]]:
    for row in perf.units:
        yield [_("Unit"), row.unit.code if row.unit else "", _row_name(row), *performance_values(row)]
    total = perf.total
    yield [_("Total"), perf.scope.code, perf.scope.name, *performance_values(total)]
    for row in perf.categories:
        yield [_("Topic"), "", row.label, *performance_values(row)]


def _row_name(row: Row) -> str:
    if row.is_own and row.unit is not None and row.unit.level != Level.COMMUNE:
        return _("%(unit)s (own cases)") % {"unit": row.label}
    return row.label


@require_GET
@leader_required
def weekly_report(request: HttpRequest) -> HttpResponseBase:
    """The week's numbers for the leader's unit, each unit below it rolled up, and the topics."""
    scope = _scope(request, request.GET.get("unit"))
    week_param = request.GET.get("week")
    monday = f.iso_week(week_param)
    if week_param and monday.strftime("%G-W%V") != week_param.upper():
        messages.warning(request, _("That week could not be read; showing the last complete week."))
    if monday + dt.timedelta(days=6) >= timezone.localdate():
        messages.info(request, _("This week has not ended yet: its numbers are not final."))
    sunday = monday + dt.timedelta(days=6)
    perf = unit_performance(scope=scope, since=monday, until=sunday, with_daily=False)
    week = monday.strftime("%G-W%V")
    filename = f"bao-cao-tuan-{week}-{scope.code}"
    fmt = request.GET.get("format", "html")
    header = [_("Row"), _("Code"), _("Name"), *[c.label for c in PERFORMANCE_COLUMNS]]
    if fmt == "csv":
        return csv_response(filename, header, _report_rows(perf))
    if fmt == "xlsx":
        unit_rows = [r for r in _report_rows(perf) if r[0] != _("Topic")]
        topic_rows = [[r[2], *r[3:]] for r in _report_rows(perf) if r[0] == _("Topic")]
        about: list[list[Any]] = [
            [_("Unit"), f"{scope.name} ({scope.code})"],
            [_("Week"), f"{monday.isocalendar().week}/{monday.isocalendar().year}"],
            [_("From"), monday],
            [_("To"), sunday],
            [_("Generated on"), timezone.localtime()],
            [_("Durations"), _("in hours")],
        ]
        return xlsx_response(
            filename,
            [
                Sheet(_("Report"), [_("Weekly report"), ""], about),
                Sheet(_("Units"), header, unit_rows, (None, None, None, *PERFORMANCE_FORMATS)),
                Sheet(_("Topics"), [_("Topic"), *header[3:]], topic_rows, (None, *PERFORMANCE_FORMATS)),
            ],
        )
    membership = membership_of(request.user)
    assert membership is not None
    return render(
        request,
        "backoffice/weekly_report.html",
        {
            "scope": scope,
            "crumbs": _breadcrumbs(scope, membership.unit),
            "crumb_base": reverse("backoffice:backoffice-weekly-report"),
            "perf": perf,
            "week": week,
            "week_label": _("week %(number)s/%(year)s")
            % {"number": monday.isocalendar().week, "year": monday.isocalendar().year},
            "monday": monday,
            "sunday": sunday,
            "previous_week": (monday - dt.timedelta(days=7)).strftime("%G-W%V"),
            "next_week": (monday + dt.timedelta(days=7)).strftime("%G-W%V")
            if monday + dt.timedelta(days=7) <= timezone.localdate()
            else None,
            "columns": PERFORMANCE_COLUMNS,
            "generated_at": timezone.localtime(),
        },
    )


# --- a unit's case list and exports ------------------------------------------------------


def _tab(request: HttpRequest, default: str) -> str:
    tab = request.GET.get("tab", default)
    return tab if tab in INBOX_TABS else default


@require_GET
@staff_required
def unit_cases(request: HttpRequest, code: str) -> HttpResponse:
    """The cases at one unit, read-only, for leaders drilling down from the dashboard."""
    unit = _scope(request, code)
    tab = _tab(request, "open")
    filters, cases = filtered_cases(request, tab, unit)
    page = Paginator(cases, LIST_PAGE_SIZE).get_page(request.GET.get("page"))
    counts = inbox_counts(request.user, unit)
    query, export_query = list_query(request, tab)
    tabs = [key for key in INBOX_TABS if key != "mine"]
    membership = membership_of(request.user)
    assert membership is not None
    return render(
        request,
        "backoffice/unit_cases.html",
        {
            "unit": unit,
            "tab": tab,
            "tabs": [(key, TAB_LABELS[key], counts[key]) for key in tabs],
            "page": page,
            "rows": [(case, *deadline_label(case)) for case in page.object_list],
            "filters": filters,
            "categories": Category.objects.filter(is_active=True),
            "query": query,
            "export_query": export_query,
            # Leaders drilled down from their dashboard: the way back up.
            "crumbs": _breadcrumbs(unit, membership.unit) if membership.is_leader else [],
            "crumbs_link_last": True,
            "crumb_base": reverse("backoffice:backoffice-dashboard"),
        },
    )


EXPORT_COLUMNS = (
    ("code", _("Code")),
    ("submitted", _("Submitted")),
    ("topic", _("Topic")),
    ("commune", _("Commune")),
    ("title", _("Title")),
    ("status", _("Status")),
    ("unit", _("Handling unit")),
    ("assignee", _("Assignee")),
    ("due", _("Deadline")),
    ("overdue", _("Overdue")),
)
CONTACT_COLUMNS = (
    ("name", _("Full name")),
    ("phone", _("Phone")),
    ("email", _("Email")),
    ("address", _("Address")),
)


def _export_rows(cases: Any, *, with_contacts: bool) -> Iterator[list[Any]]:
    for case in cases.iterator(chunk_size=2000):
        petition = case.petition
        row: list[Any] = [
            petition.tracking_code,
            timezone.localtime(case.submitted_at),
            petition.category.display_name,
            petition.commune.name if petition.commune else "",
            petition.title,
            case.get_state_display(),
            case.unit.name,
            (case.assignee.get_full_name() or case.assignee.username) if case.assignee else "",
            timezone.localtime(case.due_at) if case.due_at else None,
            _("yes") if case.is_overdue else _("no"),
        ]
        if with_contacts:
            anonymous = petition.is_anonymous
            row += [
                "" if anonymous else petition.submitter_name,
                petition.phone_display,
                petition.email,
                petition.address,
            ]
        yield row


@require_GET
@staff_required
def cases_export(request: HttpRequest, fmt: str) -> HttpResponseBase:
    """The case list on screen (inbox or a unit's list) as CSV or XLSX.

    Citizens' contact details are included only for leaders, and only for the cases of
    their own unit: a province leader exporting a commune's list gets none.
    """
    if fmt not in ("csv", "xlsx"):
        raise PermissionDenied
    membership = membership_of(request.user)
    assert membership is not None
    unit = _scope(request, request.GET.get("unit"))
    tab = _tab(request, "open")
    _filters, cases = filtered_cases(request, tab, unit)
    cases = cases[:EXPORT_MAX_ROWS]
    with_contacts = membership.is_leader and unit.pk == membership.unit_id
    header = [label for _key, label in EXPORT_COLUMNS]
    if with_contacts:
        header += [label for _key, label in CONTACT_COLUMNS]
    # Who exported what, never the content: exports of personal data are audited.
    logger.info(
        "case export: user=%s unit=%s tab=%s format=%s contacts=%s",
        request.user.pk,
        unit.code,
        tab,
        fmt,
        with_contacts,
    )
    filename = f"ho-so-{unit.code}-{tab}-{timezone.localdate().isoformat()}"
    rows = _export_rows(cases, with_contacts=with_contacts)
    if fmt == "csv":
        return csv_response(filename, header, rows)
    return xlsx_response(filename, [Sheet(_("Cases"), header, rows)])


def export_url(unit: Unit | None, query: str, fmt: str) -> str:
    base = reverse("backoffice:backoffice-export", args=[fmt])
    parts = [p for p in (f"unit={unit.code}" if unit else "", query) if p]
    return f"{base}?{'&'.join(parts)}" if parts else base
