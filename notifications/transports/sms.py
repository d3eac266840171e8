"""SMS transports: console (default), an HTTP gateway, and an in-memory one for tests.

``SMS_BACKEND`` names the class. The HTTP gateway posts JSON to
``SMS_GATEWAY_URL`` with ``SMS_GATEWAY_KEY`` as a bearer token and the
message's reference as ``Idempotency-Key``, so a retried delivery is not
charged or sent twice by gateways that honour it.
"""

from __future__ import annotations

import json
import sys
import urllib.error
import urllib.request
from typing import Protocol, TextIO

from django.conf import settings
from django.utils.module_loading import import_string

from notifications.transports import ChannelDown, Message, PermanentFailure, TemporaryFailure


class SmsBackend(Protocol):
    def send(self, message: Message) -> None: ...


class ConsoleSmsBackend:
    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream

    def send(self, message: Message) -> None:
        stream: TextIO = self.stream or sys.stdout
        stream.write(f"[SMS to {message.to}] {message.body}\n")
        stream.flush()


class LocmemSmsBackend:
    """Keeps sent messages in ``outbox`` (tests)."""

    outbox: list[Message] = []

    def send(self, message: Message) -> None:
        LocmemSmsBackend.outbox.append(message)


#: HTTP statuses worth retrying: the gateway is busy, rate-limits us or is down.
RETRYABLE = {408, 425, 429, 500, 502, 503, 504}
#: Of those, the answers of a gateway that is itself in trouble (not of this one message).
CHANNEL_DOWN = {500, 502, 503, 504}


class HttpGatewaySmsBackend:
    def __init__(self, url: str | None = None, key: str | None = None, timeout: float | None = None) -> None:
        self.url = url or settings.SMS_GATEWAY_URL
        self.key = key if key is not None else settings.SMS_GATEWAY_KEY
        self.timeout = timeout or settings.SMS_GATEWAY_TIMEOUT
        if not self.url:
            raise PermanentFailure("SMS_GATEWAY_URL is not set")

    def send(self, message: Message) -> None:
        payload = json.dumps(
            {"to": message.to, "text": message.body, "reference": message.reference}
        ).encode()
        request = urllib.request.Request(  # noqa: S310 (the URL comes from settings)
            self.url,
            data=payload,
            method="POST",
            headers={
                "Content-Type": "application/json",
                "Authorization": f"Bearer {self.key}",
                "Idempotency-Key": message.reference,
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310 (URL from settings)
                response.read()
        except urllib.error.HTTPError as exc:
            detail = f"gateway answered {exc.code}"
            if exc.code in CHANNEL_DOWN:
                raise ChannelDown(detail) from exc
            if exc.code in RETRYABLE:  # 408, 429: this message, later
                raise TemporaryFailure(detail) from exc
            raise PermanentFailure(detail) from exc
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            raise ChannelDown(f"gateway unreachable: {exc}") from exc


def get_backend() -> SmsBackend:
    backend: SmsBackend = import_string(settings.SMS_BACKEND)()
    return backend


def send_sms(message: Message) -> None:
    get_backend().send(message)
