"""Leaders' emerging-issue alerts: the list of their subtree's alerts, one alert with its cases, and
acknowledge or close. Thin: reads through ``alerts.selectors``, writes through ``alerts.services``."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from alerts.models import LIVE_STATES
from alerts.selectors import alert_cases, alert_for_user, alert_may_handle, alerts_visible_to
from alerts.services import alert_acknowledge, alert_close
from backoffice.access import leader_required

LIST_LIMIT = 200


@require_GET
@leader_required
def alerts_list(request: HttpRequest) -> HttpResponse:
    show = "all" if request.GET.get("show") == "all" else "open"
    alerts = alerts_visible_to(request.user).order_by("-updated_at")
    if show == "open":
        alerts = alerts.filter(state__in=LIVE_STATES)
    return render(request, "backoffice/alerts.html", {"alerts": alerts[:LIST_LIMIT], "show": show})


@require_GET
@leader_required
def alert_detail(request: HttpRequest, pk: int) -> HttpResponse:
    alert = alert_for_user(user=request.user, alert_id=pk)
    if alert is None:
        raise Http404
    return render(
        request,
        "backoffice/alert.html",
        {
            "alert": alert,
            "cases": alert_cases(alert=alert, user=request.user),
            "may_handle": alert_may_handle(user=request.user, alert=alert),
        },
    )


@require_POST
@leader_required
def alert_act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    alert = alert_for_user(user=request.user, alert_id=pk)
    if alert is None or action not in ("acknowledge", "close"):
        raise Http404
    if not alert_may_handle(user=request.user, alert=alert):
        raise PermissionDenied
    try:
        if action == "acknowledge":
            alert_acknowledge(alert_id=alert.pk, user=request.user)
            messages.success(request, _("Alert acknowledged."))
        else:
            alert_close(alert_id=alert.pk, user=request.user)
            messages.success(request, _("Alert closed."))
    except ValidationError as error:
        messages.warning(request, " ".join(error.messages))
    return redirect("backoffice:backoffice-alert", pk=alert.pk)
