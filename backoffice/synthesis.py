"""The weekly synthesis page: the topics of a period in a leader's area, printable, and as XLSX."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_GET

from backoffice import forms as f
from backoffice.access import leader_required
from backoffice.leaders import _breadcrumbs, _opinion_scope, _period_query, _scope
from backoffice.tables import Sheet, xlsx_response
from petitions.models import Category
from routing.models import Unit, membership_of
from search.synthesis import Synthesis, SynthesisQuery, Topic, synthesis_for

#: How many topics the chart stacks by week (the rest are in the tables).
CHART_TOPICS = 5


def _status_labels() -> dict[str, str]:
    return {
        "new": _("New"),
        "rising": _("Rising"),
        "steady": _("Steady"),
        "falling": _("Falling"),
    }


def _shown(topic: Topic, names: dict[str, str], categories: dict[int, Any]) -> dict[str, Any]:
    """A topic with its words for the page: the trend's label, the category's and the places' names."""
    return {
        "topic": topic,
        "status": _status_labels()[topic.status],
        "category": categories.get(topic.category_id or 0, ""),
        "places": [(names.get(code, code), n) for code, n in topic.places],
    }


def _week_chart(result: Synthesis) -> dict[str, Any]:
    """The top topics stacked by week: one readable chart, not a line per word."""
    leading = sorted(result.topics, key=lambda topic: -topic.count)[:CHART_TOPICS]
    return {
        "labels": [week.strftime("%d/%m") for week in result.weeks],
        "series": [{"label": topic.label, "data": topic.weekly} for topic in leading],
    }


@require_GET
@leader_required
def synthesis(request: HttpRequest) -> HttpResponse:
    membership = membership_of(request.user)
    assert membership is not None
    scope = _scope(request, request.GET.get("unit"))
    query = request.GET.copy()
    if not any(query.get(name) for name in ("period", "since", "until")):
        query["period"] = "7"  # a week, unless told
    period = f.PeriodForm(query)
    context: dict[str, Any] = {
        "scope": scope,
        "period": period,
        "crumbs": _breadcrumbs(scope, membership.unit),
        "crumb_base": reverse("backoffice:backoffice-synthesis"),
    }
    if not period.is_valid():
        return render(request, "backoffice/synthesis.html", context, status=400)
    data = period.cleaned_data
    searched, places = _opinion_scope(scope)
    result = synthesis_for(
        SynthesisQuery(
            scope=searched,
            since=data["since"],
            until=data["until"],
            places=places,
        )
    )
    place_codes = {code for topic in [*result.topics, *result.falling] for code, _n in topic.places}
    names = dict(Unit.objects.filter(code__in=place_codes).values_list("code", "name"))
    categories = {c.pk: c.display_name for c in Category.objects.all()}
    if request.GET.get("format") == "xlsx":
        return _xlsx(scope, data, result, names, categories)
    context.update(
        {
            "result": result,
            "topics": [_shown(topic, names, categories) for topic in result.topics],
            "chart": _week_chart(result),
            "period_query": _period_query(data),
            "since": data["since"],
            "until": data["until"],
            # "Weekly" only for a week: a month's or a year's synthesis is named as what it is.
            "weekly": (data["until"] - data["since"]).days == 6,
        }
    )
    return render(request, "backoffice/synthesis.html", context)


def _xlsx(
    scope: Unit, data: dict[str, Any], result: Synthesis, names: dict[str, str], categories: dict[int, Any]
) -> HttpResponse:
    statuses = _status_labels()

    def rows(topics: list[Topic]) -> list[list[Any]]:
        return [
            [
                topic.label,
                ", ".join(topic.other_words),
                str(categories.get(topic.category_id or 0, "")),
                statuses[topic.status],
                topic.count,
                topic.baseline,
                topic.growth,
                "; ".join(f"{names.get(code, code)} ({n})" for code, n in topic.places),
                topic.on_time_share,
                topic.rating,
                "; ".join(f"{e.tracking_code} {e.title}" for e in topic.examples),
            ]
            for topic in topics
        ]

    header = [
        # A topic here is a group of petitions' words (chủ đề), not a category (lĩnh vực).
        pgettext("synthesis", "Topic"),
        _("Other words"),
        _("Category"),
        _("Trend"),
        _("Petitions"),
        _("Expected from the 8 weeks before"),
        _("Change"),
        _("Places most affected"),
        _("Answered on time"),
        _("Satisfaction (1–5)"),
        _("Examples"),
    ]
    formats = (None, None, None, None, "0", "0.0", "+0%;-0%;0%", None, "0%", "0.0", None)
    about = [
        [_("Unit"), scope.name],
        [_("From"), data["since"]],
        [_("To"), data["until"]],
        [_("Petitions"), result.total],
    ]
    return xlsx_response(
        f"synthesis-{scope.code}-{data['since']:%Y%m%d}-{data['until']:%Y%m%d}",
        [
            Sheet(
                _("Synthesis"),
                [_("Weekly synthesis") if (data["until"] - data["since"]).days == 6 else _("Synthesis"), ""],
                about,
            ),
            Sheet(pgettext("synthesis", "Topics"), header, rows(result.topics), formats),
            Sheet(_("Falling"), header, rows(result.falling), formats),
        ],
    )
