"""SMS transports. The console backend (default) writes messages to stdout."""

from __future__ import annotations

import sys
from typing import Protocol, TextIO

from django.conf import settings
from django.utils.module_loading import import_string

from notifications.transports import Message


class SmsBackend(Protocol):
    def send(self, message: Message) -> None: ...


class ConsoleSmsBackend:
    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream

    def send(self, message: Message) -> None:
        stream: TextIO = self.stream or sys.stdout
        stream.write(f"[SMS to {message.to}] {message.body}\n")


class LocmemSmsBackend:
    """Keeps sent messages in ``outbox`` (tests)."""

    outbox: list[Message] = []

    def send(self, message: Message) -> None:
        LocmemSmsBackend.outbox.append(message)


def get_backend() -> SmsBackend:
    backend: SmsBackend = import_string(settings.SMS_BACKEND)()
    return backend


def send_sms(message: Message) -> None:
    get_backend().send(message)
