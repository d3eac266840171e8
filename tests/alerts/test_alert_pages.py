"""The leaders' alert pages: list, one alert with its cases, acknowledge and close; everyone else refused."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import translation

from alerts.models import Alert, AlertState
from alerts.services import alerts_detect
from tests.alerts.conftest import NOW, Traffic
from tests.conftest import Cast, Tree

LIST = reverse("backoffice:backoffice-alerts")


@pytest.fixture
def alert(traffic: Traffic, tree: Tree) -> Alert:
    traffic.burst(tree.hanoi, end=NOW - dt.timedelta(minutes=5))
    alerts_detect(now=NOW)
    return Alert.objects.get()


def urls(alert: Alert) -> list[tuple[str, str]]:
    return [
        ("get", LIST),
        ("get", reverse("backoffice:backoffice-alert", args=[alert.pk])),
        ("post", reverse("backoffice:backoffice-alert-act", args=[alert.pk, "acknowledge"])),
        ("post", reverse("backoffice:backoffice-alert-act", args=[alert.pk, "close"])),
    ]


def test_the_province_leader_sees_the_alert_with_its_cases_and_the_dashboard_banner(
    client, cast: Cast, alert
):
    client.force_login(cast.province_leader)
    with translation.override("en"):
        listing = client.get(reverse("backoffice:backoffice-alerts"))
        detail = client.get(reverse("backoffice:backoffice-alert", args=[alert.pk]))
        dashboard = client.get(reverse("backoffice:backoffice-dashboard"))
    assert listing.status_code == 200 and alert.subject_label in listing.content.decode()
    html = detail.content.decode()
    assert detail.status_code == 200
    assert "Cases behind this alert" in html and html.count("/office/cases/") >= 40
    assert "Acknowledge" in html and "Close alert" in html
    banner = dashboard.content.decode()
    assert "Emerging issues in your area" in banner and alert.subject_label in banner


def test_the_vietnamese_page_is_translated(client, cast: Cast, alert):
    client.force_login(cast.province_leader)
    html = client.get(LIST).content.decode()
    assert "Cảnh báo vấn đề nổi lên" in html


def test_the_p_value_reads_as_odds_and_each_label_keeps_its_value(client, cast: Cast, alert):
    """ "p-value 2.9e-04" was jargon, and its label and value drifted apart in the page's grid."""
    import re

    Alert.objects.filter(pk=alert.pk).update(p_value=2.9e-4)
    client.force_login(cast.province_leader)
    html = client.get(reverse("backoffice:backoffice-alert", args=[alert.pk])).content.decode()
    assert "Chỉ do ngẫu nhiên mà nhiều như vậy" in html and "khoảng một lần trong 3.400" in html
    with translation.override("en"):
        english = client.get(reverse("backoffice:backoffice-alert", args=[alert.pk])).content.decode()
    assert "about once in 3,400" in english
    Alert.objects.filter(pk=alert.pk).update(p_value=6.8e-39)
    with translation.override("en"):
        tiny = client.get(reverse("backoffice:backoffice-alert", args=[alert.pk])).content.decode()
    assert "less than once in a million" in tiny and "about once in" not in tiny
    facts = english.split('<dl class="facts">')[1].split("</dl>")[0]
    pairs = re.findall(r"<div><dt>(.*?)</dt><dd>", facts)
    assert len(pairs) >= 5 and facts.count("<dt>") == len(pairs)  # every label in a pair with its value


def test_acknowledge_then_close_by_post(client, cast: Cast, alert):
    client.force_login(cast.province_leader)
    ack = reverse("backoffice:backoffice-alert-act", args=[alert.pk, "acknowledge"])
    assert client.get(ack).status_code == 405
    assert client.post(ack).status_code == 302
    assert Alert.objects.get().state == AlertState.ACKNOWLEDGED
    client.post(reverse("backoffice:backoffice-alert-act", args=[alert.pk, "close"]))
    closed = Alert.objects.get()
    assert closed.state == AlertState.CLOSED and closed.closed_by == cast.province_leader
    assert alert.subject_label not in client.get(LIST).content.decode()  # open ones only by default
    assert alert.subject_label in client.get(LIST, {"show": "all"}).content.decode()


def test_the_central_leader_may_handle_a_province_alert(client, cast: Cast, alert):
    client.force_login(cast.central_leader)
    assert (
        client.post(reverse("backoffice:backoffice-alert-act", args=[alert.pk, "close"])).status_code == 302
    )
    assert Alert.objects.get().state == AlertState.CLOSED


@pytest.mark.parametrize(
    "who",
    ["other_province_leader", "other_province_officer", "leader", "officer", "province_officer", "outsider"],
)
def test_everyone_outside_the_alerts_subtree_is_refused_on_every_alert_view(client, cast: Cast, alert, who):
    client.force_login(getattr(cast, who))
    for method, url in urls(alert):
        response = getattr(client, method)(url)
        if url == LIST and response.status_code == 200:
            assert alert.subject_label not in response.content.decode()  # a leader's own, empty list
        else:
            assert response.status_code in (403, 404), (who, url, response.status_code)
    assert Alert.objects.get().state == AlertState.OPEN
    dashboard = client.get(reverse("backoffice:backoffice-dashboard"))
    assert alert.subject_label not in dashboard.content.decode()
