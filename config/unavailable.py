"""The database unreachable: a quick, honest 503 instead of a 10-second wait and a "server error".

With the connection pool (``DB_POOL``), a request asks psycopg-pool for a connection and waits up
to ``DB_POOL_TIMEOUT`` (then 10 s, now 4 s) while PostgreSQL is down (a restart, a failover); Django then
rendered the generic 500 page, in HTML even under ``/api/``, and every daphne thread sat out the
10 s (bench/drills.py, the PostgreSQL drill). Now:

- a request that fails on the database (``OperationalError``/``InterfaceError``, from a view or
  a middleware) is answered by ``server_error`` with **503** and ``Retry-After``, in the
  interface's format (the API's JSON envelope, Open311's error, a static page that says what was
  just sent was *not* received); when a quick probe then finds the database unreachable, the
  process marks it down;
- while it is marked down, ``DatabaseUnavailableMiddleware`` answers 503 at once, and lets one
  request a second try the database with a short timeout (``PROBE_TIMEOUT``); the first success
  clears the mark, so service resumes within about a second of the database's return, with no
  restart of the web processes.

Nothing here renders a template that reads the database: the 503 page is static.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from collections.abc import Callable

from django.db import InterfaceError, OperationalError, connection
from django.db.backends.base.base import BaseDatabaseWrapper
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.views.defaults import server_error as django_server_error
from django_prometheus.middleware import PrometheusAfterMiddleware

logger = logging.getLogger(__name__)

#: Seconds a client is asked to wait before it tries again.
RETRY_AFTER = 30
#: While the database is marked down, one request a second tries it, with this timeout.
PROBE_EVERY = 1.0
PROBE_TIMEOUT = 1.0


class _Mark:
    """Whether this process last found the database unreachable (shared by its threads)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.down_since: float | None = None
        self.probed_at = 0.0

    def set_down(self) -> None:
        with self.lock:
            if self.down_since is None:
                self.down_since = time.monotonic()
                logger.warning("database unreachable: answering 503 until it is back")
            self.probed_at = time.monotonic()

    def clear(self) -> None:
        with self.lock:
            if self.down_since is not None:
                logger.warning("database reachable again after %.1f s", time.monotonic() - self.down_since)
            self.down_since = None

    def due_for_probe(self) -> bool:
        """Whether this request should try the database (at most one a second while it is down)."""
        with self.lock:
            now = time.monotonic()
            if now - self.probed_at < PROBE_EVERY:
                return False
            self.probed_at = now
            return True


MARK = _Mark()


def probe_database(conn: BaseDatabaseWrapper = connection, timeout: float = PROBE_TIMEOUT) -> None:
    """``SELECT 1`` within ``timeout`` seconds through the pool (whose own wait would be
    ``DB_POOL_TIMEOUT``), or a plain cursor without one; raises what went wrong."""
    pool = getattr(conn, "pool", None)
    if pool is not None:
        pool.open()  # Django opens it at the first query only: a fresh process has not yet
        with pool.connection(timeout=timeout) as pooled:
            pooled.execute("SELECT 1")
        return
    conn.close_if_unusable_or_obsolete()  # the request's own broken connection: not proof of an outage
    with conn.cursor() as cursor:
        cursor.execute("SELECT 1")


def database_reachable(timeout: float = PROBE_TIMEOUT) -> bool:
    try:
        probe_database(connection, timeout)
    except Exception:  # any failure means "not now"
        return False
    return True


def is_unreachable(exc: BaseException | None) -> bool:
    return isinstance(exc, OperationalError | InterfaceError)


def unavailable_response(request: HttpRequest, *, outage: bool = True) -> HttpResponse:
    """503 in the format of the request's interface, built without the database. In an ``outage``
    (the database unreachable) it is logged as a WARNING here; otherwise (a deadlock, a timeout)
    Django logs it as the ERROR it is, with its traceback."""
    path = request.path_info
    if path.startswith("/api/"):
        from api.errors import unavailable_payload

        response: HttpResponse = JsonResponse(
            unavailable_payload(), status=503, json_dumps_params={"ensure_ascii": False}
        )
    elif path.startswith("/open311/"):
        from api.errors import UNAVAILABLE_MESSAGE
        from config.bodies import open311_refusal

        response = open311_refusal(request, lambda: (503, str(UNAVAILABLE_MESSAGE)))
    else:
        response = HttpResponse(render_to_string("503.html"), status=503)
    response["Retry-After"] = str(RETRY_AFTER)
    response["Cache-Control"] = "no-store"
    if outage:
        # Django would log each refusal at ERROR: the outage is known (the mark's WARNING, /readyz,
        # portal_database_up), and a flood of ERROR lines would drown the errors that are bugs.
        response._has_been_logged = True  # type: ignore[attr-defined]
        logger.warning("503 for %s %s: the database is unavailable", request.method, path)
    return response


def server_error(request: HttpRequest, template_name: str = "500.html") -> HttpResponse:
    """``handler500``: the database's operational errors are a 503 (the transaction was rolled
    back: nothing was received, try again); the process is marked down only when a probe finds
    the database unreachable, not for a deadlock, a lock or statement timeout or SQLite's "database
    is locked" while it answers. Other errors: Django's 500."""
    if is_unreachable(sys.exc_info()[1]):
        outage = not database_reachable()
        if outage:
            MARK.set_down()
        return unavailable_response(request, outage=outage)
    return django_server_error(request, template_name)


class DatabaseUnavailableMiddleware:
    """While the database is marked down, a 503 at once, and one probe a second to notice its return."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        # The refusal never reaches the last middleware, which counts responses by status for
        # /metrics: counted here as it would (an outage's 503s are what an operator graphs).
        self.counted = PrometheusAfterMiddleware(get_response)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if MARK.down_since is not None:
            if not MARK.due_for_probe() or not database_reachable():
                self.counted.process_request(request)
                response: HttpResponse = self.counted.process_response(request, unavailable_response(request))
                return response
            MARK.clear()
        return self.get_response(request)
