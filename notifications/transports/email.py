"""Email through Django's email backends (console by default in the embedded setup)."""

from __future__ import annotations

import smtplib

from django.conf import settings
from django.core.mail import send_mail

from notifications.transports import Message, PermanentFailure, TemporaryFailure


def send_email(message: Message) -> None:
    try:
        send_mail(message.subject, message.body, settings.DEFAULT_FROM_EMAIL, [message.to])
    except smtplib.SMTPRecipientsRefused as exc:
        raise PermanentFailure(str(exc)) from exc
    except (smtplib.SMTPException, OSError) as exc:
        raise TemporaryFailure(str(exc)) from exc
