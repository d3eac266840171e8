"""The detection job on the database: one alert per spike, updated as it grows, never raised twice."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command

from alerts.models import Alert, AlertState
from alerts.selectors import alert_cases, alerts_open_for, alerts_visible_to
from alerts.services import alert_acknowledge, alert_close, alerts_detect
from config.jobs import JOBS, job_function
from tests.alerts.conftest import NOW, Traffic
from tests.conftest import Cast, Tree


def test_normal_background_raises_no_alert(traffic: Traffic):
    report = alerts_detect(now=NOW)
    assert report.raised == [] and Alert.objects.count() == 0


def test_a_flood_burst_raises_exactly_one_alert_for_that_province_at_the_first_run(
    traffic: Traffic, tree: Tree, cast: Cast
):
    burst = traffic.burst(tree.hanoi, end=NOW - dt.timedelta(minutes=5))
    report = alerts_detect(now=NOW)
    assert len(report.raised) == 1
    alert = Alert.objects.get()
    assert alert.place == tree.hanoi and alert.unit == tree.hanoi
    assert alert.state == AlertState.OPEN
    assert alert.observed >= 40 and alert.expected < 5 and alert.p_value < 1e-10
    assert (alert.term == "ngập lụt") or (alert.category and alert.category.code == "environment")
    assert "ngập lụt" in [alert.term, *alert.related]
    # The cases behind it: every petition of the burst, seen by the province leader.
    behind = {case.petition_id for case in alert_cases(alert=alert, user=cast.province_leader)}
    assert {p.pk for p in burst} <= behind


def test_the_second_run_raises_nothing_new_and_a_growing_spike_updates_its_alert(
    traffic: Traffic, tree: Tree
):
    traffic.burst(tree.hanoi, end=NOW - dt.timedelta(minutes=5))
    alerts_detect(now=NOW)
    first = Alert.objects.get()

    again = alerts_detect(now=NOW + dt.timedelta(hours=1))
    assert again.raised == [] and again.updated == []
    assert Alert.objects.get().updated_at == first.updated_at

    traffic.burst(tree.hanoi, end=NOW + dt.timedelta(hours=1, minutes=50), count=20, seed=3)
    grown = alerts_detect(now=NOW + dt.timedelta(hours=2))
    assert grown.raised == [] and grown.updated == [first.pk]
    alert = Alert.objects.get()
    assert alert.observed >= first.observed + 20
    assert alert.updated_at == NOW + dt.timedelta(hours=2) and alert.first_raised_at == NOW
    assert alert.p_value <= first.p_value


def test_an_acknowledged_alert_still_grows_and_a_closed_one_is_not_raised_again_for_the_same_spike(
    traffic: Traffic, tree: Tree, cast: Cast
):
    traffic.burst(tree.hanoi, end=NOW - dt.timedelta(minutes=5))
    alerts_detect(now=NOW)
    alert = Alert.objects.get()
    alert_acknowledge(alert_id=alert.pk, user=cast.province_leader)
    traffic.burst(tree.hanoi, end=NOW + dt.timedelta(minutes=50), count=10, seed=4)
    assert alerts_detect(now=NOW + dt.timedelta(hours=1)).updated == [alert.pk]

    alert_close(alert_id=alert.pk, user=cast.province_leader, now=NOW + dt.timedelta(hours=2))
    closed = Alert.objects.get()
    assert closed.state == AlertState.CLOSED and closed.closed_by == cast.province_leader
    # Still inside the windows, the same petitions are no new spike.
    assert alerts_detect(now=NOW + dt.timedelta(hours=3)).raised == []
    # A new wave after the closing is.
    traffic.burst(tree.hanoi, end=closed.closed_at + dt.timedelta(hours=10), count=30, hours=8, seed=5)
    assert len(alerts_detect(now=closed.closed_at + dt.timedelta(hours=11)).raised) == 1
    assert Alert.objects.filter(state=AlertState.OPEN).count() == 1


def test_a_leader_of_another_province_never_sees_the_alert(traffic: Traffic, tree: Tree, cast: Cast):
    traffic.burst(tree.hanoi, end=NOW - dt.timedelta(minutes=5))
    alerts_detect(now=NOW)
    alert = Alert.objects.get()
    assert list(alerts_visible_to(cast.province_leader)) == [alert]
    assert list(alerts_visible_to(cast.central_leader)) == [alert]
    assert list(alerts_open_for(cast.province_leader)) == [alert]
    for user in (
        cast.other_province_leader,
        cast.other_province_officer,
        cast.officer,
        cast.province_officer,
    ):
        assert not alerts_visible_to(user).exists()
    # A commune leader below sees alerts of their commune only, not the province's.
    assert not alerts_visible_to(cast.leader).exists()
    with pytest.raises(PermissionDenied):
        alert_close(alert_id=alert.pk, user=cast.other_province_leader)
    with pytest.raises(PermissionDenied):
        alert_acknowledge(alert_id=alert.pk, user=cast.leader)
    assert Alert.objects.get().state == AlertState.OPEN


def test_the_job_and_the_command_run_detection(traffic: Traffic, tree: Tree, capsys):
    assert JOBS["alerts.detect"] == "alerts.services.alerts_detect_job"
    job_function("alerts.detect")()  # at the real now: the generated traffic is in the past
    call_command("detect_alerts")
    assert "raised 0" in capsys.readouterr().out
