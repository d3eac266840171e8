"""One transport per channel behind one small interface.

A transport raises ``TemporaryFailure`` (worth retrying later) or
``PermanentFailure`` (give up and record why). The durable outbox and its
retries come with the notifications work; until then messages are sent once,
after commit, and failures are logged.
"""

from __future__ import annotations

from dataclasses import dataclass


class TransportError(Exception):
    pass


class TemporaryFailure(TransportError):
    pass


class PermanentFailure(TransportError):
    pass


@dataclass(frozen=True)
class Message:
    to: str
    body: str
    subject: str = ""
