"""Outage drills on the local production topology under steady load; PASS or FAIL per drill.

    .venv/bin/python bench/drills.py [--only search,redis,sms,worker,web,postgres] [--outage 30]
        [--json out.json] [--url http://127.0.0.1:8180] [--keep]

It starts ``bench/prod_local.py``'s topology (nginx, two daphne replicas, Celery worker and beat,
Redis, OpenSearch, PostgreSQL, the SMS and SMTP stubs) on ports and a database of its own (the
defaults below: not the ports, state directory and database CI and ``make prod-local`` use), against
a PostgreSQL cluster of its own (``15/drills`` on 5434, created beforehand with ``pg_createcluster``:
the PostgreSQL drill stops it), unless ``--url`` names one already running; it stops it at the end
unless ``--keep``.

Steady load, in threads of this process, all through nginx, each client with an address of its own
(``X-Forwarded-For``: nginx believes 127.0.0.1, the load balancer here), so that no rate limit joins
them:

- citizens filing from the portal's form as a browser without JavaScript does (GET ``/submit/``,
  wait the form's minimum time, POST multipart, 30 % with one or two photos, follow the redirect to
  the receipt and read the tracking code), about ``--form-rate`` per second;
- citizens filing through ``POST /api/v1/petitions/`` with an ``Idempotency-Key`` of their own,
  about ``--api-rate`` per second;
- citizens who got an error page or no answer do what people do: try again a little later (the
  same form, which carries its idempotency key in its signed stamp; the same API key and body),
  backing off, for up to ``--give-up`` seconds;
- one officer per commune the load files in, acting through the API every ``--officer-every``
  seconds: accepting new cases, and moving the watched cases between ``refer`` and
  ``agency_replied`` (each move is a public event: an SMS to the citizen, a live update);
- ``--sockets`` WebSocket clients on the watched cases' pages (the private link opened in a
  browser, then ``/ws/track/<code>/?token=`` through nginx), doing what ``static/portal/live.js``
  does: on a version newer than the page's, fetch the page's snapshot (``live.json``, with the
  page's cookies); on a close, reconnect with its backoff (0.5 s doubling to 30 s, jittered);
- a probe of ``/readyz`` every 2 s and ``/metrics`` (with the token) every 4 s, through nginx, each on
  a thread of its own;
- a supervisor doing what compose's ``restart: unless-stopped`` does: a process of the topology that
  exits (other than the one a drill takes away) is started again; the drill then FAILS, quoting the
  process's last ERROR line (``--no-supervise``: leave it dead).

Each drill: ``--baseline`` seconds of load, then the dependency is taken away for ``--outage``
seconds and brought back, then the drill waits until the dependency answers, the WebSocket clients
have caught up and both outboxes hold nothing written before the dependency came back, then checks:

- search: the engine's process group stopped (SIGTERM), started again with the same command line;
- redis: Redis stopped and started again (its append-only file keeps the broker's queue);
- sms: the gateway stub answers 500 for ``--outage`` seconds, then answers only after
  ``SMS_GATEWAY_TIMEOUT`` + 5 s for ``--outage`` seconds (the stub's mode file, ``prod_local``);
- worker: the Celery worker stopped as ``docker stop`` stops it (SIGTERM to its main process: a
  warm shutdown, its pool finishing the tasks it runs) and started again;
- web: one of the two daphne replicas killed (SIGKILL to its group) and started again; nginx must
  send everything to the other;
- postgres: the cluster stopped (``pg_ctlcluster stop``, fast) and started again; requests must fail
  quickly with an error page, and the web processes recover on their own (same pids).

Recorded per drill: what citizens, officers and the live pages saw before, during and after
(statuses, error texts, p50/p99/max latency), ``/readyz`` and ``/metrics`` during the outage, the
ERROR lines in the portal's logs, how long the backlog took to drain, and whether the sockets came
back by themselves. Then the end state, for every submission acknowledged before the dependency
came back (checked in the database, the media directory, the SMS stub's records and the search
engine itself):

1. its petition exists exactly once (API: by its Idempotency-Key; form: by its unique title) with
   the tracking code the citizen was shown, its case and exactly one first event;
2. a form's photos are all there, in order, files on disk that decode to the photo sent
   (``crash.photo_problem``);
3. every notification written before then is sent (none waiting, none failed); every SMS reached
   the gateway stub, and no SMS was accepted (answered 200 at once) twice for one
   Idempotency-Key; repeats after a timed-out attempt, with the same key, are reported;
4. its receipt SMS exists exactly once; every officer action acknowledged has its event;
5. its case's document is in the search engine's index (queried at the engine's own port), in
   the case's state when the case has not changed since.

Failing a drill: a loss or duplicate above; a backlog not drained within ``--drain-timeout``; a
socket not back and caught up within ``--ws-timeout``; a request that hung (no answer in 30 s); in
the drills that must not disturb citizens (search, redis, sms, worker), more than ``--max-errors``
of the submissions started during the outage answered with an error first; in the web drill, more
than that share; in the postgres drill, errors slower than 15 s, or a web process restarted;
``/readyz`` not saying that the search engine, Redis or the database is down while it is (the SMS
gateway and the worker have no check of their own there: ``/metrics`` must show their backlog).

Exit status 0 when every drill passed; ``--json`` writes everything recorded.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import datetime as dt
import html
import http.client
import io
import json
import os
import random
import re
import secrets
import select
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

from common import percentile
from crash import Photo, make_photo, multipart, photos_compared
from flows import Browser, hidden_fields, local_path
from prod_local import (
    PYTHON,
    ROOT,
    SMS_MODE_FILE,
    Proc,
    State,
    port_open,
    read_env_file,
    redis_ping,
    restart_exited,
    spawn,
    stop_group,
    supervised,
    worker_ready,
)
from prod_smoke import SocketClosed, WebSocket, read_jsonl

DRILLS = ("search", "redis", "sms", "worker", "web", "postgres")
DEFAULT_STATE_DIR = ROOT / "var" / "prod-drills"
#: Requests slower than this hung (nginx gives up on the portal after 60 s).
HANG_SECONDS = 30.0
#: The client's own timeout: longer than nginx's, so that a hang is seen as what nginx answers.
CLIENT_TIMEOUT = 65.0
_TRACKING_CODE = re.compile(r'id="tracking-code">\s*([A-Z]{2}-\d{2}-[A-Z0-9]+)\s*<')
_ERROR_MESSAGE = re.compile(r'class="error-message"[^>]*>(.*?)</', re.S)
_TITLE = re.compile(r"<title>(.*?)</title>", re.S | re.I)
_H1 = re.compile(r"<h1[^>]*>(.*?)</h1>", re.S | re.I)
_TAG = re.compile(r"<[^>]+>")
_LIVE_SOCKET = re.compile(r'data-live-socket="([^"]+)"')
_LIVE_SNAPSHOT = re.compile(r'data-live-snapshot="([^"]+)"')
_LIVE_VERSION = re.compile(r'data-live-version="(\d+)"')
_METRIC = re.compile(r"^(portal_[a-z_]+)(?:\{([^}]*)\})?\s+([-0-9.e+]+)$")
PHONE_PREFIXES = ("090", "091", "093", "094", "096", "097", "098")
TITLES = (
    "Đèn đường hỏng",
    "Rác thải ùn ứ",
    "Ngập lụt sau mưa",
    "Ổ gà trên đường",
    "Tiếng ồn công trình ban đêm",
)


def now() -> float:
    return time.time()


def short_text(raw: bytes, content_type: str = "") -> str:
    """What a person reads on an error answer: a JSON message, or a page's title and heading."""
    text = raw.decode("utf-8", "replace")
    if "json" in content_type or text.lstrip().startswith("{"):
        with contextlib.suppress(ValueError):
            data = json.loads(text)
            if isinstance(data, dict):
                for name in ("message", "detail", "error", "code"):
                    if data.get(name):
                        return str(data[name])[:160]
            return text[:160]
    parts = []
    for pattern in (_TITLE, _H1):
        found = pattern.search(text)
        if found:
            parts.append(html.unescape(_TAG.sub("", found.group(1))).strip())
    messages = [html.unescape(_TAG.sub("", m)).strip() for m in _ERROR_MESSAGE.findall(text)]
    words = " / ".join(dict.fromkeys(p for p in [*parts, *messages] if p))
    return " ".join(words.split())[:160] or " ".join(text.split())[:160]


# --- what the load saw ----------------------------------------------------------------------------


@dataclass
class Req:
    who: str  # form, api, officer, snapshot
    what: str  # the step: "POST form", "POST api", "refer", "GET snapshot" ...
    at: float  # wall-clock start
    ms: float
    status: str  # an HTTP status, or "connection" / "timeout"
    error: str = ""


@dataclass
class Submission:
    kind: str  # form or api
    key: str  # api: the Idempotency-Key; form: the unique word in its title
    title: str
    phone: str
    address: str
    photos: list[Photo] = field(default_factory=list)
    started: float = 0.0
    acked_at: float | None = None
    code: str | None = None
    token: str | None = None
    answers: list[str] = field(default_factory=list)
    refused: str = ""  # a 4xx answer (not a retry) with its text
    gave_up: str = ""

    @property
    def acked(self) -> bool:
        return self.acked_at is not None


@dataclass
class Action:
    officer: str
    case_id: int
    name: str
    started: float
    at: float  # its answer (or none)
    status: str
    version: int | None = None  # after it, when acknowledged


@dataclass
class SocketEvent:
    at: float
    what: str  # open, refused, closed, snapshot, snapshot-failed, message
    detail: str = ""


class Recorder:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.requests: list[Req] = []
        self.submissions: list[Submission] = []
        self.actions: list[Action] = []
        self.probes: list[dict[str, Any]] = []

    def request(self, req: Req) -> None:
        with self.lock:
            self.requests.append(req)

    def between(self, start: float, end: float) -> list[Req]:
        with self.lock:
            return [r for r in self.requests if start <= r.at < end]


def latency(values: list[float]) -> dict[str, float]:
    if not values:
        return {}
    return {
        "n": len(values),
        "p50": round(percentile(values, 0.5)),
        "p99": round(percentile(values, 0.99)),
        "max": round(max(values)),
    }


def summarise(requests: list[Req]) -> dict[str, Any]:
    """Per step: statuses, the error texts people read, latency in ms."""
    by_step: dict[str, list[Req]] = collections.defaultdict(list)
    for r in requests:
        by_step[f"{r.who}: {r.what}"].append(r)
    out: dict[str, Any] = {}
    for step, items in sorted(by_step.items()):
        errors = collections.Counter(f"{r.status} {r.error}".strip() for r in items if r.error)
        out[step] = {
            "statuses": dict(collections.Counter(r.status for r in items)),
            "ms": latency([r.ms for r in items]),
            **({"errors": dict(errors.most_common(4))} if errors else {}),
        }
    return out


# --- HTTP through nginx ---------------------------------------------------------------------------


class Site:
    def __init__(self, url: str, recorder: Recorder) -> None:
        parts = urlsplit(url)
        self.url = url.rstrip("/")
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.recorder = recorder
        self.address_counter = 0
        self.lock = threading.Lock()

    def new_address(self) -> str:
        """A client address of its own (10.x.y.z): nginx takes it from the trusted X-Forwarded-For."""
        with self.lock:
            self.address_counter += 1
            n = self.address_counter
        return f"10.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255 or 1}"

    def timed(
        self,
        browser: Browser,
        who: str,
        what: str,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[str, http.client.HTTPResponse | None, bytes]:
        """One request, recorded; the status as text ("connection", "timeout" when none came)."""
        started, clock = now(), time.monotonic()
        answer: http.client.HTTPResponse | None = None
        raw = b""
        try:
            code, answer, raw = browser.request(method, path, body=body, headers=headers)
            status, error = str(code), ""
            if code >= 400:
                error = short_text(raw, answer.getheader("Content-Type") or "")
        except TimeoutError:
            browser.close()
            status, error = "timeout", "no answer"
        except (OSError, http.client.HTTPException) as exc:
            browser.close()
            status, error = "connection", type(exc).__name__
        self.recorder.request(Req(who, what, started, (time.monotonic() - clock) * 1000, status, error))
        return status, answer, raw

    def browser(self) -> Browser:
        return Browser(self.host, self.port, CLIENT_TIMEOUT)


def retryable(status: str) -> bool:
    return status in ("connection", "timeout", "429") or status.startswith("5")


class Citizens:
    """The form and API citizens; each submission is recorded with every answer it got."""

    def __init__(
        self, site: Site, recorder: Recorder, args: argparse.Namespace, places: dict[str, Any]
    ) -> None:
        self.site, self.recorder, self.args = site, recorder, args
        self.categories: list[tuple[str, int]] = places["categories"]  # (code, pk)
        self.communes: list[tuple[str, str]] = places["communes"]  # (commune code, province code)
        self.min_form_seconds = float(places["min_form_seconds"])
        self.stop = threading.Event()
        self.counter = 0
        self.lock = threading.Lock()
        self.run = secrets.token_hex(3)

    def new(self, kind: str, rng: random.Random) -> Submission:
        with self.lock:
            self.counter += 1
            n = self.counter
        marker = f"dt{self.run}n{n}"
        phone = rng.choice(PHONE_PREFIXES) + "".join(rng.choice("0123456789") for _ in range(7))
        photos = []
        if kind == "form" and rng.random() < self.args.photo_share:
            photos = [
                make_photo(rng.getrandbits(36), rng.choice(("jpeg", "png")), rng)
                for _ in range(rng.randint(1, 2))
            ]
        sub = Submission(
            kind=kind,
            key=f"drill-{uuid.uuid4()}" if kind == "api" else marker,
            title=f"{rng.choice(TITLES)} {marker}",
            phone=phone,
            address=self.site.new_address(),
            photos=photos,
            started=now(),
        )
        with self.recorder.lock:
            self.recorder.submissions.append(sub)
        return sub

    def wait_retry(self, sub: Submission, attempt: int) -> bool:
        """Back off as a person does (2, 4, 8 … 15 s); False once past --give-up."""
        if now() - sub.started > self.args.give_up:
            return False
        time.sleep(min(2.0 * 2 ** min(attempt, 3), 15.0) * random.uniform(0.8, 1.2))  # noqa: S311
        return True

    def get_page(self, sub: Submission, browser: Browser, what: str, path: str) -> bytes | None:
        attempt = 0
        while True:
            status, _answer, raw = self.site.timed(
                browser, sub.kind, what, "GET", path, headers={"X-Forwarded-For": sub.address}
            )
            if status == "200":
                return raw
            if not retryable(status) or not self.wait_retry(sub, attempt):
                sub.gave_up = f"{what}: {status}"
                return None
            attempt += 1

    def form(self, rng: random.Random) -> None:
        sub = self.new("form", rng)
        browser = self.site.browser()
        try:
            page = self.get_page(sub, browser, "GET form", "/submit/")
            if page is None:
                return
            shown = time.monotonic()
            hidden = hidden_fields(page.decode("utf-8", "replace"))
            category = rng.choice(self.categories)
            commune, province = rng.choice(self.communes)
            fields = [
                ("csrfmiddlewaretoken", hidden.get("csrfmiddlewaretoken", "")),
                ("started", hidden.get("started", "")),
                ("website", ""),
                ("category", str(category[1])),
                ("province", province),
                ("commune", commune),
                ("address", "Số 1 đường Diễn Tập"),
                ("latitude", ""),
                ("longitude", ""),
                ("title", sub.title),
                ("text", f"Phản ánh diễn tập sự cố ({sub.key}): mong cơ quan chức năng xử lý sớm."),
                ("submitter_name", "Nguyễn Văn Diễn"),
                ("phone", sub.phone),
                ("email", ""),
            ]
            body, content_type = multipart(fields, [("photos", photo) for photo in sub.photos])
            time.sleep(max(self.min_form_seconds + 0.5 - (time.monotonic() - shown), 0))
            headers = {
                "Content-Type": content_type,
                "Origin": self.site.url,
                "Referer": f"{self.site.url}/submit/",
                "X-Forwarded-For": sub.address,
            }
            attempt = 0
            while True:
                status, answer, raw = self.site.timed(
                    browser, "form", "POST form", "POST", "/submit/", body, headers
                )
                sub.answers.append(status)
                if status == "302" and answer is not None:
                    sub.acked_at = now()
                    receipt = self.get_page(
                        sub, browser, "GET receipt", local_path(answer.getheader("Location") or "")
                    )
                    found = _TRACKING_CODE.search((receipt or b"").decode("utf-8", "replace"))
                    sub.code = found.group(1) if found else None
                    return
                if not retryable(status):
                    sub.refused = f"{status} {short_text(raw)}"
                    return
                if not self.wait_retry(sub, attempt):
                    sub.gave_up = f"POST form: still {status}"
                    return
                attempt += 1
        finally:
            browser.close()

    def api(self, rng: random.Random) -> None:
        sub = self.new("api", rng)
        category = rng.choice(self.categories)
        commune, _province = rng.choice(self.communes)
        payload = json.dumps(
            {
                "category": category[0],
                "commune": commune,
                "phone": sub.phone,
                "submitter_name": "Trần Thị Diễn",
                "title": sub.title,
                "text": f"Phản ánh diễn tập qua API ({sub.key}): đề nghị kiểm tra và xử lý.",
                "language": "vi",
            }
        ).encode()
        headers = {
            "Content-Type": "application/json",
            "Idempotency-Key": sub.key,
            "X-Forwarded-For": sub.address,
        }
        browser = self.site.browser()
        attempt = 0
        try:
            while True:
                status, _answer, raw = self.site.timed(
                    browser, "api", "POST api", "POST", "/api/v1/petitions/", payload, headers
                )
                sub.answers.append(status)
                if status in ("200", "201"):
                    data = json.loads(raw)
                    sub.acked_at, sub.code = now(), data.get("tracking_code")
                    sub.token = data.get("token") or sub.token
                    return
                if not retryable(status):
                    sub.refused = f"{status} {short_text(raw)}"
                    return
                if not self.wait_retry(sub, attempt):
                    sub.gave_up = f"POST api: still {status}"
                    return
                attempt += 1
        finally:
            browser.close()

    def loop(self, kind: str, index: int, interval: float) -> None:
        rng = random.Random(f"{self.run}-{kind}-{index}")  # noqa: S311 (test data)
        next_at = time.monotonic() + rng.random() * interval
        while not self.stop.is_set():
            delay = next_at - time.monotonic()
            if delay > 0 and self.stop.wait(delay):
                break
            next_at = max(next_at + interval, time.monotonic())
            try:
                (self.form if kind == "form" else self.api)(rng)
            except Exception as exc:  # a bug of this script: recorded, the load goes on
                self.recorder.request(Req(kind, "script error", now(), 0, "script", repr(exc)[:160]))

    def threads(self) -> list[threading.Thread]:
        form_threads = max(1, round(self.args.form_rate * (self.min_form_seconds + 1.5)))
        api_threads = max(1, round(self.args.api_rate * 1.5))
        return [
            *(
                threading.Thread(
                    target=self.loop, args=("form", i, form_threads / self.args.form_rate), daemon=True
                )
                for i in range(form_threads)
            ),
            *(
                threading.Thread(
                    target=self.loop, args=("api", i, api_threads / self.args.api_rate), daemon=True
                )
                for i in range(api_threads)
            ),
        ]


# --- officers -------------------------------------------------------------------------------------


class Officer:
    """Acts through the API on its unit's cases: accepts new ones, moves its watched cases along."""

    def __init__(self, site: Site, recorder: Recorder, info: dict[str, Any], every: float) -> None:
        self.site, self.recorder, self.every = site, recorder, every
        self.name: str = info["username"]
        self.user_id: int = info["id"]
        self.token: str = info["token"]
        self.address = site.new_address()
        self.watched: list[int] = []
        self.cases: dict[int, tuple[int, str]] = {}  # id → (version, state)
        self.new_cases: list[int] = []
        self.stop = threading.Event()
        self.ticks = 0

    def call(self, what: str, method: str, path: str, body: dict[str, Any] | None = None) -> tuple[str, Any]:
        browser = self.site.browser()
        try:
            status, _answer, raw = self.site.timed(
                browser,
                "officer",
                what,
                method,
                path,
                json.dumps(body).encode() if body is not None else None,
                {
                    "Authorization": f"Token {self.token}",
                    "Content-Type": "application/json",
                    "X-Forwarded-For": self.address,
                },
            )
        finally:
            browser.close()
        data: Any = None
        if status.startswith("2"):
            with contextlib.suppress(ValueError):
                data = json.loads(raw)
        return status, data

    def refresh(self, case_id: int) -> None:
        status, data = self.call("GET case", "GET", f"/api/v1/cases/{case_id}/")
        if status == "200" and data:
            self.cases[case_id] = (int(data["version"]), str(data["state"]))

    def list_new(self) -> None:
        status, data = self.call("GET cases", "GET", "/api/v1/cases/?state=submitted&page_size=25")
        if status == "200" and data:
            for row in data.get("results", []):
                self.cases[int(row["id"])] = (int(row["version"]), str(row["state"]))
            self.new_cases = [
                int(row["id"]) for row in data.get("results", []) if int(row["id"]) not in self.watched
            ]

    def act(self, case_id: int) -> None:
        if case_id not in self.cases:
            self.refresh(case_id)
        if case_id not in self.cases:
            return
        version, state = self.cases[case_id]
        body: dict[str, Any] = {"version": version}
        if state == "submitted":
            name = "accept"
            body["assignee"] = self.user_id
        elif state == "in_progress":
            name = "refer"
            body.update(
                agency="Sở Giao thông Vận tải", due=(dt.date.today() + dt.timedelta(days=7)).isoformat()
            )
        elif state == "awaiting_agency":
            name = "agency_replied"
            body["note"] = "Sở đã trả lời: sẽ sửa trong tuần."
        else:
            return
        path = f"/api/v1/cases/{case_id}/{name.replace('_', '-')}/"
        started = now()
        status, data = self.call(name, "POST", path, body)
        action = Action(self.name, case_id, name, started, now(), status)
        if status == "200" and data:
            action.version = int(data["version"])
            self.cases[case_id] = (int(data["version"]), str(data["state"]))
        else:
            self.refresh(case_id)  # a conflict, or an answer lost: where is the case now?
        with self.recorder.lock:
            self.recorder.actions.append(action)

    def loop(self) -> None:
        while not self.stop.wait(self.every):
            self.ticks += 1
            try:
                if self.ticks % 2 and self.watched:
                    self.act(self.watched[(self.ticks // 2) % len(self.watched)])
                    continue
                if not self.new_cases or self.ticks % 10 == 0:
                    self.list_new()
                if self.new_cases:
                    self.act(self.new_cases.pop(0))
            except Exception as exc:  # a bug of this script: recorded, the officer goes on
                self.recorder.request(Req("officer", "script error", now(), 0, "script", repr(exc)[:160]))


# --- live pages -----------------------------------------------------------------------------------


class LiveSocket(WebSocket):
    """prod_smoke's client, read by polling without losing partial frames."""

    def __init__(self, host: str, port: int, path: str, origin: str, timeout: float = 10.0) -> None:
        super().__init__(host, port, path, origin, timeout, agent="drills")

    def poll(self, wait: float) -> dict[str, Any] | None:
        """The next message if one arrives within ``wait`` seconds; SocketClosed when it closes."""
        if not self.buffer:
            readable, _w, _x = select.select([self.sock], [], [], wait)
            if not readable:
                return None
        self.sock.settimeout(10)
        return self._message(none_after_ping=True)


class LivePage:
    """A citizen's case page left open: the socket, the snapshot re-fetch, the reconnects (live.js)."""

    RETRY_BASE, RETRY_MAX = 0.5, 30.0

    def __init__(
        self, site: Site, recorder: Recorder, name: str, case_id: int, code: str, token: str
    ) -> None:
        self.site, self.recorder, self.name = site, recorder, name
        self.case_id, self.code, self.token = case_id, code, token
        self.address = site.new_address()
        self.browser = site.browser()
        self.events: list[SocketEvent] = []
        self.version = 0
        self.open = False
        self.stop = threading.Event()
        self.socket_path = ""
        self.snapshot = ""
        self.replica = ""

    def event(self, what: str, detail: str = "") -> None:
        self.events.append(SocketEvent(now(), what, detail))

    def load_page(self) -> None:
        headers = {"X-Forwarded-For": self.address}
        status, answer, _raw = self.site.timed(
            self.browser, "page", "GET private link", "GET", f"/t/{self.token}/", headers=headers
        )
        if status != "302" or answer is None:
            raise RuntimeError(f"the private link answered {status}")
        status, _answer, raw = self.site.timed(
            self.browser,
            "page",
            "GET case page",
            "GET",
            local_path(answer.getheader("Location") or ""),
            headers=headers,
        )
        page = raw.decode("utf-8", "replace")
        socket_path, snapshot, version = (
            _LIVE_SOCKET.search(page),
            _LIVE_SNAPSHOT.search(page),
            _LIVE_VERSION.search(page),
        )
        if status != "200" or not socket_path or not snapshot or not version:
            raise RuntimeError(f"the case page answered {status} without its live attributes")
        self.socket_path = f"{html.unescape(socket_path.group(1))}?{urlencode({'token': self.token})}"
        self.snapshot = html.unescape(snapshot.group(1))
        self.version = int(version.group(1))

    def fetch_snapshot(self) -> None:
        status, _answer, raw = self.site.timed(
            self.browser,
            "snapshot",
            "GET snapshot",
            "GET",
            self.snapshot,
            headers={"Accept": "application/json", "X-Forwarded-For": self.address},
        )
        if status == "200":
            data = json.loads(raw)
            if isinstance(data.get("version"), int) and data["version"] > self.version:
                self.version = data["version"]
            self.event("snapshot", f"version {self.version}")
        else:
            self.event("snapshot-failed", status)

    def loop(self) -> None:
        failures = 0
        while not self.stop.is_set():
            try:
                ws = LiveSocket(self.site.host, self.site.port, self.socket_path, self.site.url)
            except (OSError, SocketClosed) as exc:
                self.event("refused", str(exc)[:120])
            else:
                self.open, failures = True, 0
                self.event("open")
                try:
                    while not self.stop.is_set():
                        message = ws.poll(1.0)
                        if (
                            message
                            and message.get("type") == "case.changed"
                            and int(message.get("version", 0)) > self.version
                        ):
                            self.fetch_snapshot()
                except (OSError, SocketClosed, ValueError) as exc:
                    self.event("closed", str(exc)[:120] or type(exc).__name__)
                finally:
                    self.open = False
                    ws.close()
            if self.stop.is_set():
                break
            failures += 1
            delay = min(self.RETRY_MAX, self.RETRY_BASE * 2 ** (failures - 1))
            self.stop.wait(delay / 2 + random.random() * delay / 2)  # noqa: S311 (the page's jitter)

    def disconnects(self, start: float, end: float) -> int:
        return sum(1 for e in self.events if start <= e.at < end and e.what == "closed")


# --- probes ---------------------------------------------------------------------------------------


class Probe:
    """/readyz every 2 s and /metrics every 4 s, through nginx (allowed from 127.0.0.1)."""

    def __init__(self, site: Site, recorder: Recorder, metrics_token: str) -> None:
        self.site, self.recorder, self.token = site, recorder, metrics_token
        self.stop = threading.Event()

    def get(self, path: str, headers: dict[str, str]) -> tuple[str, bytes, float]:
        clock = time.monotonic()
        try:
            conn = http.client.HTTPConnection(self.site.host, self.site.port, timeout=CLIENT_TIMEOUT)
            conn.request("GET", path, headers=headers)
            answer = conn.getresponse()
            raw = answer.read()
            conn.close()
            return str(answer.status), raw, (time.monotonic() - clock) * 1000
        except TimeoutError:
            return "timeout", b"", (time.monotonic() - clock) * 1000
        except (OSError, http.client.HTTPException):
            return "connection", b"", (time.monotonic() - clock) * 1000

    def loop(self) -> None:
        while not self.stop.wait(2.0):
            at = now()
            status, raw, ms = self.get("/readyz", {})
            record: dict[str, Any] = {"at": at, "what": "readyz", "status": status, "ms": round(ms)}
            with contextlib.suppress(ValueError):
                data = json.loads(raw)
                record["overall"] = data.get("status")
                record["checks"] = {n: c.get("status") for n, c in data.get("checks", {}).items()}
                record["details"] = {
                    n: c.get("detail", "")[:120]
                    for n, c in data.get("checks", {}).items()
                    if c.get("status") != "ok"
                }
            with self.recorder.lock:
                self.recorder.probes.append(record)

    def metrics_loop(self) -> None:
        """On a thread of its own: a /readyz that takes 20 s does not hold up the scrapes."""
        while not self.stop.wait(4.0):
            at = now()
            status, raw, ms = self.get("/metrics", {"Authorization": f"Bearer {self.token}"})
            values = parse_metrics(raw.decode("utf-8", "replace")) if status == "200" else {}
            with self.recorder.lock:
                self.recorder.probes.append(
                    {"at": at, "what": "metrics", "status": status, "ms": round(ms), "values": values}
                )


def parse_metrics(text: str) -> dict[str, float]:
    """The portal's own gauges, keyed ``name{labels}``."""
    values = {}
    for line in text.splitlines():
        found = _METRIC.match(line.strip())
        if found and "websockets" not in found.group(1):
            name = found.group(1) + (f"{{{found.group(2)}}}" if found.group(2) else "")
            values[name] = float(found.group(3))
    return values


# --- the topology ---------------------------------------------------------------------------------


class Topology:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.state = State(args.state_dir)
        self.env: dict[str, str] = {}
        self.started_here = False
        self.lock = threading.Lock()

    def prod_local(self, command: str) -> int:
        a = self.args
        argv = [PYTHON, str(ROOT / "bench" / "prod_local.py"), command, "--state-dir", str(a.state_dir)]
        argv += ["--port", str(a.port), "--web-port", str(a.web_port), "--redis-port", str(a.redis_port)]
        argv += [
            "--search-port",
            str(a.search_port),
            "--sms-port",
            str(a.sms_port),
            "--smtp-port",
            str(a.smtp_port),
        ]
        argv += ["--database", a.database, "--pg-port", str(a.pg_port)]
        return subprocess.run(argv, cwd=ROOT, check=False).returncode  # noqa: S603 (our own script)

    def pg_ctl(self, action: str) -> None:
        version, name = self.args.pg_cluster.split("/")
        subprocess.run(  # noqa: S603
            ["/usr/bin/pg_ctlcluster", "--skip-systemctl-redirect", version, name, action],
            check=True,
            capture_output=True,
        )

    def start(self) -> None:
        if not port_open(self.args.pg_port):
            print(f"starting PostgreSQL {self.args.pg_cluster} on {self.args.pg_port}")
            self.pg_ctl("start")
        if self.args.url:
            print(f"using the running topology at {self.args.url} (state in {self.args.state_dir})")
        else:
            print(f"starting the topology: {self.args.url_default}, state in {self.args.state_dir}")
            if self.prod_local("start") != 0:
                raise SystemExit("prod_local.py start failed")
            self.started_here = True
        self.env = read_env_file(self.args.state_dir / "env")

    def stop(self) -> None:
        if self.started_here and not self.args.keep:
            self.prod_local("stop")

    def proc(self, name: str) -> Proc:
        for proc in self.state.processes():
            if proc.name == name:
                return proc
        raise KeyError(name)

    def restart(self, name: str) -> Proc:
        with self.lock:
            old = self.proc(name)
            with contextlib.suppress(ChildProcessError):
                os.waitpid(old.pid, os.WNOHANG)  # ours (started again by a drill): not a zombie
            return spawn(self.state, name, old.argv, self.env, old.port)


class Supervisor:
    """compose's ``restart: unless-stopped``: a process of the topology that exits is started again
    (checked every 2 s), except the one a drill has taken away on purpose. Each restart is recorded
    with the last ERROR or CRITICAL line of its log: a crash is a finding even when it heals."""

    def __init__(self, topology: Topology) -> None:
        self.topology = topology
        self.paused: set[str] = set()
        self.restarts: list[dict[str, Any]] = []
        self.stop = threading.Event()

    def loop(self) -> None:
        while not self.stop.wait(2.0):
            with self.topology.lock:
                started = restart_exited(self.topology.state, self.topology.env, skip=self.paused)
            for new, last in started:
                self.restarts.append({"at": now(), "process": new.name, "pid": new.pid, "last_error": last})
                print(
                    f"  supervisor: {new.name} had exited ({last}); started again, pid {new.pid}", flush=True
                )


# --- the drills -----------------------------------------------------------------------------------


@dataclass
class Drill:
    name: str
    take_away: Callable[[], str]
    bring_back: Callable[[], str]
    healthy: Callable[[], bool]
    #: The /readyz check that must say the dependency is down ("" when /readyz has none).
    ready_check: str = ""
    #: Whether citizens' submissions must go on (no errors) while it is away.
    must_not_disturb: bool = True
    extra_outage: Callable[[], str] | None = None  # the SMS drill's second half (timeouts)
    #: The topology's processes the drill takes away (the supervisor leaves them alone meanwhile).
    processes: tuple[str, ...] = ()


@dataclass
class DrillResult:
    name: str
    result: str = "FAIL"
    failures: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    timeline: dict[str, Any] = field(default_factory=dict)
    citizens: dict[str, Any] = field(default_factory=dict)
    requests: dict[str, Any] = field(default_factory=dict)
    readyz: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)
    websockets: dict[str, Any] = field(default_factory=dict)
    logs: dict[str, Any] = field(default_factory=dict)
    checks: dict[str, Any] = field(default_factory=dict)


class Drills:
    def __init__(self, args: argparse.Namespace, topology: Topology) -> None:
        self.args, self.topology = args, topology
        self.recorder = Recorder()
        self.site = Site(args.url or args.url_default, self.recorder)
        self.officers: list[Officer] = []
        self.pages: list[LivePage] = []
        self.citizens: Citizens | None = None
        self.threads: list[threading.Thread] = []
        self.probe: Probe | None = None
        self.results: list[DrillResult] = []
        self.facts: dict[str, Any] = {}
        self.away = False
        self.supervisor = Supervisor(topology)
        self.t_down = 0.0
        #: Events of the officers before this run (a topology used again with --url) are not its own.
        self.run_started = now()

    # setup

    def django(self) -> None:
        env = dict(self.topology.env)
        env.update(DB_POOL="0", LOG_LEVEL="WARNING", LOG_FORMAT="plain")
        for name in list(os.environ):
            if name.startswith(("DJANGO_", "DATABASE_", "REDIS_", "OPENSEARCH_", "ELASTICSEARCH_")):
                os.environ.pop(name)
        os.environ.update(env)
        import django

        django.setup()

    def setup(self) -> None:
        from django.contrib.auth.models import User
        from django.core.management import call_command
        from django.db import connection

        from petitions.models import Category
        from routing.models import Level, Membership, Role, Unit

        categories = list(
            Category.objects.filter(is_active=True, default_level="").order_by("pk").values_list("code", "pk")
        )[:4]
        communes = list(
            Unit.objects.filter(level=Level.COMMUNE, is_active=True)
            .order_by("parent__code", "code")
            .values_list("pk", "code", "parent__code")[: self.args.communes]
        )
        officers = []
        for unit_pk, code, _province in communes:
            user, _created = User.objects.get_or_create(username=f"drill-officer-{code.lower()}")
            user.is_active = True
            user.set_unusable_password()
            user.save()
            Membership.objects.update_or_create(
                user=user, defaults={"unit_id": unit_pk, "role": Role.OFFICER}
            )
            out = io.StringIO()
            call_command("api_token", user.username, stdout=out)
            officers.append(
                {
                    "id": user.pk,
                    "username": user.username,
                    "token": out.getvalue().strip().splitlines()[-1],
                    "unit": code,
                }
            )
        connection.close()
        places: dict[str, Any] = {
            "categories": categories,
            "communes": [(code, province) for _pk, code, province in communes],
            "min_form_seconds": self.topology.env.get("PORTAL_MIN_FORM_SECONDS", "3"),
        }
        self.facts.update(categories=[c for c, _pk in categories], communes=places["communes"])
        self.citizens = Citizens(self.site, self.recorder, self.args, places)
        self.officers = [
            Officer(self.site, self.recorder, info, self.args.officer_every) for info in officers
        ]

        # The watched cases: filed through the API (their token opens the page), one per officer.
        rng = random.Random()  # noqa: S311
        for n in range(self.args.watched):
            officer = self.officers[n % len(self.officers)]
            sub = self.citizens.new("api", rng)
            communes_of: list[tuple[str, str]] = places["communes"]
            commune = next(c for c in communes_of if c[0] == officers[n % len(officers)]["unit"])
            browser = self.site.browser()
            payload = {
                "category": categories[0][0],
                "commune": commune[0],
                "phone": sub.phone,
                "submitter_name": "Lê Văn Theo Dõi",
                "title": sub.title,
                "text": f"Phản ánh được theo dõi trực tiếp ({sub.key}).",
                "language": "vi",
            }
            status, _answer, raw = self.site.timed(
                browser,
                "api",
                "POST api",
                "POST",
                "/api/v1/petitions/",
                json.dumps(payload).encode(),
                {
                    "Content-Type": "application/json",
                    "Idempotency-Key": sub.key,
                    "X-Forwarded-For": sub.address,
                },
            )
            browser.close()
            if status != "201":
                raise SystemExit(f"filing a watched petition answered {status}: {raw[:300]!r}")
            data = json.loads(raw)
            sub.acked_at, sub.code, sub.token = now(), data["tracking_code"], data["token"]
            from petitions.models import Petition

            case_id = Petition.objects.filter(tracking_code=sub.code).values_list("case__pk", flat=True).get()
            connection.close()
            officer.watched.append(case_id)
        for n in range(self.args.sockets):
            watched = [s for s in self.recorder.submissions if s.token][n % self.args.watched]
            officer = self.officers[(n % self.args.watched) % len(self.officers)]
            case_id = officer.watched[(n % self.args.watched) // len(self.officers)]
            page = LivePage(
                self.site, self.recorder, f"page-{n + 1}", case_id, watched.code or "", watched.token or ""
            )
            page.load_page()
            self.pages.append(page)
        token = self.topology.env.get("METRICS_TOKEN", "")
        self.probe = Probe(self.site, self.recorder, token)

    def start_load(self) -> None:
        assert self.citizens is not None and self.probe is not None
        self.threads = [
            *self.citizens.threads(),
            *(threading.Thread(target=o.loop, daemon=True, name=o.name) for o in self.officers),
            *(threading.Thread(target=p.loop, daemon=True, name=p.name) for p in self.pages),
            threading.Thread(target=self.probe.loop, daemon=True, name="probe"),
            threading.Thread(target=self.probe.metrics_loop, daemon=True, name="probe-metrics"),
            *(
                [threading.Thread(target=self.supervisor.loop, daemon=True, name="supervisor")]
                if self.args.supervise and not self.supervised_elsewhere()
                else []
            ),
        ]
        for thread in self.threads:
            thread.start()
        print(
            f"load: ~{self.args.form_rate:g}/s from the form ({self.args.photo_share:.0%} with photos), "
            f"~{self.args.api_rate:g}/s from the API, {len(self.officers)} officers every "
            f"{self.args.officer_every:g} s, {len(self.pages)} live pages on {self.args.watched} cases",
            flush=True,
        )

    def supervised_elsewhere(self) -> bool:
        """A ``prod_local.py run`` restarts this topology's processes: two supervisors would race."""
        pid = supervised(self.topology.state)
        if pid is not None:
            print(
                f"note: `prod_local.py run` (pid {pid}) supervises this topology; its restarts are not recorded here"
            )
        return pid is not None

    def stop_load(self) -> None:
        assert self.citizens is not None and self.probe is not None
        self.citizens.stop.set()
        for o in self.officers:
            o.stop.set()
        # Citizens finish what they started (their retries end at --give-up).
        for thread in self.threads:
            if thread.name.startswith(("drill-officer", "page-", "probe")):
                continue
            if thread.name != "supervisor":
                thread.join(timeout=self.args.give_up + 30)
        for p in self.pages:
            p.stop.set()
        self.probe.stop.set()
        self.supervisor.stop.set()

    # the drills

    def drill_definitions(self) -> dict[str, Drill]:
        t = self.topology
        env = t.env
        stubs = self.args.state_dir / "stubs"
        sms_timeout = float(env.get("SMS_GATEWAY_TIMEOUT", "10"))
        search_url = env.get("OPENSEARCH_URL", f"http://127.0.0.1:{self.args.search_port}")
        alias = env.get("SEARCH_INDEX_ALIAS", "cases")
        redis_password = urlsplit(env.get("REDIS_URL", "")).password or ""

        def stop(name: str) -> Callable[[], str]:
            return lambda: f"{name}: {stop_group(t.proc(name))}"

        def stop_as_compose(name: str) -> Callable[[], str]:
            return lambda: (
                f"{name}: {stop_group(t.proc(name), main_only=True)} (SIGTERM to its main process, as docker stop)"
            )

        def restart(name: str) -> Callable[[], str]:
            return lambda: f"{name}: started again (pid {t.restart(name).pid})"

        def kill_web() -> str:
            proc = t.proc("web-1")
            os.killpg(proc.pid, signal.SIGKILL)
            return f"web-1 (pid {proc.pid}, port {proc.port}): SIGKILL"

        def sms(mode: str) -> Callable[[], str]:
            def apply() -> str:
                path = stubs / SMS_MODE_FILE
                if mode == "ok":
                    path.unlink(missing_ok=True)
                else:
                    path.write_text(mode + "\n")
                return f"SMS gateway stub: {mode}"

            return apply

        def pg(action: str) -> Callable[[], str]:
            def apply() -> str:
                t.pg_ctl(action)
                return f"pg_ctlcluster {self.args.pg_cluster} {action}"

            return apply

        def search_healthy() -> bool:
            status = http_get(f"{search_url}/_cluster/health")
            return status == 200 and http_get(f"{search_url}/_alias/{alias}") == 200

        return {
            "search": Drill(
                "search",
                stop("search-engine"),
                restart("search-engine"),
                search_healthy,
                t_env_engine(env),
                processes=("search-engine",),
            ),
            "redis": Drill(
                "redis",
                stop("redis"),
                restart("redis"),
                lambda: redis_ping(self.args.redis_port, redis_password),
                "redis",
                processes=("redis",),
            ),
            "sms": Drill(
                "sms",
                sms("error"),
                sms("ok"),
                lambda: True,
                extra_outage=sms(f"timeout {sms_timeout + 5:g}"),
            ),
            "worker": Drill(
                "worker",
                stop_as_compose("worker"),
                restart("worker"),
                lambda: worker_ready(env),
                processes=("worker",),
            ),
            "web": Drill(
                "web",
                kill_web,
                restart("web-1"),
                lambda: http_get(f"http://127.0.0.1:{self.args.web_port}/healthz") == 200,
                processes=("web-1",),
            ),
            "postgres": Drill(
                "postgres",
                pg("stop"),
                pg("start"),
                lambda: port_open(self.args.pg_port) and self.ready_check_ok("database"),
                "database",
                must_not_disturb=False,
            ),
        }

    def ready_check_ok(self, name: str) -> bool:
        with self.recorder.lock:
            last = [p for p in self.recorder.probes if p["what"] == "readyz"][-1:]
        return bool(last and last[0].get("checks", {}).get(name) == "ok")

    def run_drill_safely(self, drill: Drill) -> DrillResult:
        """A drill; if it breaks (a bug here, a command that failed), its dependency is brought back."""
        self.away = False
        try:
            return self.run_drill(drill)
        except Exception as exc:
            result = DrillResult(drill.name, failures=[f"the drill itself failed: {exc!r}"])
            if self.away:
                with contextlib.suppress(Exception):
                    result.notes.append(f"brought back: {drill.bring_back()}")
            self.supervisor.paused.difference_update(drill.processes)
            self.print_result(result)
            return result

    def run_drill(self, drill: Drill) -> DrillResult:
        args = self.args
        result = DrillResult(drill.name)
        print(f"\n=== drill: {drill.name} ===", flush=True)
        log_marks = self.log_marks()
        web_pids = {name: self.topology.proc(name).pid for name in ("web-1", "web-2")}
        time.sleep(args.baseline)
        t_out = now()
        self.away = True
        self.supervisor.paused.update(drill.processes)
        result.timeline["taken_away"] = drill.take_away()
        self.t_down = now()  # the command returned: the dependency is away now (pg_ctlcluster stop waits)
        result.timeline["take_away_seconds"] = round(self.t_down - t_out, 1)
        print(f"  {result.timeline['taken_away']}", flush=True)
        time.sleep(args.outage)
        if drill.extra_outage is not None:
            result.timeline["then"] = drill.extra_outage()
            print(f"  {result.timeline['then']}", flush=True)
            time.sleep(args.outage)
        t_back = now()
        result.timeline["brought_back"] = drill.bring_back()
        self.away = False
        self.supervisor.paused.difference_update(drill.processes)
        print(f"  {result.timeline['brought_back']} after {t_back - t_out:.0f} s", flush=True)
        result.timeline["outage_seconds"] = round(t_back - t_out, 1)

        # Recovery: the dependency answers, the pages catch up, the outboxes drain.
        deadline = t_back + args.drain_timeout
        healthy_at = drained_at = pages_at = None
        last_print = 0.0
        backlog: dict[str, int] = {}
        while now() < deadline:
            if healthy_at is None and drill.healthy():
                healthy_at = now()
            if healthy_at is not None:
                backlog = self.backlog(t_back)
                if drained_at is None and not any(backlog.values()):
                    drained_at = now()
                if pages_at is None and self.pages_caught_up():
                    pages_at = now()
            if healthy_at and drained_at and (pages_at or now() - t_back > args.ws_timeout):
                break
            if time.monotonic() - last_print > 30:
                print(
                    f"  +{now() - t_back:4.0f} s: healthy {healthy_at is not None}, backlog {backlog}, "
                    f"pages caught up {pages_at is not None}",
                    flush=True,
                )
                last_print = time.monotonic()
            time.sleep(2)
        # The "after" window: at least 60 s after the return, for latencies and errors.
        time.sleep(max(0.0, t_back + 60 - now()))
        t_end = now()

        def since(moment: float | None) -> float | None:
            return round(moment - t_back, 1) if moment else None

        result.timeline.update(
            healthy_after_s=since(healthy_at),
            drained_after_s=since(drained_at),
            pages_caught_up_after_s=since(pages_at),
        )
        if healthy_at is None:
            result.failures.append(f"{drill.name} did not answer again within {args.drain_timeout:.0f} s")
        if drained_at is None:
            result.failures.append(
                f"the outboxes still held rows written before the return after {args.drain_timeout:.0f} s: {backlog}"
            )
        self.observe(result, drill, t_out, t_back, t_end)
        if drill.name == "postgres":
            now_pids = {name: self.topology.proc(name).pid for name in ("web-1", "web-2")}
            alive = all(self.topology.proc(name).alive() for name in now_pids)
            result.timeline["web_processes_kept"] = now_pids == web_pids and alive
            if now_pids != web_pids or not alive:
                result.failures.append(f"the web processes changed or died: {web_pids} → {now_pids}")
        result.logs = self.log_errors(log_marks)
        for restart in self.supervisor.restarts:
            if t_out <= restart["at"] <= now():
                result.failures.append(
                    f"{restart['process']} exited during the drill and was started again by the supervisor "
                    f"(as compose's restart: unless-stopped does): {restart['last_error']}"
                )
        result.timeline["supervisor_restarts"] = [
            r["process"] for r in self.supervisor.restarts if t_out <= r["at"] <= now()
        ]
        self.verify(result, cutoff=t_back)
        result.result = "FAIL" if result.failures else "PASS"
        self.print_result(result)
        return result

    # observing

    def observe(self, result: DrillResult, drill: Drill, t_out: float, t_back: float, t_end: float) -> None:
        args = self.args
        before, during, after = (t_out - args.baseline, t_out), (t_out, t_back), (t_back, t_end)
        phases = {"before": before, "during": during, "after": after}
        result.requests = {
            phase: summarise(self.recorder.between(*window)) for phase, window in phases.items()
        }
        with self.recorder.lock:
            submissions = list(self.recorder.submissions)
        citizens: dict[str, Any] = {}
        for phase, (start, end) in phases.items():
            started = [s for s in submissions if start <= s.started < end]
            first = collections.Counter(s.answers[0] if s.answers else (s.gave_up or "none") for s in started)
            citizens[phase] = {
                "submissions": len(started),
                "first_answer": dict(first),
                "acknowledged": sum(1 for s in started if s.acked),
                "after_retrying": sum(1 for s in started if s.acked and len(s.answers) > 1),
                "refused": collections.Counter(s.refused for s in started if s.refused).most_common(3),
                "gave_up": collections.Counter(
                    s.gave_up for s in started if s.gave_up and not s.acked
                ).most_common(3),
            }
        result.citizens = citizens
        hung = [
            r
            for r in self.recorder.between(t_out - args.baseline, t_end)
            if r.ms > HANG_SECONDS * 1000 or r.status == "timeout"
        ]
        if hung:
            result.failures.append(
                f"{len(hung)} requests hung (> {HANG_SECONDS:.0f} s), e.g. {hung[0].who} {hung[0].what}: "
                f"{hung[0].status} after {hung[0].ms / 1000:.0f} s"
            )
        during_subs = [s for s in submissions if t_out <= s.started < t_back]
        first_errors = [s for s in during_subs if s.answers and s.answers[0] not in ("200", "201", "302")]
        share = len(first_errors) / len(during_subs) if during_subs else 0.0
        citizens["during"]["first_answer_error_share"] = round(share, 3)
        if drill.must_not_disturb and share > args.max_errors:
            result.failures.append(
                f"{len(first_errors)} of {len(during_subs)} submissions during the outage got an error first "
                f"({share:.0%} > {args.max_errors:.0%})"
            )
        lost = [s for s in submissions if s.started < t_back and not s.acked and not s.refused and s.gave_up]
        if lost:
            result.notes.append(
                f"{len(lost)} citizens gave up after {args.give_up:.0f} s of retries: {lost[0].gave_up}"
            )
        refused = [s for s in submissions if t_out - args.baseline <= s.started < t_end and s.refused]
        if refused:
            result.failures.append(f"{len(refused)} submissions refused (4xx), e.g. {refused[0].refused}")
        if drill.name == "postgres":
            errors = [r for r in self.recorder.between(*during) if r.status not in ("200", "201", "302")]
            slow = [r for r in errors if r.ms > args.quick_error * 1000]
            result.citizens["during"]["error_ms"] = latency([r.ms for r in errors])
            result.citizens["during"]["error_statuses"] = dict(collections.Counter(r.status for r in errors))
            if slow:
                result.failures.append(
                    f"{len(slow)} of {len(errors)} error answers during the database outage took over "
                    f"{args.quick_error:g} s (p50 {percentile([r.ms for r in errors], 0.5) / 1000:.1f} s): "
                    f"not a quick error page"
                )

        # /readyz and /metrics
        with self.recorder.lock:
            probes = [p for p in self.recorder.probes if before[0] <= p["at"] < t_end]
        ready = [p for p in probes if p["what"] == "readyz"]
        metrics = [p for p in probes if p["what"] == "metrics"]
        readyz: dict[str, Any] = {}
        for phase, (start, end) in phases.items():
            items = [p for p in ready if start <= p["at"] < end]
            seen = collections.Counter(
                f"{p['status']} {p.get('overall', '-')}"
                + "".join(f" {n}={s}" for n, s in sorted(p.get("checks", {}).items()) if s != "ok")
                for p in items
            )
            readyz[phase] = {"answers": dict(seen.most_common(5)), "ms": latency([p["ms"] for p in items])}
            details = collections.Counter(f"{n}: {d}" for p in items for n, d in p.get("details", {}).items())
            if details:
                readyz[phase]["details"] = [d for d, _n in details.most_common(3)]
        if drill.ready_check:
            # Probes sent from 2 s after the dependency went until it came back; an answer that is
            # not 200 (503, nginx's 504, none) also tells a load balancer that something is down.
            settled = [p for p in ready if self.t_down + 2 <= p["at"] < t_back]
            told = [
                p
                for p in settled
                if p.get("checks", {}).get(drill.ready_check) not in ("ok", None) or p["status"] != "200"
            ]
            truthful = bool(settled) and len(told) >= 0.8 * len(settled)
            readyz["truthful"] = truthful if settled else "no probe sent and answered within the outage"
            readyz["said_down"] = f"{len(told)} of {len(settled)} probes during the outage"
            # No probe at all: /readyz was too slow to be asked again (failed below on its latency).
            if settled and not truthful:
                result.failures.append(
                    f"/readyz said {drill.ready_check} was down in only {len(told)} of {len(settled)} probes during the outage"
                )
        else:
            readyz["truthful"] = "no check of its own in /readyz"
        during_ms = [p["ms"] for p in ready if t_out <= p["at"] < t_back]
        if during_ms and max(during_ms) > args.quick_error * 1000:
            result.failures.append(
                f"/readyz took up to {max(during_ms) / 1000:.1f} s to answer during the outage (a load "
                f"balancer's health check gives it a few seconds); answers: {readyz['during']['answers']}"
            )
        late = [p for p in ready if p["at"] >= t_end - 10]
        if late and any(p.get("overall") != "ok" for p in late):
            result.failures.append(
                f"/readyz not ok at the end: {late[-1].get('checks')} {late[-1].get('details')}"
            )
        result.readyz = readyz
        peak: dict[str, float] = {}
        for p in metrics:
            if during[0] <= p["at"] < during[1] + 30:
                for name, value in p.get("values", {}).items():
                    if "backlog" in name or "oldest" in name or "failed" in name:
                        peak[name] = max(peak.get(name, 0.0), value)
        statuses = {
            phase: dict(collections.Counter(p["status"] for p in metrics if start <= p["at"] < end))
            for phase, (start, end) in phases.items()
        }
        result.metrics = {
            "statuses": statuses,
            "ms_during": latency([p["ms"] for p in metrics if during[0] <= p["at"] < during[1]]),
            "peak_during": peak,
        }
        if drill.name == "sms":
            shown = peak.get('portal_outbox_backlog{outbox="notifications",state="retrying_later"}', 0)
            result.metrics["told"] = shown > 0
            if not shown:
                result.failures.append(
                    "/metrics never showed notifications waiting to be retried during the SMS outage"
                )
        if drill.name == "worker":
            oldest = max(
                peak.get('portal_outbox_oldest_due_seconds{outbox="notifications"}', 0),
                peak.get('portal_outbox_oldest_due_seconds{outbox="search"}', 0),
            )
            result.metrics["told"] = oldest >= args.outage / 2
            if oldest < args.outage / 2:
                result.failures.append(
                    f"/metrics' oldest due outbox row reached only {oldest:.0f} s while no worker ran"
                )

        # live pages
        pages: dict[str, Any] = {}
        for page in self.pages:
            pages[page.name] = {
                "closed_during": page.disconnects(t_out, t_back + 5),
                "refused": sum(1 for e in page.events if t_out <= e.at < t_end and e.what == "refused"),
                "reconnected_at_s": [
                    round(e.at - t_back, 1) for e in page.events if t_out <= e.at < t_end and e.what == "open"
                ][:6],
                "snapshots": dict(
                    collections.Counter(
                        e.what for e in page.events if t_out <= e.at < t_end and e.what.startswith("snapshot")
                    )
                ),
                "open_now": page.open,
            }
        result.websockets = pages
        if result.timeline.get("pages_caught_up_after_s") is None:
            lagging = self.pages_lagging()
            result.failures.append(
                f"live pages not back and caught up {self.args.ws_timeout:.0f} s after the return: {lagging}"
            )

    def pages_lagging(self) -> dict[str, str]:
        from django.db import connection

        from routing.models import Case

        try:
            versions = dict(
                Case.objects.filter(pk__in=[p.case_id for p in self.pages]).values_list("pk", "version")
            )
        except Exception as exc:  # the database away
            return {"database": type(exc).__name__}
        finally:
            connection.close()
        return {
            p.name: f"open={p.open} page version {p.version}, case version {versions.get(p.case_id)}"
            for p in self.pages
            if not p.open or p.version < versions.get(p.case_id, 0)
        }

    def pages_caught_up(self) -> bool:
        return not self.pages_lagging()

    def backlog(self, cutoff: float) -> dict[str, int]:
        """Outbox rows written before ``cutoff`` and still waiting."""
        from django.db import connection

        from notifications.models import Notification, Status
        from search.models import IndexQueue

        moment = dt.datetime.fromtimestamp(cutoff, dt.UTC)
        try:
            return {
                "notifications": Notification.objects.filter(
                    status__in=[Status.PENDING, Status.SENDING], created_at__lte=moment
                ).count(),
                "search": IndexQueue.objects.filter(requested_at__lte=moment).count(),
            }
        except Exception as exc:  # the database away
            return {type(exc).__name__: 1}
        finally:
            connection.close()

    def log_marks(self) -> dict[str, int]:
        logs = self.args.state_dir / "logs"
        return {path.name: path.stat().st_size for path in logs.glob("*.log")}

    def log_errors(self, marks: dict[str, int]) -> dict[str, Any]:
        """ERROR (and CRITICAL) lines written since ``marks``, per log, with the commonest messages."""
        found: dict[str, Any] = {}
        for path in sorted((self.args.state_dir / "logs").glob("*.log")):
            if path.name.startswith("nginx-access"):
                continue
            with path.open("rb") as log:
                log.seek(marks.get(path.name, 0))
                lines = log.read().decode("utf-8", "replace").splitlines()
            messages: collections.Counter[str] = collections.Counter()
            for line in lines:
                try:
                    record = json.loads(line)
                except ValueError:
                    if path.name == "nginx-error.log" and ("[error]" in line or "[crit]" in line):
                        messages[re.sub(r"^.*?\[(error|crit)\] \d+#\d+: \*\d+ ", "", line)[:110]] += 1
                    continue
                if isinstance(record, dict) and str(record.get("level", "")).upper() in ("ERROR", "CRITICAL"):
                    messages[str(record.get("message", ""))[:110]] += 1
            if messages:
                found[path.stem] = {"errors": sum(messages.values()), "top": messages.most_common(3)}
        return found

    # the end state

    def verify(self, result: DrillResult, cutoff: float) -> None:
        """Everything acknowledged before ``cutoff`` is there once, with its photos, SMS and document."""
        from django.db import connection

        try:
            self._verify(result, cutoff)
        finally:
            connection.close()

    def _verify(self, result: DrillResult, cutoff: float) -> None:
        from notifications.models import Channel, Notification, Status
        from petitions.models import Attachment, Petition
        from petitions.models import Channel as PetitionChannel
        from petitions.services import idempotency_key_stored, normalize_text
        from routing.models import Case, CaseEvent, EventKind

        fail, numbers = result.failures.append, result.checks
        moment = dt.datetime.fromtimestamp(cutoff, dt.UTC)
        with self.recorder.lock:
            acked = [s for s in self.recorder.submissions if s.acked_at is not None and s.acked_at <= cutoff]
        api_keys = {
            idempotency_key_stored(s.key, channel=PetitionChannel.API): s for s in acked if s.kind == "api"
        }
        rows: list[dict[str, Any]] = [
            dict(row)
            for row in Petition.objects.filter(idempotency_key__in=list(api_keys)).values(
                "pk", "idempotency_key", "tracking_code", "case__pk"
            )
        ]
        titles = [normalize_text(s.title) for s in acked if s.kind == "form"]
        by_title: dict[str, list[dict[str, Any]]] = collections.defaultdict(list)
        for start in range(0, len(titles), 1000):
            query = Petition.objects.filter(title__in=titles[start : start + 1000])
            for title_row in query.values("pk", "title", "tracking_code", "case__pk"):
                by_title[title_row["title"].rsplit(" ", 1)[-1]].append(dict(title_row))
        by_key: dict[str, list[dict[str, Any]]] = collections.defaultdict(list)
        for row in rows:
            by_key[row["idempotency_key"]].append(row)

        def found(s: Submission) -> list[dict[str, Any]]:
            if s.kind == "api":
                return by_key.get(idempotency_key_stored(s.key, channel=PetitionChannel.API), [])
            return by_title.get(s.key, [])

        problems: collections.Counter[str] = collections.Counter()
        petition_ids, case_ids = [], []
        for s in acked:
            mine = found(s)
            if not mine:
                problems["acknowledged but no petition"] += 1
                continue
            if len(mine) > 1:
                problems["filed more than once"] += 1
            if s.code and s.code not in {r["tracking_code"] for r in mine}:
                problems["another tracking code than the citizen was shown"] += 1
            if not s.code:
                problems["acknowledged without a tracking code shown (receipt page failed)"] += 1
            for r in mine:
                petition_ids.append(r["pk"])
                if r["case__pk"] is None:
                    problems["no case"] += 1
                else:
                    case_ids.append(r["case__pk"])
        first_events = collections.Counter(
            CaseEvent.objects.filter(case_id__in=case_ids, kind=EventKind.SUBMITTED).values_list(
                "case_id", flat=True
            )
        )
        problems["not exactly one first event"] += sum(1 for c in case_ids if first_events[c] != 1)
        receipts = collections.Counter(
            Notification.objects.filter(
                petition_id__in=petition_ids, template="petition_received", channel=Channel.SMS
            ).values_list("petition_id", flat=True)
        )
        problems["not exactly one receipt SMS"] += sum(1 for p in petition_ids if receipts[p] != 1)

        # Photos: the files on disk, decoded.
        attachments: dict[int, list[Any]] = collections.defaultdict(list)
        form_petitions = {id(s): found(s) for s in acked if s.kind == "form" and s.photos}
        wanted = [r["pk"] for rows_ in form_petitions.values() for r in rows_]
        for attachment in Attachment.objects.filter(petition_id__in=wanted).order_by(
            "petition_id", "position", "pk"
        ):
            attachments[attachment.petition_id or 0].append(attachment)
        photos_ok = 0
        for s in acked:
            if s.kind != "form":
                continue
            mine = found(s)
            if len(mine) != 1:
                continue
            photos_ok += photos_compared(s.photos, attachments.get(mine[0]["pk"], []), problems)
        for what, count in problems.items():
            if count:
                fail(f"{count} acknowledged submissions: {what}")

        # Officer actions: each acknowledged one has its event (same case, kind and resulting
        # version); every event of the drill's officers is one of their actions (an action whose
        # answer was lost, or in flight at the cutoff, may have made one).
        with self.recorder.lock:
            actions = [a for a in self.recorder.actions if a.started <= cutoff]
        acked_actions = {
            (a.case_id, a.name, a.version) for a in actions if a.version is not None and a.at <= cutoff
        }
        uncertain = sum(
            1
            for a in actions
            if a.at > cutoff or a.status in ("connection", "timeout") or a.status.startswith("5")
        )
        officer_ids = [o.user_id for o in self.officers]
        events = set(
            CaseEvent.objects.filter(
                actor_id__in=officer_ids,
                kind__in=["accept", "refer", "agency_replied"],
                created_at__lte=moment,
                created_at__gte=dt.datetime.fromtimestamp(self.run_started, dt.UTC),
            ).values_list("case_id", "kind", "case_version")
        )
        missing = acked_actions - events
        extra = events - acked_actions
        if missing:
            fail(
                f"{len(missing)} officer actions acknowledged without their event, e.g. {sorted(missing)[:3]}"
            )
        if len(extra) > uncertain:
            fail(
                f"{len(extra)} officer events no acknowledged action explains ({uncertain} actions had no "
                f"clear answer), e.g. {sorted(extra)[:3]}"
            )
        numbers["officer_actions_uncertain"] = uncertain

        # Notifications written before the cutoff: all sent, SMS at the gateway once.
        written = Notification.objects.filter(created_at__lte=moment)
        by_status = collections.Counter(written.values_list("status", flat=True))
        if by_status[Status.PENDING] or by_status[Status.SENDING]:
            fail(f"notifications written before the return still waiting: {dict(by_status)}")
        if by_status[Status.FAILED]:
            errors = collections.Counter(
                written.filter(status=Status.FAILED).values_list("last_error", flat=True)
            )
            fail(f"{by_status[Status.FAILED]} notifications failed: {errors.most_common(2)}")
        attempts = collections.Counter(written.values_list("attempts", flat=True))
        sms_refs = {
            f"notification-{pk}"
            for pk in written.filter(channel=Channel.SMS, status=Status.SENT).values_list("pk", flat=True)
        }
        records = read_jsonl(self.args.state_dir / "stubs" / "sms.jsonl")
        prompt: collections.Counter[str] = collections.Counter()
        delayed: collections.Counter[str] = collections.Counter()
        refused_by_stub: collections.Counter[str] = collections.Counter()
        mismatched = 0
        for record in records:
            key = str(record.get("idempotency_key") or "")
            if key != record.get("reference"):
                mismatched += 1
            answered = str(record.get("answered", "200"))
            if answered == "200":
                prompt[key] += 1
            elif answered.startswith("200 after"):
                delayed[key] += 1
            else:
                refused_by_stub[key] += 1
        never = [ref for ref in sms_refs if not prompt[ref] and not delayed[ref]]
        twice = [ref for ref in sms_refs if prompt[ref] > 1]
        resent = [ref for ref in sms_refs if delayed[ref] and prompt[ref] + delayed[ref] > 1]
        if never:
            fail(f"{len(never)} SMS marked sent never reached the gateway, e.g. {sorted(never)[:3]}")
        if twice:
            fail(
                f"{len(twice)} SMS accepted twice by the gateway for one Idempotency-Key, e.g. {sorted(twice)[:3]}"
            )
        if mismatched:
            fail(f"{mismatched} gateway requests whose Idempotency-Key was not the notification's reference")
        if resent:
            result.notes.append(
                f"{len(resent)} SMS sent again after an attempt that timed out (the gateway had taken it): "
                "same Idempotency-Key, so a gateway honouring it sends it once"
            )
        numbers.update(
            submissions_acknowledged=len(acked),
            photos_verified=photos_ok,
            officer_actions_acknowledged=len(acked_actions),
            notifications=dict(by_status),
            notification_attempts={str(k): v for k, v in sorted(attempts.items())},
            sms_checked=len(sms_refs),
            sms_resent_after_timeout=len(resent),
            gateway_refused=sum(refused_by_stub.values()),
        )

        # The search engine, asked directly.
        env = self.topology.env
        search_url = env.get("OPENSEARCH_URL", f"http://127.0.0.1:{self.args.search_port}")
        alias = env.get("SEARCH_INDEX_ALIAS", "cases")
        http_post(f"{search_url}/{alias}/_refresh", {})
        states = dict(Case.objects.filter(pk__in=case_ids).values_list("pk", "state"))
        unchanged = set(
            Case.objects.filter(pk__in=case_ids, updated_at__lte=moment).values_list("pk", flat=True)
        )
        indexed: dict[int, str] = {}
        for start in range(0, len(case_ids), 1000):
            chunk = case_ids[start : start + 1000]
            answer = http_post(
                f"{search_url}/{alias}/_search",
                {
                    "query": {"ids": {"values": [str(c) for c in chunk]}},
                    "_source": ["state"],
                    "size": len(chunk),
                },
            )
            if answer is None:
                fail("the search engine did not answer the check's query")
                break
            for hit in answer.get("hits", {}).get("hits", []):
                indexed[int(hit["_id"])] = hit["_source"].get("state", "")
        absent = [c for c in case_ids if c not in indexed]
        stale = [c for c in case_ids if c in indexed and c in unchanged and indexed[c] != states.get(c)]
        if absent:
            fail(f"{len(absent)} acknowledged cases have no document in the search engine, e.g. {absent[:3]}")
        if stale:
            fail(f"{len(stale)} documents in another state than their case, e.g. {stale[:3]}")
        numbers["documents_checked"] = len(indexed)

    # the report

    def print_result(self, r: DrillResult) -> None:
        print(f"--- {r.name}: {r.result}")
        print(f"  timeline: {json.dumps(r.timeline, ensure_ascii=False)}")
        for phase in ("before", "during", "after") if "before" in r.citizens else ():
            c = r.citizens.get(phase, {})
            print(
                f"  citizens {phase}: {c.get('submissions')} started, first answers {c.get('first_answer')}, "
                f"{c.get('acknowledged')} acknowledged ({c.get('after_retrying')} after retrying)"
            )
        for phase in ("before", "during", "after") if r.requests else ():
            steps = r.requests.get(phase, {})
            short = {
                step: f"{v['statuses']} p50 {v['ms'].get('p50')} p99 {v['ms'].get('p99')} max {v['ms'].get('max')} ms"
                for step, v in steps.items()
                if step.split(": ")[1]
                in ("POST form", "POST api", "accept", "refer", "agency_replied", "GET snapshot")
            }
            print(f"  requests {phase}: {json.dumps(short, ensure_ascii=False)}")
            errors = {step: v["errors"] for step, v in steps.items() if "errors" in v}
            if errors:
                print(f"    errors seen: {json.dumps(errors, ensure_ascii=False)[:600]}")
        if r.readyz:
            print(f"  /readyz: {json.dumps(r.readyz, ensure_ascii=False)[:900]}")
        if r.metrics:
            print(f"  /metrics: {json.dumps(r.metrics, ensure_ascii=False)[:900]}")
        if r.websockets:
            print(f"  live pages: {json.dumps(r.websockets)[:700]}")
        if r.logs:
            print(f"  log errors: {json.dumps(r.logs, ensure_ascii=False)[:600]}")
        print(f"  checks: {json.dumps(r.checks)}")
        for note in r.notes:
            print(f"  note: {note}")
        for failure in r.failures:
            print(f"  FAILED: {failure}")
        sys.stdout.flush()

    def final(self) -> DrillResult:
        """The load stopped, every outbox empty: the whole run's end state."""
        result = DrillResult("final")
        print("\n=== final: load stopped, waiting for the outboxes to empty ===", flush=True)
        started = now()
        while now() - started < self.args.drain_timeout:
            if not any(self.backlog(now()).values()):
                break
            time.sleep(3)
        result.timeline["drained_after_s"] = round(now() - started, 1)
        result.timeline["supervisor_restarts"] = self.supervisor.restarts
        self.verify(result, cutoff=now())
        with self.recorder.lock:
            subs = list(self.recorder.submissions)
        result.citizens = {
            "submissions": len(subs),
            "acknowledged": sum(1 for s in subs if s.acked),
            "form": sum(1 for s in subs if s.kind == "form" and s.acked),
            "api": sum(1 for s in subs if s.kind == "api" and s.acked),
            "with_photos": sum(1 for s in subs if s.photos and s.acked),
            "gave_up": sum(1 for s in subs if not s.acked and s.gave_up),
            "refused": sum(1 for s in subs if s.refused),
        }
        result.result = "FAIL" if result.failures else "PASS"
        self.print_result(result)
        print(f"  all: {result.citizens}")
        return result


def t_env_engine(env: dict[str, str]) -> str:
    """The name of the search engine's check in /readyz (``SEARCH_ENGINE``)."""
    return "opensearch" if env.get("OPENSEARCH_URL") else "elasticsearch"


def http_get(url: str, timeout: float = 3.0) -> int | None:
    parts = urlsplit(url)
    try:
        conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port or 80, timeout=timeout)
        conn.request("GET", parts.path + (f"?{parts.query}" if parts.query else ""))
        status = conn.getresponse().status
        conn.close()
        return status
    except (OSError, http.client.HTTPException):
        return None


def http_post(url: str, body: dict[str, Any], timeout: float = 30.0) -> dict[str, Any] | None:
    parts = urlsplit(url)
    try:
        conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port or 80, timeout=timeout)
        conn.request("POST", parts.path, body=json.dumps(body), headers={"Content-Type": "application/json"})
        answer = conn.getresponse()
        raw = answer.read()
        conn.close()
        data: dict[str, Any] = json.loads(raw) if answer.status == 200 else {}
        return data if answer.status == 200 else None
    except (OSError, http.client.HTTPException, ValueError):
        return None


def busy() -> list[str]:
    """Benchmarks of others that this run must not disturb."""
    found = []
    for pattern in ("backoffice_scale.py", "bash .ci/run"):
        done = subprocess.run(["/usr/bin/pgrep", "-f", pattern], capture_output=True, text=True, check=False)  # noqa: S603
        if done.stdout.strip():
            found.append(pattern)
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument(
        "--only", default=",".join(DRILLS), help=f"drills to run, in order (default {','.join(DRILLS)})"
    )
    parser.add_argument(
        "--outage", type=float, default=30, help="seconds each dependency is away (default 30; try 60)"
    )
    parser.add_argument(
        "--baseline", type=float, default=20, help="seconds of load before each outage (default 20)"
    )
    parser.add_argument(
        "--drain-timeout", type=float, default=600, help="seconds for the recovery (default 600)"
    )
    parser.add_argument(
        "--ws-timeout", type=float, default=120, help="seconds for the live pages to catch up (120)"
    )
    parser.add_argument(
        "--give-up", type=float, default=240, help="seconds a citizen keeps retrying (default 240)"
    )
    parser.add_argument(
        "--max-errors", type=float, default=0.05, help="share of first answers that may be errors (0.05)"
    )
    parser.add_argument(
        "--form-rate", type=float, default=1.0, help="form submissions per second (default 1)"
    )
    parser.add_argument("--api-rate", type=float, default=2.0, help="API submissions per second (default 2)")
    parser.add_argument("--photo-share", type=float, default=0.3, help="form submissions with photos (0.3)")
    parser.add_argument(
        "--officer-every", type=float, default=5.0, help="seconds between an officer's actions (5)"
    )
    parser.add_argument(
        "--communes", type=int, default=2, help="communes the load files in, one officer each (2)"
    )
    parser.add_argument("--watched", type=int, default=2, help="cases watched by live pages (default 2)")
    parser.add_argument("--sockets", type=int, default=4, help="live pages (WebSocket clients) (default 4)")
    parser.add_argument("--url", help="a topology already running (its --state-dir); not started nor stopped")
    parser.add_argument("--keep", action="store_true", help="leave the topology running at the end")
    parser.add_argument("--state-dir", type=Path, default=DEFAULT_STATE_DIR, help="default var/prod-drills")
    parser.add_argument("--port", type=int, default=8180, help="nginx (default 8180)")
    parser.add_argument("--web-port", type=int, default=8161, help="the replicas: PORT and PORT+1 (8161)")
    parser.add_argument("--redis-port", type=int, default=6391)
    parser.add_argument("--search-port", type=int, default=9251)
    parser.add_argument("--sms-port", type=int, default=8191)
    parser.add_argument("--smtp-port", type=int, default=8125)
    parser.add_argument("--database", default="petitions_prod_drills")
    parser.add_argument("--pg-port", type=int, default=5434, help="the drills' own PostgreSQL cluster (5434)")
    parser.add_argument(
        "--pg-cluster", default="15/drills", help="its pg_ctlcluster name (default 15/drills)"
    )
    parser.add_argument(
        "--quick-error",
        type=float,
        default=5.0,
        help="seconds within which an error page (database down) or /readyz must answer (5)",
    )
    parser.add_argument(
        "--no-supervise",
        dest="supervise",
        action="store_false",
        help="do not start a process that exited again (compose's restart: unless-stopped does)",
    )
    parser.add_argument("--json", type=Path, help="write everything recorded here")
    parser.add_argument(
        "--wait-quiet",
        type=float,
        default=1200,
        help="wait up to this many seconds while other benchmarks (backoffice_scale.py, .ci/run) run (1200)",
    )
    args = parser.parse_args(argv)
    args.state_dir = args.state_dir.resolve()
    args.url_default = f"http://127.0.0.1:{args.port}"
    chosen = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = [name for name in chosen if name not in DRILLS]
    if unknown:
        parser.error(f"unknown drills {unknown}; choose from {', '.join(DRILLS)}")
    if args.pg_port == 5432 and "postgres" in chosen:
        parser.error("the postgres drill stops the cluster: give it one of its own (--pg-port, --pg-cluster)")
    waited = time.monotonic()
    while (others := busy()) and time.monotonic() - waited < args.wait_quiet:
        print(f"waiting for {others} to finish ({time.monotonic() - waited:.0f} s)", flush=True)
        time.sleep(30)
    if others:
        print(f"note: running alongside {others} after waiting {args.wait_quiet:.0f} s", flush=True)

    topology = Topology(args)
    drills = Drills(args, topology)
    started = now()
    report: dict[str, Any] = {"started": dt.datetime.now(dt.UTC).isoformat(), "arguments": {}}
    try:
        topology.start()
        drills.django()
        drills.setup()
        drills.start_load()
        definitions = drills.drill_definitions()
        for name in chosen:
            drills.results.append(drills.run_drill_safely(definitions[name]))
        drills.stop_load()
        drills.results.append(drills.final())
    finally:
        with contextlib.suppress(Exception):
            drills.stop_load()
        topology.stop()
    print("\n=== summary ===")
    for r in drills.results:
        print(f"{r.result:4}  {r.name:<9} {'; '.join(r.failures)[:300]}")
    passed = all(r.result == "PASS" for r in drills.results)
    print(f"{'PASS' if passed else 'FAIL'} in {now() - started:.0f} s")
    if args.json:
        report["arguments"] = {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()}
        report["results"] = [asdict(r) for r in drills.results]
        report["facts"] = drills.facts
        args.json.write_text(json.dumps(report, indent=2, ensure_ascii=False, default=str) + "\n")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
