"""Leaders' public-opinion monitoring page: volume by topic and place, rising topics, response times."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET

from backoffice.access import leader_required
from backoffice.leaders import _breadcrumbs, _dashboard_period, _opinion_scope, _period_query, _scope
from petitions.models import Category
from routing.models import Level, Unit, membership_of
from routing.units import unit_sort_key
from search.base import SearchUnavailable
from search.monitoring import MonitorQuery, as_chart, as_place_chart, monitor


@require_GET
@leader_required
def monitoring(request: HttpRequest) -> HttpResponse:
    membership = membership_of(request.user)
    assert membership is not None
    scope = _scope(request, request.GET.get("unit"))
    period, _query = _dashboard_period(request)
    context: dict[str, Any] = {
        "scope": scope,
        "period": period,
        "crumbs": _breadcrumbs(scope, membership.unit),
        "crumb_base": reverse("backoffice:backoffice-monitoring"),
    }
    if not period.is_valid():
        return render(request, "backoffice/monitoring.html", context, status=400)
    data = period.cleaned_data
    searched, places = _opinion_scope(scope)
    try:
        result = monitor(
            MonitorQuery(
                scope=searched,
                since=data["since"],
                until=data["until"],
                places=places,
            )
        )
    except SearchUnavailable:
        context["unavailable"] = True
        return render(request, "backoffice/monitoring.html", context, status=503)
    categories = {c.pk: c.display_name for c in Category.objects.all()}
    place_level = Level.PROVINCE if places == "province" else Level.COMMUNE
    place_units = Unit.objects.filter(level=place_level, is_active=True)
    if places == "commune":
        place_units = place_units.filter(path__startswith=scope.path)
    # One query for the places' names and points: the map's numbers are the tiles' own.
    places_rows = list(place_units.values_list("code", "name", "latitude", "longitude"))
    names = {code: name for code, name, _lat, _lon in places_rows}
    tiles = [(name, code, result.volume_by_place.get(code, 0)) for code, name in names.items()]
    if places == "province":  # 34 provinces: all of them, in the order people look them up
        tiles.sort(key=lambda tile: unit_sort_key(tile[0]))
        quiet = 0
        if not any(n for _name, _code, n in tiles):
            tiles = []  # an empty period: "no place had petitions", not 34 zeros
    else:  # up to ~170 communes: those with petitions, most first; the quiet ones counted
        quiet = sum(1 for tile in tiles if not tile[2])
        tiles = sorted(
            (tile for tile in tiles if tile[2]), key=lambda tile: (-tile[2], unit_sort_key(tile[0]))
        )
    peak = max((n for _name, _code, n in tiles), default=0) or 1
    context.update(
        {
            "result": result,
            "period_query": _period_query(data),
            "chart": as_chart(result, categories, other_label=_("Other topics")),
            "place_chart": as_place_chart(result, names, other_label=_("Other places")),
            "tiles": [(name, code, n, min(4, (4 * n + peak - 1) // peak)) for name, code, n in tiles],
            "place_map": _place_map(places_rows, result.volume_by_place, data),
            "quiet_places": quiet,
            "places_label": _("Provinces") if places == "province" else _("Communes"),
            "levels": [(Level(level).label, *numbers) for level, numbers in result.response_by_level.items()],
            "satisfaction": sorted(
                ((categories.get(pk, pk), n, average) for pk, (n, average) in result.satisfaction.items()),
                key=lambda row: row[2] or 0,
            ),
            "since": data["since"],
            "until": data["until"],
        }
    )
    return render(request, "backoffice/monitoring.html", context)


def _place_map(
    rows: list[tuple[str, str, Decimal | None, Decimal | None]], volume: dict[str, int], data: dict[str, Any]
) -> list[dict[str, Any]]:
    """The places with petitions and a point, as proportional symbols (static/portal/symbols.js).

    Each leads down to the place's own monitoring for the same period and to the cases its unit
    handles that were submitted in it (the case list counts by handling unit, not by place).
    """
    monitoring_url = reverse("backoffice:backoffice-monitoring")
    period = _period_query(data)
    dates = urlencode({"since": data["since"].isoformat(), "until": data["until"].isoformat()})
    symbols: list[dict[str, Any]] = []
    for code, name, latitude, longitude in rows:
        count = volume.get(code, 0)
        if not count or latitude is None or longitude is None:
            continue
        symbols.append(
            {
                "code": code,
                "name": name,
                "lat": float(latitude),
                "lon": float(longitude),
                "count": count,
                "label": ngettext("%(place)s: %(n)s petition", "%(place)s: %(n)s petitions", count)
                % {"place": name, "n": count},
                "links": [
                    {
                        "href": f"{monitoring_url}?unit={code}&{period}",
                        "text": _("Public opinion in this place"),
                    },
                    {
                        "href": f"{reverse('backoffice:backoffice-unit-cases', args=[code])}?{dates}",
                        "text": _("Cases at this unit"),
                    },
                ],
            }
        )
    symbols.sort(key=lambda symbol: (-symbol["count"], unit_sort_key(symbol["name"])))
    return symbols
