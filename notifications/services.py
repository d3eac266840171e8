"""What citizens are told, and when."""

from __future__ import annotations

import logging

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from notifications.transports import Message, TransportError
from notifications.transports.email import send_email
from notifications.transports.sms import send_sms

logger = logging.getLogger(__name__)


def tracking_url(token: str, language: str = "vi") -> str:
    """The secret tracking link; Vietnamese pages have no language prefix."""
    prefix = "" if language == settings.LANGUAGE_CODE else f"/{language}"
    return f"{settings.PUBLIC_BASE_URL.rstrip('/')}{prefix}/t/{token}/"


def notify_petition_received(*, petition_id: int, token: str) -> None:
    """Send the tracking code and secret link by SMS (and email when given). Never raises."""
    from petitions.models import Petition

    petition = Petition.objects.filter(pk=petition_id).first()
    if petition is None:
        return
    with translation.override(petition.language):
        body = _("Your petition %(code)s was received. Follow it at %(url)s") % {
            "code": petition.tracking_code,
            "url": tracking_url(token, petition.language),
        }
        subject = _("Petition %(code)s received") % {"code": petition.tracking_code}
    messages = [(send_sms, Message(to=petition.phone, body=body))]
    if petition.email:
        messages.append((send_email, Message(to=petition.email, body=body, subject=subject)))
    for send, message in messages:
        try:
            send(message)
        except Exception as exc:  # a receipt must never break the request that filed the petition
            # No personal data in logs: the petition id identifies the message.
            kind = "temporary" if not isinstance(exc, TransportError) else type(exc).__name__
            logger.warning(
                "could not send the receipt of petition %s via %s (%s)", petition_id, send.__name__, kind
            )
