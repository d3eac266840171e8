"""Email through Django's email backends (console by default in the embedded setup)."""

from __future__ import annotations

import smtplib

from django.conf import settings
from django.core.mail import send_mail

from notifications.transports import ChannelDown, Message, PermanentFailure, TemporaryFailure


def send_email(message: Message) -> None:
    try:
        send_mail(message.subject, message.body, settings.DEFAULT_FROM_EMAIL, [message.to])
    except smtplib.SMTPRecipientsRefused as exc:
        raise PermanentFailure(str(exc)) from exc
    except (smtplib.SMTPConnectError, smtplib.SMTPServerDisconnected) as exc:
        raise ChannelDown(str(exc)) from exc
    except smtplib.SMTPException as exc:  # a 4xx for this message: later
        raise TemporaryFailure(str(exc)) from exc
    except OSError as exc:  # refused, unreachable, timed out
        raise ChannelDown(str(exc)) from exc
