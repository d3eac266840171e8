"""Counts the SQL statements a server process runs, by kind of thread (bench-only, ``intake_settings``).

A request runs on daphne's threads (``asgiref``'s executor, or the event loop's); the in-process jobs
(the SMS drain, ``config.jobs``) on a thread of their own. ``bench/intake.py`` reads the totals from
``GET /bench/sql/`` before and after each phase; the difference divided by the requests is the
statements per request, split into "request path" and "jobs".
"""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

_lock = threading.Lock()
_counts: Counter[str] = Counter()


def _kind() -> str:
    name = threading.current_thread().name.lower()
    return "jobs" if "job" in name else "request"


def _wrapper(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
    kind = _kind()
    with _lock:
        _counts[kind] += 1
    return execute(sql, params, many, context)


def count_statements(sender: Any, connection: Any, **kwargs: Any) -> None:
    """``connection_created`` receiver: wrap this connection object's statements once."""
    if _wrapper not in connection.execute_wrappers:
        connection.execute_wrappers.append(_wrapper)


def totals() -> dict[str, int]:
    with _lock:
        return dict(_counts)
