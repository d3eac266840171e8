"""The leaders' e-mail digest of new and grown alerts: through the outbox, once per change, never lost."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.utils import timezone

from alerts.models import Alert
from alerts.services import alerts_detect, alerts_notify_leaders
from notifications import sending
from notifications.models import Channel, Notification, Status
from routing.models import Membership, Role
from tests.alerts.conftest import NOW, Traffic
from tests.conftest import Tree, make_staff

BASE = "https://gopy.example.vn"


def digests(**filters: Any) -> list[Notification]:
    return list(Notification.objects.filter(template="alert_digest", **filters).order_by("pk"))


@pytest.fixture
def leaders(tree: Tree, settings: Any) -> dict[str, User]:
    """Who may and may not hear of a Hà Nội alert, all with e-mail unless said otherwise."""
    settings.PUBLIC_BASE_URL = BASE
    people = {
        "hanoi": make_staff(tree.hanoi, Role.LEADER, username="hn_leader", email="hn@example.vn"),
        "hanoi_en": make_staff(tree.hanoi, Role.LEADER, username="hn_leader_en", email="hn.en@example.vn"),
        "hanoi_no_email": make_staff(tree.hanoi, Role.LEADER, username="hn_leader_no_email"),
        "hanoi_inactive": make_staff(
            tree.hanoi, Role.LEADER, username="hn_gone", email="gone@example.vn", is_active=False
        ),
        "hanoi_officer": make_staff(tree.hanoi, Role.OFFICER, username="hn_officer", email="off@example.vn"),
        "commune": make_staff(tree.hoan_kiem, Role.LEADER, username="hk_leader", email="hk@example.vn"),
        "hcm": make_staff(tree.hcm, Role.LEADER, username="hcm_leader", email="hcm@example.vn"),
        "central": make_staff(tree.central, Role.LEADER, username="tw_leader", email="tw@example.vn"),
    }
    Membership.objects.filter(user=people["hanoi_en"]).update(language="en")
    return people


def detect(capture: Any, now: dt.datetime) -> Any:
    """One detection run, its on-commit work (the drain, the live push) run as after a real commit."""
    with capture(execute=True):
        return alerts_detect(now=now)


def test_a_burst_sends_one_digest_to_each_leader_of_its_province_and_to_nobody_else(
    traffic: Traffic, tree: Tree, leaders: dict[str, User], django_capture_on_commit_callbacks: Any
):
    traffic.burst(tree.hanoi, end=NOW - dt.timedelta(minutes=5))
    report = detect(django_capture_on_commit_callbacks, NOW)
    assert len(report.raised) == 1 and report.digests == 2
    rows = digests()
    assert {row.user_id for row in rows} == {leaders["hanoi"].pk, leaders["hanoi_en"].pk} and len(rows) == 2
    assert {row.channel for row in rows} == {Channel.EMAIL}
    assert {row.status for row in rows} == {Status.SENT}
    assert sorted(m.to[0] for m in mail.outbox) == ["hn.en@example.vn", "hn@example.vn"]
    alert = Alert.objects.get()
    assert alert.notified_observed == alert.observed


def test_the_digest_names_the_place_the_subject_the_counts_and_the_link_in_the_leaders_language(
    traffic: Traffic, tree: Tree, leaders: dict[str, User], django_capture_on_commit_callbacks: Any
):
    traffic.burst(tree.hanoi, end=NOW - dt.timedelta(minutes=5))
    detect(django_capture_on_commit_callbacks, NOW)
    alert = Alert.objects.select_related("category").get()
    vi = mail.outbox[[m.to[0] for m in mail.outbox].index("hn@example.vn")]
    en = mail.outbox[[m.to[0] for m in mail.outbox].index("hn.en@example.vn")]

    assert "Thành phố Hà Nội" in vi.subject and "Thành phố Hà Nội" in vi.body
    assert f"{alert.observed} phản ánh trong {alert.window_hours} giờ" in vi.body
    assert f"{BASE}/office/alerts/{alert.pk}/" in vi.body and f"{BASE}/office/alerts/" in vi.body
    assert "Mới" in vi.body

    assert en.subject.startswith("Emerging-issue alerts for Thành phố Hà Nội")
    assert f"{alert.observed} petitions in {alert.window_hours} hours" in en.body
    assert f"{alert.expected:.1f} expected" in en.body
    assert f"{BASE}/en/office/alerts/{alert.pk}/" in en.body
    assert "New: " in en.body
    # The subject of the alert, as each language names it.
    if alert.category is not None:
        assert alert.category.name in vi.body and alert.category.name_en in en.body
    else:
        assert alert.term in vi.body and alert.term in en.body
    [row] = digests(user=leaders["hanoi_en"])
    assert row.language == "en" and digests(user=leaders["hanoi"])[0].language == "vi"


def test_a_second_run_sends_nothing_and_a_grown_alert_one_more_digest(
    traffic: Traffic, tree: Tree, leaders: dict[str, User], django_capture_on_commit_callbacks: Any
):
    traffic.burst(tree.hanoi, end=NOW - dt.timedelta(minutes=5))
    detect(django_capture_on_commit_callbacks, NOW)
    first = Alert.objects.get()
    assert len(digests()) == 2

    again = detect(django_capture_on_commit_callbacks, NOW + dt.timedelta(hours=1))
    assert again.digests == 0 and len(digests()) == 2 and len(mail.outbox) == 2
    assert alerts_notify_leaders() == 0

    traffic.burst(tree.hanoi, end=NOW + dt.timedelta(hours=1, minutes=50), count=20, seed=3)
    grown = detect(django_capture_on_commit_callbacks, NOW + dt.timedelta(hours=2))
    assert grown.updated == [first.pk] and grown.digests == 2
    assert len(digests()) == 4 and len(mail.outbox) == 4
    [latest] = digests(user=leaders["hanoi_en"])[1:]
    alert = Alert.objects.get()
    assert f"Growing ({first.observed} when last told)" in latest.body
    assert f"{alert.observed} petitions in" in latest.body
    assert alert.notified_observed == alert.observed > first.observed
    # Nobody outside Hà Nội's own leaders ever heard of it.
    assert {row.user_id for row in digests()} == {leaders["hanoi"].pk, leaders["hanoi_en"].pk}


def test_a_digest_waits_while_email_is_down_and_is_sent_once_when_it_is_back(
    traffic: Traffic,
    tree: Tree,
    leaders: dict[str, User],
    settings: Any,
    django_capture_on_commit_callbacks: Any,
):
    # A real SMTP backend against a port where nothing listens.
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 1
    traffic.burst(tree.hanoi, end=NOW - dt.timedelta(minutes=5))
    detect(django_capture_on_commit_callbacks, NOW)
    waiting = digests()
    assert len(waiting) == 2
    assert all(
        r.status == Status.PENDING and r.attempts == 1 and r.last_error.startswith(sending.CHANNEL_DOWN)
        for r in waiting
    )
    # The alert counts as told: the next run writes no second digest while the first one waits.
    assert detect(django_capture_on_commit_callbacks, NOW + dt.timedelta(hours=1)).digests == 0
    assert len(digests()) == 2

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    report = sending.drain(now=timezone.now() + dt.timedelta(minutes=2))
    assert (report.sent, report.failed) == (2, 0)
    assert sorted(m.to[0] for m in mail.outbox) == ["hn.en@example.vn", "hn@example.vn"]
    assert sending.drain(now=timezone.now() + dt.timedelta(hours=1)).claimed == 0
    assert len(mail.outbox) == 2


def test_nothing_is_written_when_the_units_leaders_have_no_email(
    traffic: Traffic, tree: Tree, django_capture_on_commit_callbacks: Any
):
    make_staff(tree.hanoi, Role.LEADER, username="hn_leader_no_email")
    traffic.burst(tree.hanoi, end=NOW - dt.timedelta(minutes=5))
    assert detect(django_capture_on_commit_callbacks, NOW).digests == 0
    assert digests() == [] and mail.outbox == []
    alert = Alert.objects.get()
    assert alert.notified_observed == alert.observed
