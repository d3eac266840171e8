"""Writes of alerts: the detection run (raise or update, tell the leaders) and leaders' acknowledge and close."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from alerts.detection import Params, Source, Spike, find_spikes, spike_p_value
from alerts.models import LIVE_STATES, Alert, AlertState
from alerts.selectors import alert_may_handle
from notifications import live, outbox
from routing.models import Case
from search.base import SearchUnavailable

logger = logging.getLogger(__name__)


@dataclass
class DetectReport:
    raised: list[int] = field(default_factory=list)
    updated: list[int] = field(default_factory=list)
    spikes: int = 0
    digests: int = 0


def alerts_detect(*, now: dt.datetime | None = None, source: Source | None = None) -> DetectReport:
    """Find the spikes at ``now`` and raise or update their alerts (the ``alerts.detect`` job).

    Idempotent: a spike whose place and subjects match a live (open or acknowledged) alert
    updates it when it grew (observed, expected, p-value, window, ``updated_at``) and is not
    raised again; after an alert was closed, the same subject raises a new one only when the
    petitions submitted after the closing are a spike on their own.

    Without ``source``, petitions are read from the search engine when it is configured
    (``SEARCH_BACKEND == "engine"``), else from the database; when the engine cannot answer, the
    run reads the database instead and logs a warning (``alerts.sources``).
    """
    now = now or timezone.now()
    params = Params.from_settings()
    spikes = (
        find_spikes(source, now=now, params=params)
        if source is not None
        else _find_spikes(now=now, params=params)
    )
    report = DetectReport(spikes=len(spikes))
    for spike in spikes:
        try:
            with transaction.atomic():
                _raise_or_update(spike, now=now, params=params, report=report)
        except IntegrityError:  # another run raised it at the same moment: theirs stands
            logger.info("alert for place %s %s raised by another run", spike.place_id, spike.subject)
    if report.raised or report.updated:
        logger.info("alerts: %d raised, %d updated", len(report.raised), len(report.updated))
        changed = Alert.objects.filter(pk__in=[*report.raised, *report.updated])
        _publish_after_commit(list(changed.order_by().values_list("unit__path", flat=True).distinct()))
    report.digests = alerts_notify_leaders()
    return report


def _find_spikes(*, now: dt.datetime, params: Params) -> list[Spike]:
    """The spikes from the configured source; from the database when the search engine cannot answer."""
    from alerts.sources import DatabaseSource, EngineSource

    if settings.SEARCH_BACKEND == "engine":
        try:
            return find_spikes(EngineSource(), now=now, params=params)
        except SearchUnavailable as exc:
            # An alert must not be missed because the engine is down: the database has every petition.
            logger.warning("alerts: detecting from the database, the search engine cannot answer: %s", exc)
    return find_spikes(DatabaseSource(), now=now, params=params)


def _publish_after_commit(paths: list[str]) -> None:
    """Leaders' open dashboards of these units (and above) refresh their alerts banner, after commit."""
    transaction.on_commit(lambda: live.publish_alerts_changed(unit_paths=paths))


def alerts_notify_leaders() -> int:
    """Tell the leaders of each alert's unit of its alerts raised or grown since they were last told.

    One digest e-mail per leader (``notifications.outbox.enqueue_alert_digests``), written in this
    transaction with the alerts' ``notified_observed`` set to what the digest said; the drain sends
    it after commit and retries it while e-mail is down. A run with nothing new writes nothing.
    Closed alerts are not reported. Returns the number of e-mails written.
    """
    with transaction.atomic():
        due = list(
            Alert.objects.select_for_update(of=("self",))
            .select_related("place", "unit", "category")
            .filter(state__in=LIVE_STATES, observed__gt=F("notified_observed"))
            .order_by("unit_id", "-observed", "pk")
        )
        if not due:
            return 0
        written = outbox.enqueue_alert_digests(due)
        # What the digest said, also when a unit has no leader with an e-mail (a leader added
        # later is not sent old news).
        for alert in due:
            alert.notified_observed = alert.observed
        Alert.objects.bulk_update(due, ["notified_observed"])
    if written:
        logger.info("alerts: %d digest e-mails to leaders", written)
    return written


def _fields(spike: Spike, observed: int) -> dict[str, Any]:
    return {
        "window_hours": spike.window_hours,
        "window_start": spike.window_start,
        "window_end": spike.window_end,
        "observed": observed,
        "expected": spike.expected,
        "p_value": spike_p_value(observed, spike.baseline, spike.weeks),
        "related": [s[2:] for s in spike.related if s.startswith("t:")],
    }


def _raise_or_update(spike: Spike, *, now: dt.datetime, params: Params, report: DetectReport) -> None:
    live = (
        Alert.objects.select_for_update()
        .filter(place_id=spike.place_id, subject__in=spike.subjects, state__in=LIVE_STATES)
        .order_by("first_raised_at")
        .first()
    )
    if live is not None:
        if spike.observed > live.observed:
            for name, value in _fields(spike, spike.observed).items():
                setattr(live, name, value)
            live.updated_at = now
            live.save()
            report.updated.append(live.pk)
        return
    observed = spike.observed
    closed = (
        Alert.objects.filter(place_id=spike.place_id, subject__in=spike.subjects, state=AlertState.CLOSED)
        .order_by("-closed_at")
        .first()
    )
    if closed is not None and closed.closed_at is not None and closed.closed_at > spike.window_start:
        # The spike's window reaches back before the closing: only what came after it is new.
        observed = Case.objects.filter(pk__in=spike.pks, submitted_at__gt=closed.closed_at).count()
        p_value = spike_p_value(observed, spike.baseline, spike.weeks)
        if observed < params.min_count or p_value > spike.threshold:
            return
    kind, _sep, value = spike.subject.partition(":")
    alert = Alert.objects.create(
        place_id=spike.place_id,
        unit_id=spike.place_id,  # the lowest unit whose area holds a province or commune is itself
        subject=spike.subject,
        category_id=int(value) if kind == "c" else None,
        term=value if kind == "t" else "",
        first_raised_at=now,
        updated_at=now,
        **_fields(spike, observed),
    )
    report.raised.append(alert.pk)


def _handled(alert_id: int, user: Any) -> Alert:
    alert = Alert.objects.select_for_update().select_related("unit").filter(pk=alert_id).first()
    if alert is None or not alert_may_handle(user=user, alert=alert):
        raise PermissionDenied
    return alert


def alert_acknowledge(*, alert_id: int, user: Any) -> Alert:
    """A leader of the alert's unit or above has seen it; it stays live and keeps growing."""
    with transaction.atomic():
        alert = _handled(alert_id, user)
        if alert.state != AlertState.OPEN:
            raise ValidationError(_("Only an open alert can be acknowledged."))
        alert.state = AlertState.ACKNOWLEDGED
        alert.acknowledged_at = timezone.now()
        alert.acknowledged_by = user
        alert.save(update_fields=["state", "acknowledged_at", "acknowledged_by"])
        _publish_after_commit([alert.unit.path])
    return alert


def alert_close(*, alert_id: int, user: Any, now: dt.datetime | None = None) -> Alert:
    """A leader closes the alert: the spike is dealt with; a new one raises a new alert."""
    with transaction.atomic():
        alert = _handled(alert_id, user)
        if alert.state == AlertState.CLOSED:
            raise ValidationError(_("This alert is already closed."))
        alert.state = AlertState.CLOSED
        alert.closed_at = now or timezone.now()
        alert.closed_by = user
        alert.save(update_fields=["state", "closed_at", "closed_by"])
        _publish_after_commit([alert.unit.path])
    return alert


def alerts_detect_job() -> None:
    """The job engine's entry point (``alerts.detect``): no arguments."""
    alerts_detect()
