"""The notification outbox: one row per message, written in the transaction that causes it."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from routing.models import EventKind


class Channel(models.TextChoices):
    SMS = "sms", _("SMS")
    EMAIL = "email", _("Email")


class Status(models.TextChoices):
    PENDING = "pending", _("Waiting to be sent")
    SENDING = "sending", _("Being sent")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


#: Public status changes citizens are told about, in the order the admin lists them.
CITIZEN_EVENT_KINDS = (
    EventKind.ACCEPT,
    EventKind.REJECT,
    EventKind.MARK_DUPLICATE,
    EventKind.ESCALATE,
    EventKind.TRANSFER,
    EventKind.RETURN_DOWN,
    EventKind.REFER,
    EventKind.EXTEND,
    EventKind.APPROVE,
    EventKind.AUTO_CLOSE,
    EventKind.ASK_CITIZEN,
    EventKind.CITIZEN_REMINDER,
    EventKind.CITIZEN_NO_ANSWER,
)

#: What a message is about: its code (stored) and its label (shown in the admin).
MESSAGE_TYPES = [
    ("petition_received", EventKind.SUBMITTED.label),
    *((f"case_{kind.value}", kind.label) for kind in CITIZEN_EVENT_KINDS),
    ("case_assigned", _("Case assigned")),
    ("deadline_reminder", EventKind.REMINDER.label),
    ("overdue_alert", EventKind.OVERDUE.label),
    ("citizen_answered", EventKind.CITIZEN_ANSWER.label),
    ("citizen_unanswered", EventKind.CITIZEN_NO_ANSWER.label),
    ("citizen_info", EventKind.CITIZEN_INFO.label),
    ("alert_digest", _("Emerging-issue alerts")),
    ("sweep_digest", _("Deadline digest")),
    ("phone_code", _("Phone verification code")),
    ("cosign_response", _("Response to a co-signed petition")),
]


class Notification(models.Model):
    """A message to one recipient on one channel, and what happened to it.

    Rows are written with the change that causes them (same transaction), so a
    committed change always has its messages and a rolled-back one has none. The
    drain (``notifications.sending.drain``) claims rows with a lease, sends them and
    records the outcome; a row is sent at most once by concurrent drains.
    """

    channel = models.CharField(_("sent by"), max_length=8, choices=Channel.choices)
    recipient = models.CharField(_("recipient"), max_length=254)
    template = models.CharField(_("message"), max_length=40, choices=MESSAGE_TYPES)
    language = models.CharField(_("language"), max_length=8, default="vi")
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    body = models.TextField(_("text"))
    petition = models.ForeignKey(
        "petitions.Petition",
        verbose_name=_("petition"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    event = models.ForeignKey(
        "routing.CaseEvent",
        verbose_name=_("case event"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="notifications",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("staff recipient"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    #: One message per cause, channel and recipient: writing it twice is a no-op.
    dedupe_key = models.CharField(_("deduplication key"), max_length=200, unique=True, editable=False)

    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    next_attempt_at = models.DateTimeField(_("next attempt at"), default=timezone.now)
    lease_until = models.DateTimeField(_("claimed until"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at"]
        indexes = [
            # The drain's query: due rows, oldest first.
            models.Index(
                fields=["next_attempt_at"],
                name="notification_due_idx",
                condition=Q(status__in=["pending", "sending"]),
            ),
            # The same for one-time codes, claimed before the other messages (``sending._claim``).
            models.Index(
                fields=["next_attempt_at"],
                name="notification_code_due_idx",
                condition=Q(status__in=["pending", "sending"], template="phone_code"),
            ),
            # The daily purge of one-time codes' SMS (``petitions.phones.phone_challenges_purge``)
            # reads a window of days of them; without it, that is a scan of every message ever sent.
            models.Index(
                fields=["created_at"],
                name="notification_phone_code_idx",
                condition=Q(template="phone_code"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_template_display()} → {self.get_channel_display()} ({self.get_status_display()})"


class DigestEntry(models.Model):
    """A case a staff member hears of in their next deadline digest (``notifications.digests``).

    Written by the sweep with the events that cause them (same transaction), one ``INSERT ...
    SELECT`` per batch; a digest takes every entry waiting, and deletes them with the digest's
    ``Notification`` row written, so an entry is told once, even if the run that wrote it died.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    case = models.ForeignKey("routing.Case", on_delete=models.CASCADE, related_name="+", db_index=False)
    event = models.ForeignKey("routing.CaseEvent", on_delete=models.CASCADE, related_name="+", db_index=False)
    #: ``overdue``, ``escalate`` or ``reminder``: the digest's section.
    kind = models.CharField(max_length=32)
    due_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("digest entry")
        verbose_name_plural = _("digest entries")
        constraints = [models.UniqueConstraint(fields=["event", "user"], name="digest_entry_once")]

    def __str__(self) -> str:
        return f"{self.kind} · case {self.case_id} → user {self.user_id}"
