"""The indexing outbox: which cases changed and are not yet in the search index."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class IndexQueue(models.Model):
    """One row per case waiting to be (re)indexed, written in the transaction of the change.

    A second change before the drain only moves ``requested_at``; the drain removes a
    row only if ``requested_at`` is still what it read, so a change that commits while
    its case is being indexed is indexed again, never lost.
    """

    case_id = models.BigIntegerField(_("case"), unique=True)
    requested_at = models.DateTimeField(_("requested at"), default=timezone.now)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"), default=timezone.now)
    lease_until = models.DateTimeField(_("claimed until"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("case waiting to be indexed")
        verbose_name_plural = _("cases waiting to be indexed")
        indexes = [models.Index(fields=["next_attempt_at"], name="indexqueue_due_idx")]

    def __str__(self) -> str:
        return f"case {self.case_id}"
