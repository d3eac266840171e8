"""Structured logs: one JSON object per line with the request id, and no personal data.

The portal's own messages carry ids, never names, phone numbers, addresses or petition text.
``Redact`` is the safety net for messages written elsewhere (Django's "Not Found: /t/<token>/",
a library quoting a URL or an address): it replaces private tracking tokens, phone numbers and
email addresses before any handler sees the record.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from typing import Any

from pythonjsonlogger.json import JsonFormatter

#: (pattern, replacement), applied in order to the formatted message and to exception texts.
REDACTIONS: list[tuple[re.Pattern[str], str]] = [
    # The citizen's private link and the live socket's token parameter.
    (re.compile(r"(/t/(?:s/)?)[A-Za-z0-9_.:\-]{8,}"), r"\1[token]"),
    (re.compile(r"([?&]token=)[^&\s\"']+"), r"\1[token]"),
    (re.compile(r"(X-Tracking-Token[\"']?\s*[:=]\s*[\"']?)[^\s\"',}]+", re.IGNORECASE), r"\1[token]"),
    # Email addresses, then phone numbers (E.164 and Vietnamese national forms).
    (re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"), "[email]"),
    (re.compile(r"(?<![\w/])(?:\+84|0084|0)(?:[\s.-]?\d){9,10}(?!\d)"), "[phone]"),
]


def redact(text: str) -> str:
    for pattern, replacement in REDACTIONS:
        text = pattern.sub(replacement, text)
    return text


class Redact(logging.Filter):
    """Rewrites the record's message (and exception text) without personal data; never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: keep the record as it is
            return True
        record.msg, record.args = redact(message), ()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


class OneLineClientErrors(logging.Filter):
    """A refused request (4xx) is one line: its traceback says nothing the status and path do not.

    Django attaches the exception to the "Forbidden (Permission denied)" and "Bad Request" records;
    server errors (5xx) keep theirs.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        if isinstance(status, int) and 400 <= status < 500:
            record.exc_info, record.exc_text = None, None
        return True


class Json(JsonFormatter):
    """python-json-logger's formatter with the portal's field names and redacted tracebacks."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("rename_fields", {"asctime": "time", "levelname": "level", "name": "logger"})
        kwargs.setdefault("timestamp", False)
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        """ISO 8601 in UTC, whatever the server's zone: ``2026-11-21T10:07:38.738+00:00``."""
        return dt.datetime.fromtimestamp(record.created, tz=dt.UTC).isoformat(timespec="milliseconds")

    def formatException(self, ei: object) -> str:
        return redact(super().formatException(ei))  # type: ignore[arg-type]

    def process_log_record(self, log_data: dict[str, Any]) -> dict[str, Any]:
        """Extra fields too: Django's request logs attach the request (its path may hold a token)."""
        request = log_data.pop("request", None)
        if request is not None:
            log_data["method"] = getattr(request, "method", None)
            log_data["path"] = redact(str(getattr(request, "path", "")))
        for key, value in log_data.items():
            if isinstance(value, str):
                log_data[key] = redact(value)
            elif value is not None and not isinstance(value, (int, float, bool, list, dict)):
                log_data[key] = redact(str(value))  # objects would be logged by their repr
        return log_data
