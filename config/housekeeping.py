"""Housekeeping jobs: what Django and django-axes keep and nobody else removes.

Expired sessions (``clearsessions``) and django-axes' sign-in logs older than
``AXES_ACCESS_LOG_DAYS`` (client addresses and user agents: personal data kept only as long
as it serves security). Both are set-based deletes, idempotent and safe to run twice at once.
"""

from __future__ import annotations

import logging

from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib.sessions.models import Session
from django.utils import timezone

logger = logging.getLogger(__name__)


def housekeeping() -> tuple[int, int]:
    """Delete expired sessions and old sign-in logs; returns how many of each."""
    sessions, _by_model = Session.objects.filter(expire_date__lt=timezone.now()).delete()
    logs = AxesProxyHandler.reset_logs(age_days=settings.AXES_ACCESS_LOG_DAYS)
    logger.info("housekeeping: %s expired sessions and %s sign-in logs deleted", sessions, logs)
    return sessions, logs
