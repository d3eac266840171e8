"""One transport per channel behind one small interface.

A transport raises ``TemporaryFailure`` (worth retrying later) or
``PermanentFailure`` (give up and record why); ``notifications.sending`` records
the outcome on the message's row and retries with backoff.
"""

from __future__ import annotations

from dataclasses import dataclass


class TransportError(Exception):
    pass


class TemporaryFailure(TransportError):
    pass


class ChannelDown(TemporaryFailure):
    """The channel itself is away (unreachable, timing out, answering 5xx): every message would fail
    now. The first message it takes again pulls the messages waiting out a backoff forward."""


class PermanentFailure(TransportError):
    pass


@dataclass(frozen=True)
class Message:
    to: str
    body: str
    subject: str = ""
    #: Unique per message: gateways that support it drop a repeated delivery.
    reference: str = ""
