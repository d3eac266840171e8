"""Housekeeping: expired sessions and old sign-in logs go; current ones stay."""

from __future__ import annotations

import datetime as dt

from axes.models import AccessLog
from django.contrib.sessions.models import Session
from django.utils import timezone

from config.housekeeping import housekeeping


def test_expired_sessions_and_old_sign_in_logs_are_deleted(db, settings):
    settings.AXES_ACCESS_LOG_DAYS = 90
    now = timezone.now()
    Session.objects.create(session_key="old" * 10, session_data="x", expire_date=now - dt.timedelta(hours=1))
    Session.objects.create(session_key="new" * 10, session_data="x", expire_date=now + dt.timedelta(hours=1))
    for days in (200, 10):
        log = AccessLog.objects.create(username="officer", ip_address="10.0.0.1", user_agent="Firefox")
        AccessLog.objects.filter(pk=log.pk).update(attempt_time=now - dt.timedelta(days=days))
    assert housekeeping() == (1, 1)
    assert list(Session.objects.values_list("session_key", flat=True)) == ["new" * 10]
    assert AccessLog.objects.count() == 1
    assert housekeeping() == (0, 0)  # twice is harmless
