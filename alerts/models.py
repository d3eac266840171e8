"""An emerging-issue alert: a significant spike of petitions about one subject in one place."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AlertState(models.TextChoices):
    OPEN = "open", _("Open")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    CLOSED = "closed", _("Closed")


#: States in which an alert is still followed: a spike that keeps growing updates it.
LIVE_STATES = (AlertState.OPEN, AlertState.ACKNOWLEDGED)


class Alert(models.Model):
    """One spike of one subject (a topic or a significant word) in one place (a province or commune).

    ``subject`` is the key the detector matches on (``c:<category id>`` or ``t:<word>``): at most one
    live (open or acknowledged) alert per place and subject, so a spike is raised once and a
    growing one updates its row. A new alert for the same subject needs the previous one closed
    and a new spike after the closing (``alerts.services``).
    """

    place = models.ForeignKey(
        "routing.Unit", verbose_name=_("place"), on_delete=models.PROTECT, related_name="+"
    )
    #: Whose leaders it goes to: the lowest unit whose area holds the place (the place's own unit).
    unit = models.ForeignKey(
        "routing.Unit", verbose_name=_("sent to unit"), on_delete=models.PROTECT, related_name="alerts"
    )
    subject = models.CharField(_("subject key"), max_length=140, editable=False)
    category = models.ForeignKey(
        "petitions.Category",
        verbose_name=_("topic"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    term = models.CharField(_("word"), max_length=120, blank=True)
    #: Other words and topics carried by the same petitions (shown with the alert).
    related = models.JSONField(_("related words"), default=list, blank=True)

    window_hours = models.PositiveSmallIntegerField(_("window (hours)"))
    window_start = models.DateTimeField(_("window start"))
    window_end = models.DateTimeField(_("window end"))
    observed = models.PositiveIntegerField(_("observed"))
    expected = models.FloatField(_("expected"))
    p_value = models.FloatField(_("p-value"))
    #: ``observed`` when the last digest told the leaders about this alert (0: never told).
    notified_observed = models.PositiveIntegerField(default=0, editable=False)

    state = models.CharField(_("state"), max_length=16, choices=AlertState.choices, default=AlertState.OPEN)
    first_raised_at = models.DateTimeField(_("first raised at"), default=timezone.now)
    updated_at = models.DateTimeField(_("last updated at"), default=timezone.now)
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("acknowledged by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("closed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        ordering = ["-updated_at"]
        indexes = [
            models.Index(fields=["place", "subject", "state"], name="alert_place_subject_idx"),
            models.Index(fields=["state", "updated_at"], name="alert_state_updated_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["place", "subject"],
                condition=~Q(state="closed"),
                name="alert_one_live_per_place_subject",
            ),
            models.CheckConstraint(
                condition=Q(category__isnull=False, term="") | Q(category__isnull=True) & ~Q(term=""),
                name="alert_topic_or_word",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.place} · {self.subject_label} · {self.observed}"

    @property
    def subject_label(self) -> str:
        if self.category_id is not None and self.category is not None:
            return str(self.category.display_name)
        return self.term

    @property
    def chance_one_in(self) -> int:
        """The p-value as leaders read it: so many petitions by chance alone about once in this many.

        Two significant figures (``2.9e-4`` → 3,400), at least 1.
        """
        if self.p_value <= 0:
            return 10**12
        odds = 1 / self.p_value
        return max(1, int(float(f"{odds:.2g}")))

    @property
    def is_live(self) -> bool:
        return self.state in LIVE_STATES
