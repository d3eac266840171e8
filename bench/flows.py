"""Browser-like form flows for ``bench/intake.py``: GET a form, POST it, GET the page it redirects to.

wrk cannot carry a flow's cookies and hidden fields from one request to the next on the same
connection, so these run on threads of the benchmark's own process, one keep-alive connection per
thread (``http.client``), as many threads as wrk's connections. Each flow is a new visitor: an empty
cookie jar, the CSRF token and hidden fields parsed from the form it was served, the form sent as
``multipart/form-data`` with its empty file inputs, as a browser sends it. The load generator's own
CPU is measured apart (it is not the server's); what matters is the server's and PostgreSQL's.
"""

from __future__ import annotations

import html
import http.client
import re
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from common import percentile

_INPUT = re.compile(r"<input\b[^>]*>", re.IGNORECASE)
_ATTR = re.compile(r'([a-zA-Z_:-]+)\s*=\s*(?:"([^"]*)"|\'([^\']*)\')')
_OPTION = re.compile(r'<option\s+value="([^"]+)"', re.IGNORECASE)
_SELECT_QUEUE = re.compile(r'<select\b[^>]*name="queue"[^>]*>(.*?)</select>', re.IGNORECASE | re.DOTALL)
_TRACKING_CODE = re.compile(r'id="tracking-code">\s*([A-Z]{2}-\d{2}-[A-Z0-9]+)\s*<')
_TICKET = re.compile(r"[?&]ticket=([\w-]+)")


class FlowError(Exception):
    """A step answered what a browser would not go on from (its status and step in the message)."""


def hidden_fields(page: str) -> dict[str, str]:
    """The hidden inputs of a page (the CSRF token, the form's stamp), by name."""
    found: dict[str, str] = {}
    for tag in _INPUT.findall(page):
        attrs = {m[0].lower(): html.unescape(m[1] or m[2]) for m in _ATTR.findall(tag)}
        if attrs.get("type", "").lower() == "hidden" and "name" in attrs:
            found[attrs["name"]] = attrs.get("value", "")
    return found


def multipart(fields: list[tuple[str, str]], files: list[str]) -> tuple[bytes, str]:
    """A browser's ``multipart/form-data`` body: the fields, then each file input left empty."""
    boundary = f"----benchBoundary{uuid.uuid4().hex}"
    parts: list[bytes] = []
    for name, value in fields:
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        )
    for name in files:
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename=""\r\n'
            "Content-Type: application/octet-stream\r\n\r\n\r\n".encode()
        )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


class Browser:
    """One keep-alive connection and one visitor's cookies (``new_visitor`` empties them)."""

    def __init__(self, host: str, port: int, timeout: float) -> None:
        self.host, self.port, self.timeout = host, port, timeout
        self.conn: http.client.HTTPConnection | None = None
        self.cookies: dict[str, str] = {}

    def new_visitor(self) -> None:
        self.cookies = {}

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def request(
        self, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None
    ) -> tuple[int, http.client.HTTPResponse, bytes]:
        sent = {"Host": f"{self.host}:{self.port}", "User-Agent": "bench-intake-flow", **(headers or {})}
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        for attempt in (0, 1):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            try:
                self.conn.request(method, path, body=body, headers=sent)
                answer = self.conn.getresponse()
                data = answer.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # A keep-alive connection the server closed while idle: again on a new one, once
                # (not a POST that may have been received).
                self.close()
                if attempt or method != "GET":
                    raise
                continue
            for header in answer.headers.get_all("Set-Cookie") or []:
                name, _eq, rest = header.partition("=")
                value = rest.split(";", 1)[0]
                if value and "max-age=0" not in header.lower():
                    self.cookies[name.strip()] = value
                else:
                    self.cookies.pop(name.strip(), None)
            if (answer.getheader("Connection") or "").lower() == "close":
                self.close()
            return answer.status, answer, data
        raise AssertionError("unreachable")


@dataclass
class FlowStats:
    """What the flows of one phase did (merged over the threads)."""

    flows: int = 0
    failed: int = 0
    #: Flows whose POST was accepted (redirected) but whose page after it failed: a petition or a
    #: ticket may exist without a receipt seen.
    posted_without_page: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    statuses: Counter[str] = field(default_factory=Counter)
    steps: dict[str, list[float]] = field(default_factory=dict)
    flow_ms: list[float] = field(default_factory=list)
    results: list[str] = field(default_factory=list)

    def merge(self, other: FlowStats) -> None:
        self.flows += other.flows
        self.failed += other.failed
        self.posted_without_page += other.posted_without_page
        self.errors.update(other.errors)
        self.statuses.update(other.statuses)
        for name, values in other.steps.items():
            self.steps.setdefault(name, []).extend(values)
        self.flow_ms.extend(other.flow_ms)
        self.results.extend(other.results)


class Step:
    """Times one request of a flow and counts its status under the step's name."""

    def __init__(self, stats: FlowStats, name: str) -> None:
        self.stats, self.name = stats, name

    def __call__(
        self, browser: Browser, method: str, path: str, expect: int, **kwargs: Any
    ) -> tuple[http.client.HTTPResponse, bytes]:
        started = time.perf_counter()
        status, answer, data = browser.request(method, path, **kwargs)
        self.stats.steps.setdefault(self.name, []).append((time.perf_counter() - started) * 1000)
        self.stats.statuses[f"{self.name} {status}"] += 1
        if status != expect:
            raise FlowError(f"{self.name}: {status}")
        return answer, data


def local_path(location: str) -> str:
    parts = urlsplit(location)
    return parts.path + (f"?{parts.query}" if parts.query else "")


@dataclass
class PortalFlow:
    """The citizen's form: GET ``/submit/``, POST it (CSRF token, signed stamp), GET the receipt.

    Every flow is a new citizen (own phone number, own text) so that no repeat or rate check
    joins two flows into one petition. ``result`` is the receipt's tracking code.
    """

    run: str
    categories: list[str]  # primary keys, as the form's <select> names them
    places: list[tuple[str, str]]  # (province code, commune code)
    titles: tuple[str, ...]
    text: str

    def __call__(self, browser: Browser, stats: FlowStats, n: int, worker: int) -> str:
        browser.new_visitor()
        _answer, page = Step(stats, "GET form")(browser, "GET", "/submit/", 200)
        hidden = hidden_fields(page.decode("utf-8", "replace"))
        if "csrfmiddlewaretoken" not in hidden or "started" not in hidden:
            raise FlowError("GET form: no CSRF token or stamp")
        province, commune = self.places[(n * 7 + worker) % len(self.places)]
        fields = [
            ("csrfmiddlewaretoken", hidden["csrfmiddlewaretoken"]),
            ("started", hidden["started"]),
            ("website", ""),
            ("category", self.categories[(n + worker) % len(self.categories)]),
            ("province", province),
            ("commune", commune),
            ("address", ""),
            ("latitude", ""),
            ("longitude", ""),
            ("title", self.titles[n % len(self.titles)]),
            ("text", f"{self.text} (#{self.run}-{worker}-{n})"),
            ("submitter_name", "Nguyễn Thị Bình"),
            ("phone", f"098{(worker * 100000 + n) % 10_000_000:07d}"),
            ("email", ""),
        ]
        body, content_type = multipart(fields, ["photos", "documents"])
        answer, _data = Step(stats, "POST form")(
            browser, "POST", "/submit/", 302, body=body, headers={"Content-Type": content_type}
        )
        location = local_path(answer.getheader("Location") or "")
        try:
            _answer, receipt = Step(stats, "GET receipt")(browser, "GET", location, 200)
            found = _TRACKING_CODE.search(receipt.decode("utf-8", "replace"))
            if not found:
                raise FlowError("GET receipt: no tracking code")
        except Exception:
            stats.posted_without_page += 1
            raise
        return found.group(1)


@dataclass
class HelpdeskFlow:
    """django-helpdesk's public "submit a ticket": GET ``/tickets/submit/``, POST it, GET the
    ticket's public page it redirects to (``/view/?ticket=…&email=…&key=…``). ``result`` is the
    ticket's ``queue-id``."""

    run: str
    titles: tuple[str, ...]
    text: str
    queue: str = ""

    def __call__(self, browser: Browser, stats: FlowStats, n: int, worker: int) -> str:
        browser.new_visitor()
        _answer, data = Step(stats, "GET form")(browser, "GET", "/tickets/submit/", 200)
        page = data.decode("utf-8", "replace")
        hidden = hidden_fields(page)
        select = _SELECT_QUEUE.search(page)
        queues = _OPTION.findall(select.group(1)) if select else []
        if "csrfmiddlewaretoken" not in hidden or not queues:
            raise FlowError("GET form: no CSRF token or public queue")
        fields = [
            ("csrfmiddlewaretoken", hidden["csrfmiddlewaretoken"]),
            ("queue", self.queue or queues[0]),
            ("title", self.titles[n % len(self.titles)]),
            ("body", f"{self.text} (#{self.run}-{worker}-{n})"),
            ("priority", "3"),
            ("due_date", ""),
            ("submitter_email", f"citizen-{self.run}-{worker}-{n}@example.org"),
        ]
        body, content_type = multipart(fields, ["attachment"])
        answer, _data = Step(stats, "POST form")(
            browser, "POST", "/tickets/submit/", 302, body=body, headers={"Content-Type": content_type}
        )
        location = local_path(answer.getheader("Location") or "")
        found = _TICKET.search(location)
        try:
            Step(stats, "GET ticket page")(browser, "GET", location, 200)
            if not found:
                raise FlowError("POST form: no ticket in the redirect")
        except Exception:
            stats.posted_without_page += 1
            raise
        return found.group(1)


def run_flows(
    flow: Callable[[Browser, FlowStats, int, int], str],
    *,
    host: str,
    port: int,
    connections: int,
    duration: float,
    timeout: float,
) -> dict[str, Any]:
    """``connections`` threads repeating ``flow`` for ``duration`` seconds; flows started before the
    end are finished (none is abandoned, so every POST's outcome is known)."""
    deadline = time.monotonic() + duration
    merged = FlowStats()
    lock = threading.Lock()

    def worker(index: int) -> None:
        stats = FlowStats()
        browser = Browser(host, port, timeout)
        n = 0
        try:
            while time.monotonic() < deadline:
                n += 1
                started = time.perf_counter()
                try:
                    result = flow(browser, stats, n, index)
                except (FlowError, OSError, http.client.HTTPException) as exc:
                    stats.failed += 1
                    stats.errors[str(exc) if isinstance(exc, FlowError) else type(exc).__name__] += 1
                    browser.close()
                    continue
                stats.flows += 1
                stats.flow_ms.append((time.perf_counter() - started) * 1000)
                stats.results.append(result)
        finally:
            browser.close()
            with lock:
                merged.merge(stats)

    cpu_before, started = time.process_time(), time.monotonic()
    threads = [threading.Thread(target=worker, args=(i,), name=f"flow-{i}") for i in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.monotonic() - started
    client_cpu = time.process_time() - cpu_before

    def latency(values: list[float]) -> dict[str, float]:
        if not values:
            return {}
        return {
            "p50": round(percentile(values, 0.50), 2),
            "p90": round(percentile(values, 0.90), 2),
            "p95": round(percentile(values, 0.95), 2),
            "p99": round(percentile(values, 0.99), 2),
            "max": round(max(values), 2),
            "mean": round(sum(values) / len(values), 2),
        }

    requests = sum(len(values) for values in merged.steps.values())
    return {
        "seconds": round(seconds, 2),
        "flows": merged.flows,
        "failed_flows": merged.failed,
        "posted_without_page": merged.posted_without_page,
        "errors": dict(merged.errors),
        "requests": requests,
        "flows_per_second": round(merged.flows / seconds, 2) if seconds else 0.0,
        "requests_per_second": round(requests / seconds, 1) if seconds else 0.0,
        "latency_ms": latency(merged.flow_ms),
        "step_latency_ms": {name: latency(values) for name, values in merged.steps.items()},
        "statuses": dict(sorted(merged.statuses.items())),
        "client_cpu_seconds": round(client_cpu, 2),
        "client_cpu_ms_per_flow": round(client_cpu * 1000 / merged.flows, 2) if merged.flows else None,
        "results": merged.results,
    }
