"""Crash test: kill -9 the web process and the worker during a sustained submission load; PASS or FAIL.

    .venv/bin/python bench/crash.py [--duration 45] [--kills 6] [--rate 12] [--portal-share 0.3]
        [--portal-hangups 0] [--json out.json]

What it runs, all on this machine and all its own:

- a PostgreSQL database (``--database-url``, default ``petitions_bench_crash``; dropped and
  created, migrated, ``load_units``; dropped at the end unless ``--keep-db``); the name must
  contain ``bench`` so that nobody's real database is ever dropped;
- Redis database 9 (``--redis-url``) as cache, channel layer and Celery broker; ``FLUSHDB`` of
  that database only, before and after (database 0 is refused);
- the project's search engine, OpenSearch in one JVM (``search.engine.launch``, ``--engine-heap``,
  default 512m, data in the run's directory), behind the index alias ``bench-crash``, so that
  the search outbox (``search.IndexQueue``) is exercised too; ``--search database`` uses the
  database backend instead (then nothing is queued);
- an SMS gateway stub (an HTTP server in this process) that the HTTP gateway transport
  (``HttpGatewaySmsBackend``) posts to; it records every delivery with its ``Idempotency-Key``;
- daphne serving the project (``DJANGO_DEBUG=0``, rate limits raised, the form's minimum fill-in
  time 0, ``collectstatic`` into the run's directory, photos under the run's own
  ``DJANGO_PRIVATE_MEDIA_ROOT``) and a Celery worker
  (``--pool solo``, ``JOBS_BACKEND=celery``), each in a process group of its own. This script
  plays Celery beat: it queues both drains every 30 s (every 5 s once the load has stopped).

Then for ``--duration`` seconds ``--concurrency`` client threads file petitions at about ``--rate``
per second. Most go through ``POST /api/v1/petitions/``, each with an ``Idempotency-Key`` of its
own; a request whose connection failed (refused, reset, no answer) is sent again with the same
key and body until it is answered. A ``--portal-share`` of them go through the citizen portal's
form as a browser without JavaScript fills it in: GET ``/submit/`` (CSRF cookie and token, the
signed start stamp), POST it as multipart with the honeypot left empty and 1-3 photos in its
file field (generated with Pillow: JPEG, PNG, and RGBA PNG that the portal keeps as PNG; four
solid quadrants whose colours spell a code of each photo's own, which survives re-encoding),
follow the 302 to the receipt page and read the tracking code there. A form POST that got no
answer is sent again as it was, as a reload resends it: same body, same cookies. The form's
signed stamp carries a key of its own (the petition's idempotency key), so a form whose petition
was committed but whose answer was lost must get the same petition back:
``--portal-hangups N`` makes N portal clients hang up right after sending the form and send it
again, to exercise exactly that window (before the key, it filed twice every time).

Meanwhile a chaos thread sends SIGKILL to the web's or the worker's process group ``--kills``
times at random moments and starts it again 0.3–2 s later.

Afterwards it waits for both outboxes to drain (a row a killed worker had claimed waits for its
lease to expire, 5 minutes; ``--lease-seconds`` shortens the lease in the worker for quicker
runs) and checks:

1. every submission answered 201 or 200 (API) or 302 (form) has its petition (same tracking
   code), case and first event, and its receipt notification;
2. nothing was filed twice: no idempotency key produced two petitions, no form two (found by
   their titles, unique to each submission); petitions = successful submissions, and no
   petition exists for a submission that failed or that no client sent;
3. no request ended with a client error (4xx) or unanswered;
4. every successful form's petition has exactly its photos, in order: both files exist in the
   media storage, the photo decodes with the dimensions sent, in the format the re-encoding
   gives, its colours spell its own code (for the RGBA PNGs the pixels hash the same), the
   thumbnail decodes; no API petition has photos. Photos staged without a petition must come
   from a form POST that was cut off (staging commits before the petition's transaction); they
   are reported, then removed by ``attachments_purge_stale`` as if a day had passed, files
   included. Photo files without a row (a kill between writing the files and the row) are
   reported;
5. the notification outbox has no pending or sending row and no failed one;
6. the gateway received every notification at least once, always with the notification's own
   reference as ``Idempotency-Key``; repeats (a worker killed between sending and recording: the
   at-least-once case the key is for) are reported, not failed;
7. the search outbox is empty and the index holds one document per case.

Exit status 0 on PASS, 1 on FAIL; ``--json`` writes the report.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import datetime as dt
import hashlib
import html
import http.client
import http.cookies
import io
import json
import os
import random
import re
import secrets
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BIN = ROOT / ".venv" / "bin"
PYTHON = str(BIN / "python")

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/petitions_bench_crash"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/9"
INDEX_ALIAS = "bench-crash"
#: The longer of the outboxes' leases (notifications.sending.LEASE, search.outbox.LEASE) when not shortened.
REAL_LEASE_SECONDS = 300.0
#: Valid Vietnamese mobile prefixes for the generated phone numbers.
PHONE_PREFIXES = ("090", "091", "093", "094", "096", "097", "098")

#: Starts the worker with a shorter outbox lease (``--lease-seconds``); the code is unchanged.
WORKER_SHIM = """
import datetime, sys
import django
django.setup()
import notifications.sending, search.outbox
lease = datetime.timedelta(seconds=float(sys.argv[1]))
notifications.sending.LEASE = search.outbox.LEASE = lease
from config.celery import app
app.worker_main(["worker", *sys.argv[2:]])
"""


# --- the SMS gateway stub ------------------------------------------------------------------------


class Gateway:
    """Accepts every SMS and records (Idempotency-Key header, reference in the body)."""

    def __init__(self, latency: float = 0.0) -> None:
        self.latency = latency
        self.lock = threading.Lock()
        self.received: list[tuple[str, str]] = []
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                try:
                    payload = json.loads(self.rfile.read(length) or b"{}")
                except ValueError:
                    payload = {}
                # A real gateway takes a while to answer: the worker is then often killed mid-batch.
                time.sleep(gateway.latency)
                with gateway.lock:
                    gateway.received.append(
                        (self.headers.get("Idempotency-Key") or "", str(payload.get("reference", "")))
                    )
                body = b'{"status": "accepted"}'
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                # A worker killed while waiting for the answer: the message was received all the same.
                with contextlib.suppress(OSError):
                    self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/sms"
        self.thread = threading.Thread(target=self.server.serve_forever, name="gateway", daemon=True)
        self.thread.start()

    def snapshot(self) -> list[tuple[str, str]]:
        with self.lock:
            return list(self.received)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


# --- processes -------------------------------------------------------------------------------------


class Service:
    """A subprocess in a process group of its own, so that kill -9 takes its children too."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], log: Path) -> None:
        self.name, self.argv, self.env, self.log = name, argv, env, log
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0
        self.kills = 0
        self.lock = threading.Lock()

    def start(self) -> None:
        with self.lock:
            with self.log.open("ab") as out:
                out.write(f"\n--- start {self.starts + 1} at {time.strftime('%H:%M:%S')} ---\n".encode())
                out.flush()
                self.proc = subprocess.Popen(  # noqa: S603 (our own programs)
                    self.argv,
                    cwd=ROOT,
                    env=self.env,
                    stdin=subprocess.DEVNULL,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            self.starts += 1

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self) -> int | None:
        """SIGKILL to the whole group (the process and anything it started); returns the pid."""
        with self.lock:
            if self.proc is None:
                return None
            pid = self.proc.pid
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)
            self.proc.wait()
            self.kills += 1
            return pid

    def stop(self) -> None:
        with self.lock:
            if self.proc is None:
                return
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
            self.proc = None


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def http_get(port: int, path: str, timeout: float = 2.0) -> int | None:
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        conn.request("GET", path)
        status = conn.getresponse().status
        conn.close()
        return status
    except (OSError, http.client.HTTPException):
        return None


def wait_until(check: Callable[[], bool], timeout: float, step: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(step)
    return check()


# --- database and Redis ----------------------------------------------------------------------------


def database_name(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("postgres", "postgresql"):
        raise SystemExit("--database-url must be a PostgreSQL URL")
    name = parts.path.lstrip("/")
    if "bench" not in name:
        raise SystemExit(f"refusing to drop and create {name!r}: the database name must contain 'bench'")
    return name


def _admin_url(url: str) -> str:
    return urlsplit(url)._replace(path="/postgres").geturl()


def recreate_database(url: str) -> None:
    import psycopg
    from psycopg import sql

    name = database_name(url)
    with psycopg.connect(_admin_url(url), autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def drop_database(url: str) -> None:
    import psycopg
    from psycopg import sql

    name = database_name(url)
    with psycopg.connect(_admin_url(url), autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def flush_redis(url: str) -> None:
    import redis

    client = redis.Redis.from_url(url)
    try:
        db = int(client.connection_pool.connection_kwargs.get("db") or 0)
        if db == 0:
            raise SystemExit("refusing to flush Redis database 0: give --redis-url a database of its own")
        client.flushdb()  # this database only, never FLUSHALL
    finally:
        client.close()


# --- photos ----------------------------------------------------------------------------------------

#: Bits per colour channel in a photo's quadrants: 4 quadrants x 3 channels x 3 bits = a 36-bit code.
CODE_BITS = 3
CODE_LEVELS = 1 << CODE_BITS
CODE_STEP = 256 // CODE_LEVELS
#: Alpha of the see-through border of the RGBA photos (kept as PNG, pixel for pixel).
BORDER_ALPHA = 128


@dataclass
class Photo:
    """A generated photo: four solid quadrants whose colours spell ``code``, so that it survives JPEG."""

    code: int
    kind: str  # "jpeg", "png" (RGB: stored as a JPEG) or "png-alpha" (RGBA: stored as a PNG)
    width: int
    height: int
    size: int = 0
    #: SHA-256 of the RGBA pixels: a photo stored losslessly (png-alpha) must have the same.
    pixels_sha256: str = ""
    content: bytes = field(default=b"", repr=False)

    @property
    def filename(self) -> str:
        return f"photo-{self.code:09x}.{'jpg' if self.kind == 'jpeg' else 'png'}"

    @property
    def content_type(self) -> str:
        return "image/jpeg" if self.kind == "jpeg" else "image/png"

    @property
    def stored_content_type(self) -> str:
        return "image/png" if self.kind == "png-alpha" else "image/jpeg"


def code_colours(code: int) -> list[tuple[int, int, int]]:
    """The quadrants' colours (top left, top right, bottom left, bottom right) that spell ``code``."""
    colours = []
    for quadrant in range(4):
        levels = [
            (code >> (CODE_BITS * (3 * quadrant + channel))) & (CODE_LEVELS - 1) for channel in range(3)
        ]
        red, green, blue = (CODE_STEP // 2 + CODE_STEP * level for level in levels)
        colours.append((red, green, blue))
    return colours


def _quadrants(width: int, height: int) -> list[tuple[int, int, int, int]]:
    half_w, half_h = width // 2, height // 2
    return [
        (0, 0, half_w, half_h),
        (half_w, 0, width, half_h),
        (0, half_h, half_w, height),
        (half_w, half_h, width, height),
    ]


def make_photo(code: int, kind: str, rng: random.Random) -> Photo:
    from PIL import Image, ImageDraw

    width, height = rng.randrange(96, 360), rng.randrange(72, 280)
    image = Image.new("RGBA" if kind == "png-alpha" else "RGB", (width, height))
    draw = ImageDraw.Draw(image)
    for box, colour in zip(_quadrants(width, height), code_colours(code), strict=True):
        draw.rectangle((box[0], box[1], box[2] - 1, box[3] - 1), fill=colour)
    if kind == "png-alpha":
        alpha = Image.new("L", image.size, BORDER_ALPHA)
        alpha.paste(255, (3, 3, width - 3, height - 3))
        image.putalpha(alpha)
    buffer = io.BytesIO()
    if kind == "jpeg":
        image.save(buffer, "JPEG", quality=92)
    else:
        image.save(buffer, "PNG")
    content = buffer.getvalue()
    pixels = hashlib.sha256(image.convert("RGBA").tobytes()).hexdigest()
    return Photo(code, kind, width, height, len(content), pixels, content)


def read_code(image: Any) -> int | None:
    """The code a (decoded, possibly re-encoded) photo spells; None when a quadrant is no clear colour."""
    from PIL import ImageStat

    rgb = image.convert("RGB")
    code = 0
    for quadrant, (left, top, right, bottom) in enumerate(_quadrants(*rgb.size)):
        # The middle of the quadrant: JPEG blurs colours across the edges between quadrants.
        inset_x, inset_y = (right - left) // 4, (bottom - top) // 4
        crop = rgb.crop((left + inset_x, top + inset_y, right - inset_x, bottom - inset_y))
        for channel, mean in enumerate(ImageStat.Stat(crop).mean):
            level = round((mean - CODE_STEP // 2) / CODE_STEP)
            if (
                not 0 <= level < CODE_LEVELS
                or abs(mean - (CODE_STEP // 2 + CODE_STEP * level)) > CODE_STEP / 4
            ):
                return None
            code |= level << (CODE_BITS * (3 * quadrant + channel))
    return code


def multipart(fields: list[tuple[str, str]], files: list[tuple[str, Photo]]) -> tuple[bytes, str]:
    """A multipart/form-data body as a browser sends it, and its Content-Type."""
    boundary = f"----crashbench{secrets.token_hex(12)}"
    parts: list[bytes] = []
    for name, value in fields:
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        )
    for name, photo in files:
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{photo.filename}"\r\n'
            f"Content-Type: {photo.content_type}\r\n\r\n"
        )
        parts.append(head.encode() + photo.content + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


# --- a browser, for the portal's form --------------------------------------------------------------


class Browser:
    """One citizen's browser: a cookie jar (the cookies are sent over plain HTTP, Secure or not)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}

    def exchange(
        self, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None
    ) -> tuple[int, http.client.HTTPResponse, bytes]:
        """One request on a fresh connection; raises OSError or HTTPException when it gets no answer."""
        sent = dict(headers or {})
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=20)
        try:
            conn.request(method, path, body=body, headers=sent)
            response = conn.getresponse()
            raw = response.read()
        finally:
            conn.close()
        for header in response.msg.get_all("Set-Cookie") or []:
            jar = http.cookies.SimpleCookie()
            jar.load(header)
            for name, morsel in jar.items():
                if morsel["max-age"] == "0" or not morsel.value:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        return response.status, response, raw

    def send_and_hang_up(self, path: str, body: bytes, headers: dict[str, str], after: float) -> None:
        """Send a POST and close the connection ``after`` seconds later without reading the answer."""
        sent = dict(headers)
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=20)
        try:
            conn.request("POST", path, body=body, headers=sent)
            time.sleep(after)
        finally:
            conn.close()


# --- the load --------------------------------------------------------------------------------------


@dataclass
class Submission:
    key: str  # the Idempotency-Key (API); for the portal, a name of the bench's own
    body: dict[str, Any]
    kind: str = "api"  # "api": POST /api/v1/petitions/; "portal": the citizen's form with photos
    photos: list[Photo] = field(default_factory=list)
    attempts: int = 0
    #: Every answer to the submission itself, in order: an HTTP status, or "connection" when the
    #: request got none. For the portal, the form's POST (302 is its success).
    answers: list[int | str] = field(default_factory=list)
    status: int | None = None  # the final answer: 200/201/302 success, 4xx client error
    tracking_code: str | None = None
    created: bool | None = None
    error: str = ""
    #: Portal: GETs of the form page and of the receipt page sent again after getting no answer.
    page_retries: int = 0
    #: Portal (``--portal-hangups``): the first POST is abandoned by the client, as by a phone
    #: losing its signal, and the form is sent again.
    hang_up: bool = False

    @property
    def lost_an_answer(self) -> bool:
        return any(answer in LOST_ANSWERS for answer in self.answers)

    @property
    def succeeded(self) -> bool:
        return self.status in (200, 201, 302)

    @property
    def title(self) -> str:
        return str(self.body["title"])


#: Answers recorded for a request that got none: the connection failed, or the client hung up.
LOST_ANSWERS = ("connection", "hung up")
#: Kinds of generated photos, drawn in turn for the portal's submissions.
PHOTO_KINDS = ("jpeg", "png", "jpeg", "png-alpha")
_CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
_STARTED_INPUT = re.compile(r'name="started" value="([^"]+)"|value="([^"]+)" name="started"')
_TRACKING_CODE = re.compile(r'id="tracking-code">\s*([^<\s]+)\s*<')
_ERROR_MESSAGE = re.compile(r'class="error-message"[^>]*>(.*?)</', re.S)


class Load:
    def __init__(
        self,
        port: int,
        categories: list[tuple[str, int]],
        communes: list[tuple[str, str]],
        rate: float,
        concurrency: int,
        portal_share: float,
        portal_hangups: int = 0,
    ) -> None:
        self.port = port
        self.categories = categories  # (code, pk): the API takes the code, the form the pk
        self.communes = communes  # (commune code, province code)
        self.interval = concurrency / rate if rate > 0 else 0.0
        self.concurrency = concurrency
        self.portal_share = portal_share
        self.hangups_left = portal_hangups
        self.portal_count = 0
        self.submissions: list[Submission] = []
        self.lock = threading.Lock()
        self.stop_filing = threading.Event()
        self.give_up_at = float("inf")
        self.counter = 0
        self.photo_codes: set[int] = set()

    def new_submission(self, rng: random.Random) -> Submission:
        with self.lock:
            self.counter += 1
            n = self.counter
        phone = rng.choice(PHONE_PREFIXES) + "".join(rng.choice("0123456789") for _ in range(7))
        portal = rng.random() < self.portal_share
        category_code, category_pk = rng.choice(self.categories)
        commune, province = rng.choice(self.communes)
        body: dict[str, Any] = {
            "category": category_pk if portal else category_code,
            "commune": commune,
            "phone": phone,
            "submitter_name": "Nguyễn Văn Thử",
            # The number makes every title unique: how the checks find a portal petition.
            "title": f"Kiểm thử sự cố số {n}: đèn đường hỏng",
            "text": f"Đèn đường trước nhà số {n} hỏng nhiều ngày, buổi tối đi lại rất nguy hiểm.",
        }
        if portal:
            body["province"] = province
            photos = [self.new_photo(rng, n + i) for i in range(rng.randint(1, 3))]
            submission = Submission(key=f"portal-{n}", body=body, kind="portal", photos=photos)
            with self.lock:
                self.portal_count += 1
                # Every fifth portal submission until there were enough, so they are spread out.
                if self.hangups_left and self.portal_count % 5 == 0:
                    self.hangups_left -= 1
                    submission.hang_up = True
        else:
            body["language"] = "vi"
            submission = Submission(key=f"crash-{uuid.uuid4()}", body=body)
        with self.lock:
            self.submissions.append(submission)
        return submission

    def new_photo(self, rng: random.Random, turn: int) -> Photo:
        while True:
            code = rng.getrandbits(CODE_BITS * 12)
            with self.lock:
                if code not in self.photo_codes:
                    self.photo_codes.add(code)
                    break
        return make_photo(code, PHOTO_KINDS[turn % len(PHOTO_KINDS)], rng)

    def should_give_up(self, submission: Submission, why: str) -> bool:
        if time.monotonic() > self.give_up_at:
            submission.error = why
            return True
        return False

    def post(self, submission: Submission) -> None:
        """Send until answered: the same key and body again after a connection failure."""
        payload = json.dumps(submission.body).encode()
        while True:
            submission.attempts += 1
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=20)
                conn.request(
                    "POST",
                    "/api/v1/petitions/",
                    body=payload,
                    headers={"Content-Type": "application/json", "Idempotency-Key": submission.key},
                )
                response = conn.getresponse()
                raw = response.read()
                conn.close()
            except (OSError, http.client.HTTPException):
                submission.answers.append("connection")
                if self.should_give_up(submission, "no answer before giving up"):
                    return
                time.sleep(0.3)
                continue
            submission.answers.append(response.status)
            if response.status in (200, 201):
                data = json.loads(raw)
                submission.status = response.status
                submission.tracking_code = data.get("tracking_code")
                submission.created = data.get("created")
                return
            if response.status == 429 or response.status >= 500:
                if self.should_give_up(submission, f"still {response.status} when giving up"):
                    return
                time.sleep(float(response.getheader("Retry-After") or 1) if response.status == 429 else 0.5)
                continue
            submission.status = response.status
            submission.error = raw.decode(errors="replace")[:300]
            return

    def get_page(self, submission: Submission, browser: Browser, path: str) -> str | None:
        """GET a page until it is answered 200, as a person reloads it; None when giving up."""
        while True:
            try:
                status, _response, raw = browser.exchange("GET", path)
            except (OSError, http.client.HTTPException):
                status, raw = 0, b""
            if status == 200:
                return raw.decode(errors="replace")
            submission.page_retries += 1
            if self.should_give_up(submission, f"{path}: still {status or 'no answer'} when giving up"):
                return None
            time.sleep(0.3 if status == 0 else 0.5)

    def post_portal(self, submission: Submission) -> None:
        """Fill in the citizen's form as a browser without JavaScript does; resend it after no answer.

        GET the form (CSRF cookie and token, signed start stamp), POST it as multipart with the
        photos in the form's own file field, follow the 302 to the receipt page and read the
        tracking code there. A POST that got no answer is sent again as it was (a reload that
        resends the form: same body, same cookies); the form's stamp carries its idempotency key.
        """
        browser = Browser(self.port)
        page = self.get_page(submission, browser, "/submit/")
        if page is None:
            return
        csrf, started = _CSRF_INPUT.search(page), _STARTED_INPUT.search(page)
        if csrf is None or started is None:
            submission.status, submission.error = 200, "the form page has no CSRF token or start stamp"
            return
        fields = [
            ("csrfmiddlewaretoken", html.unescape(csrf.group(1))),
            ("started", html.unescape(started.group(1) or started.group(2))),
            ("website", ""),  # the honeypot, left empty as people do
            *((name, str(value)) for name, value in submission.body.items()),
            ("address", ""),
            ("email", ""),
        ]
        payload, content_type = multipart(fields, [("photos", photo) for photo in submission.photos])
        headers = {
            "Content-Type": content_type,
            "Origin": f"http://127.0.0.1:{self.port}",
            "Referer": f"http://127.0.0.1:{self.port}/submit/",
        }
        while True:
            submission.attempts += 1
            if submission.hang_up and submission.attempts == 1:
                # The answer never arrives; the person sees an error page, reloads and resends.
                with contextlib.suppress(OSError, http.client.HTTPException):
                    browser.send_and_hang_up("/submit/", payload, headers, after=0.05)
                submission.answers.append("hung up")
                time.sleep(1.0)
                continue
            try:
                status, response, raw = browser.exchange("POST", "/submit/", payload, headers)
            except (OSError, http.client.HTTPException):
                submission.answers.append("connection")
                if self.should_give_up(submission, "no answer before giving up"):
                    return
                time.sleep(0.3)
                continue
            submission.answers.append(status)
            if status == 302:
                submission.status = status
                location = urlsplit(response.getheader("Location") or "").path
                receipt = self.get_page(submission, browser, location or "/submit/received/")
                found = _TRACKING_CODE.search(receipt or "")
                if found is None:
                    submission.error = submission.error or f"no tracking code on the receipt page {location}"
                else:
                    submission.tracking_code = found.group(1)
                return
            if status == 429 or status >= 500:
                if self.should_give_up(submission, f"still {status} when giving up"):
                    return
                time.sleep(float(response.getheader("Retry-After") or 1) if status == 429 else 0.5)
                continue
            submission.status = status
            messages = _ERROR_MESSAGE.findall(raw.decode(errors="replace"))
            submission.error = "; ".join(html.unescape(m.strip()) for m in messages)[:300] or "refused"
            return

    def client(self, seed: int) -> None:
        rng = random.Random(seed)  # noqa: S311 (test data)
        next_at = time.monotonic() + rng.random() * self.interval
        while not self.stop_filing.is_set():
            delay = next_at - time.monotonic()
            if delay > 0 and self.stop_filing.wait(delay):
                break
            next_at = max(next_at + self.interval, time.monotonic())
            submission = self.new_submission(rng)
            if submission.kind == "portal":
                self.post_portal(submission)
            else:
                self.post(submission)


# --- chaos -----------------------------------------------------------------------------------------


@dataclass
class Kill:
    at_seconds: float
    target: str
    pid: int | None
    down_seconds: float


def chaos(
    services: dict[str, Service], kills: int, duration: float, rng: random.Random, log: list[Kill]
) -> None:
    start = time.monotonic()
    moments = sorted(rng.uniform(0.1 * duration, 0.9 * duration) for _ in range(kills))
    targets = [("web", "worker")[i % 2] for i in range(kills)]
    rng.shuffle(targets)
    for moment, target in zip(moments, targets, strict=True):
        delay = start + moment - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        service = services[target]
        pid = service.kill()
        down = rng.uniform(0.3, 2.0)
        log.append(Kill(round(time.monotonic() - start, 1), target, pid, round(down, 1)))
        print(f"  {time.monotonic() - start:5.1f}s  kill -9 {target} (pid {pid}); back in {down:.1f}s")
        time.sleep(down)
        service.start()


# --- checks ----------------------------------------------------------------------------------------


@dataclass
class Report:
    result: str = "FAIL"
    failures: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    numbers: dict[str, Any] = field(default_factory=dict)
    kills: list[Kill] = field(default_factory=list)


def outbox_backlog() -> tuple[int, int]:
    from notifications.models import Notification, Status
    from search.models import IndexQueue

    waiting = Notification.objects.filter(status__in=[Status.PENDING, Status.SENDING]).count()
    return waiting, IndexQueue.objects.count()


def check(report: Report, submissions: list[Submission], gateway: Gateway, search_url: str | None) -> None:
    from notifications.models import Channel, Notification, Status
    from petitions.models import Channel as PetitionChannel
    from petitions.models import Petition
    from petitions.services import idempotency_key_stored, normalize_text
    from routing.models import Case, CaseEvent, EventKind
    from search.models import IndexQueue

    fail, numbers = report.failures.append, report.numbers

    answered = [s for s in submissions if s.succeeded]
    client_errors = [s for s in submissions if s.status is not None and not s.succeeded]
    unanswered = [s for s in submissions if s.status is None]
    answers = collections.Counter(str(a) for s in submissions for a in s.answers)
    numbers.update(
        submissions=len(submissions),
        requests=sum(s.attempts for s in submissions),
        answers=dict(sorted(answers.items())),
        succeeded=len(answered),
        created_201=sum(1 for s in answered if s.status == 201),
        replayed_200=sum(1 for s in answered if s.status == 200),
        retried_after_connection_failure=sum(1 for s in submissions if s.lost_an_answer),
        client_errors=len(client_errors),
        unanswered=len(unanswered),
    )
    for s in client_errors[:5]:
        fail(f"{s.key}: answered {s.status}: {s.error}")
    if len(client_errors) > 5:
        fail(f"... and {len(client_errors) - 5} more client errors")
    if unanswered:
        fail(
            f"{len(unanswered)} submissions never got an answer, e.g. {unanswered[0].key}: {unanswered[0].error}"
        )
    if answers.get("500"):
        report.notes.append(f"{answers['500']} answers were 500 (sent again as they were)")

    keys = {s.key for s in answered}
    if len(keys) != len(answered):
        fail("a key was used by two submissions (bench bug)")
    # API petitions carry the client's Idempotency-Key; the portal's carry the key of their form
    # ("portal-…", from its signed stamp, which the script does not read) and are found by their
    # title, unique to each submission.
    rows: list[dict[str, Any]] = [
        {**row}
        for row in Petition.objects.values("pk", "idempotency_key", "tracking_code", "case__pk", "title")
    ]
    total = len(rows)
    numbers["petitions"] = total
    by_key: dict[str, list[dict[str, Any]]] = collections.defaultdict(list)
    for row in rows:
        key = row["idempotency_key"] or ""
        by_key[key if key and not key.startswith("portal-") else f"title:{row['title']}"].append(row)

    def key_of(s: Submission) -> str:
        # The API's keys are stored within its channel (and partner: none here): "api-0-<key>".
        if s.kind == "api":
            return idempotency_key_stored(s.key, channel=PetitionChannel.API)
        return f"title:{normalize_text(s.title)}"

    def petitions_of(s: Submission) -> list[dict[str, Any]]:
        return by_key.get(key_of(s), [])

    if total != len(answered):
        fail(f"{total} petitions for {len(answered)} successful submissions")
    cases = Case.objects.count()
    numbers["cases"] = cases
    if cases != total:
        fail(f"{cases} cases for {total} petitions")
    claimed = {key_of(s): s for s in submissions}
    orphans = [key for key in by_key if key not in claimed]
    if orphans:
        fail(f"{len(orphans)} petitions of no submission, e.g. {sorted(orphans)[:3]}")
    for_failed = [key for key, s in claimed.items() if not s.succeeded and key in by_key]
    if for_failed:
        fail(f"{len(for_failed)} petitions for submissions that failed, e.g. {for_failed[:3]}")

    first_events = collections.Counter(
        CaseEvent.objects.filter(kind=EventKind.SUBMITTED).values_list("case_id", flat=True)
    )
    receipts = collections.Counter(
        Notification.objects.filter(template="petition_received", channel=Channel.SMS).values_list(
            "petition_id", flat=True
        )
    )
    problems = {
        "no petition": 0,
        "a petition with another tracking code": 0,
        "no case": 0,
        "not exactly one first event": 0,
        "not exactly one receipt": 0,
    }
    filed_twice: list[Submission] = []
    for s in answered:
        found = petitions_of(s)
        if not found:
            problems["no petition"] += 1
            continue
        if len(found) > 1:
            filed_twice.append(s)
        if s.tracking_code not in {row["tracking_code"] for row in found}:
            problems["a petition with another tracking code"] += 1
        for row in found:
            if row["case__pk"] is None:
                problems["no case"] += 1
            elif first_events[row["case__pk"]] != 1:
                problems["not exactly one first event"] += 1
            if receipts[row["pk"]] != 1:
                problems["not exactly one receipt"] += 1
    for what, count in problems.items():
        if count:
            fail(f"{count} successful submissions with {what}")
    resent = [s for s in filed_twice if s.lost_an_answer]
    if resent:
        fail(
            f"{len(resent)} portal submissions filed twice: the form was sent again after its answer was "
            "lost and its resubmission key did not bring the first petition back "
            f"(e.g. {resent[0].key}: answers {resent[0].answers})"
        )
    if len(filed_twice) > len(resent):
        fail(f"{len(filed_twice) - len(resent)} submissions filed twice without being sent twice")

    check_photos(report, [s for s in submissions if s.kind == "portal"], petitions_of)

    by_status = collections.Counter(Notification.objects.values_list("status", flat=True))
    numbers["notifications"] = dict(sorted(by_status.items()))
    if by_status[Status.PENDING] or by_status[Status.SENDING]:
        fail(
            f"notification outbox not drained: {by_status[Status.PENDING]} pending, {by_status[Status.SENDING]} sending"
        )
    if by_status[Status.FAILED]:
        fail(f"{by_status[Status.FAILED]} notifications failed")
    attempts = collections.Counter(Notification.objects.values_list("attempts", flat=True))
    numbers["notification_attempts"] = {str(k): v for k, v in sorted(attempts.items())}

    received = gateway.snapshot()
    deliveries = collections.Counter(reference for _key, reference in received)
    sms_ids = list(Notification.objects.filter(channel=Channel.SMS).values_list("pk", flat=True))
    expected = {f"notification-{pk}" for pk in sms_ids}
    never = expected - set(deliveries)
    repeats = {ref: n for ref, n in deliveries.items() if n > 1}
    numbers.update(
        gateway_deliveries=len(received),
        gateway_distinct=len(deliveries),
        gateway_repeats=sum(n - 1 for n in repeats.values()),
    )
    if never:
        fail(f"{len(never)} SMS notifications never reached the gateway, e.g. {sorted(never)[:3]}")
    unknown = set(deliveries) - expected
    if unknown:
        fail(f"the gateway received {len(unknown)} references of no notification")
    mismatched = sum(1 for key, reference in received if key != reference)
    if mismatched:
        fail(f"{mismatched} deliveries whose Idempotency-Key was not the notification's reference")
    if repeats:
        report.notes.append(
            f"{len(repeats)} notifications reached the gateway more than once, each time with the same "
            "Idempotency-Key (a worker killed between sending and recording; the gateway drops the repeat)"
        )

    queued = IndexQueue.objects.count()
    numbers["index_queue"] = queued
    if queued:
        fail(f"search outbox not drained: {queued} rows")
    if search_url:
        numbers["index_documents"] = index_count(search_url)
        cases = Petition.objects.filter(case__isnull=False).count()
        if numbers["index_documents"] != cases:
            fail(f"the index holds {numbers['index_documents']} documents for {cases} cases")
    else:
        report.notes.append(
            "search: database backend, which queues nothing (the index queue was checked empty)"
        )


def photo_problem(photo: Photo, attachment: Any) -> str | None:
    """What is wrong with the stored copy of ``photo``, or None: files, size, format, pixels, thumbnail."""
    from PIL import Image

    storage = attachment.image.storage
    for name in (attachment.image.name, attachment.thumbnail.name):
        if not name or not storage.exists(name):
            return "a photo or thumbnail file missing from the media storage"
    with attachment.image.open("rb") as stored:
        data = stored.read()
    if len(data) != attachment.size:
        return "a photo file whose size is not the recorded one"
    try:
        image = Image.open(io.BytesIO(data))
        image.load()
        with attachment.thumbnail.open("rb") as thumb:
            thumbnail = Image.open(io.BytesIO(thumb.read()))
            thumbnail.load()
    except Exception:  # any decoding error is the finding
        return "a photo or thumbnail that does not decode"
    if image.size != (photo.width, photo.height) or (attachment.width, attachment.height) != image.size:
        return "a photo with other dimensions than sent or recorded"
    expected_format = "PNG" if photo.stored_content_type == "image/png" else "JPEG"
    if attachment.content_type != photo.stored_content_type or image.format != expected_format:
        return "a photo stored in another format than the re-encoding gives"
    if read_code(image) != photo.code:
        return "a photo that is not the one sent in its place (its colours spell another code)"
    if (
        photo.kind == "png-alpha"
        and hashlib.sha256(image.convert("RGBA").tobytes()).hexdigest() != photo.pixels_sha256
    ):
        return "a losslessly stored photo whose pixels changed"
    if max(thumbnail.size) > 320:
        return "a thumbnail larger than 320 px"
    return None


def photos_compared(sent: list[Photo], stored: list[Any], problems: collections.Counter[str]) -> int:
    """Each photo sent against its attachment, in order: what is wrong counted in ``problems``;
    how many were right."""
    if len(stored) != len(sent):
        problems[f"not exactly its photos ({len(stored)} stored, {len(sent)} sent)"] += 1
        return 0
    right = 0
    for photo, attachment in zip(sent, stored, strict=True):
        problem = photo_problem(photo, attachment)
        if problem:
            problems[problem] += 1
        else:
            right += 1
    return right


def check_photos(
    report: Report,
    portal: list[Submission],
    petitions_of: Callable[[Submission], list[dict[str, Any]]],
) -> None:
    """Every successful portal submission's petition has exactly its photos; staged leftovers are explained.

    Staged photos (no petition) are expected only from a form POST cut off by a kill or
    answered 5xx: staging commits photo by photo before the petition's transaction. They are
    then removed with the purge job as if a day had passed, and must leave no file behind.
    """
    from django.conf import settings
    from django.utils import timezone
    from PIL import Image

    from petitions.attachments import attachments_purge_stale
    from petitions.models import Attachment

    fail, numbers = report.failures.append, report.numbers
    by_petition: dict[int | None, list[Any]] = collections.defaultdict(list)
    for attachment in Attachment.objects.filter(petition__isnull=False).order_by(
        "petition_id", "position", "pk"
    ):
        by_petition[attachment.petition_id].append(attachment)

    answered = [s for s in portal if s.succeeded]
    problems: collections.Counter[str] = collections.Counter()
    verified = 0
    for s in answered:
        found = petitions_of(s)
        if len(found) != 1:
            continue  # reported with the petitions
        verified += photos_compared(s.photos, by_petition.get(found[0]["pk"], []), problems)
    for what, count in problems.items():
        fail(f"{count} successful portal submissions with {what}")
    portal_petitions = {row["pk"] for s in portal for row in petitions_of(s)}
    api_photos = sum(len(found) for pk, found in by_petition.items() if pk not in portal_petitions)
    if api_photos:
        fail(f"{api_photos} photos on petitions filed through the API, which takes none")

    # Staged photos: which submission each came from, by the code its colours spell.
    owners = {photo.code: s for s in portal for photo in s.photos}
    staged = list(Attachment.objects.filter(petition__isnull=True))
    unexplained: list[str] = []
    for attachment in staged:
        try:
            with attachment.image.open("rb") as stored_file:
                code = read_code(Image.open(io.BytesIO(stored_file.read())))
        except Exception:  # reported below
            unexplained.append(f"pk {attachment.pk}: its file does not open or decode")
            continue
        owner = owners.get(code) if code is not None else None
        interrupted = owner is not None and (
            not owner.succeeded
            or any(
                answer in LOST_ANSWERS or (isinstance(answer, int) and answer >= 500)
                for answer in owner.answers
            )
        )
        if not interrupted:
            unexplained.append(f"pk {attachment.pk}: of {owner.key if owner else 'no submission'}")
    if unexplained:
        fail(f"{len(unexplained)} staged photos that no interrupted form explains, e.g. {unexplained[:3]}")

    names = [name for a in staged for name in (a.image.name, a.thumbnail.name) if name]
    storage = Attachment._meta.get_field("image").storage
    claimed_before = Attachment.objects.filter(petition__isnull=False).count()
    purged = attachments_purge_stale(now=timezone.now() + dt.timedelta(hours=25))
    files_left = sum(1 for name in names if storage.exists(name))
    if purged != len(staged) or files_left:
        fail(f"the purge removed {purged} of {len(staged)} staged photos; {files_left} of their files remain")
    if Attachment.objects.filter(petition__isnull=False).count() != claimed_before:
        fail("the purge of staged photos removed claimed ones")

    # Files with no row: a web killed between writing a photo's files and inserting its row.
    root = Path(settings.PRIVATE_MEDIA_ROOT)
    on_disk = (
        {str(path.relative_to(root)) for path in root.rglob("*") if path.is_file()}
        if root.is_dir()
        else set()
    )
    referenced = {
        name for pair in Attachment.objects.values_list("image", "thumbnail") for name in pair if name
    }
    orphan_files = on_disk - referenced

    numbers["portal"] = {
        "submissions": len(portal),
        "succeeded": len(answered),
        "requests": sum(s.attempts for s in portal),
        "photos_sent": sum(len(s.photos) for s in answered),
        "photos_verified": verified,
        "photo_kinds": dict(collections.Counter(p.kind for s in answered for p in s.photos)),
        "retried_after_connection_failure": sum(1 for s in portal if s.lost_an_answer),
        "form_resent": sum(1 for s in portal for a in s.answers if a in LOST_ANSWERS),
        "hung_up": sum(1 for s in portal if s.hang_up),
        "page_reloads": sum(s.page_retries for s in portal),
        "filed_twice": sum(1 for s in answered if len(petitions_of(s)) > 1),
        "staged_left": len(staged),
        "staged_purged": purged,
        "files_without_row": len(orphan_files),
    }
    if staged:
        report.notes.append(
            f"{len(staged)} staged photos without a petition, each from a form cut off by a kill (staging "
            "commits before the petition's transaction); the purge job removed them with their files"
        )
    if orphan_files:
        report.notes.append(
            f"{len(orphan_files)} photo files without a row (a web killed between writing the files and "
            "the row; nothing points at them, nothing removes them)"
        )


def index_count(url: str) -> int | None:
    parts = urlsplit(url)
    try:
        conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port or 9200, timeout=10)
        conn.request("POST", f"/{INDEX_ALIAS}/_refresh")
        conn.getresponse().read()
        conn.request("GET", f"/{INDEX_ALIAS}/_count")
        count = json.loads(conn.getresponse().read()).get("count")
        conn.close()
        return int(count) if count is not None else None
    except (OSError, http.client.HTTPException, ValueError):
        return None


# --- the run ---------------------------------------------------------------------------------------


@contextlib.contextmanager
def search_server(kind: str, *, home: Path, heap: str) -> Iterator[str | None]:
    """OpenSearch in one JVM (``search.engine.launch``), stopped afterwards; None for the database."""
    if kind == "database":
        yield None
        return
    from search.engine import launch

    engine = launch.start(home=home, heap=heap, timeout=300)
    print(f"search engine: OpenSearch at {engine.url}, started in {engine.seconds_to_start:.1f} s")
    try:
        yield engine.url
    finally:
        engine.stop()


def run(args: argparse.Namespace) -> Report:
    report = Report()
    workdir = Path(tempfile.mkdtemp(prefix="crash-bench-"))
    print(f"logs and files: {workdir}")
    rng = random.Random(args.seed)  # noqa: S311 (test schedule)

    recreate_database(args.database_url)
    flush_redis(args.redis_url)
    gateway = Gateway(args.gateway_latency)
    port = free_port()
    services: dict[str, Service] = {}
    try:
        with search_server(args.search, home=workdir / "search-engine", heap=args.engine_heap) as search_url:
            env = {
                **os.environ,
                "DJANGO_SETTINGS_MODULE": "config.settings",
                "DJANGO_DEBUG": "0",
                "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
                "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
                "DJANGO_SECURE_SSL_REDIRECT": "0",
                "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
                "DJANGO_VAR_DIR": str(workdir),
                "DATABASE_URL": args.database_url,
                "REDIS_URL": args.redis_url,
                "CELERY_BROKER_URL": args.redis_url,
                "CACHE_KEY_PREFIX": "bench-crash",
                "CHANNEL_PREFIX": "bench-crash",
                "JOBS_BACKEND": "celery",
                "SMS_BACKEND": "notifications.transports.sms.HttpGatewaySmsBackend",
                "SMS_GATEWAY_URL": gateway.url,
                "SMS_GATEWAY_KEY": "bench-crash",
                "SMS_GATEWAY_TIMEOUT": "5",
                "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
                "DJANGO_MEDIA_ROOT": str(workdir / "media"),
                # The photos: the web writes them, this script reads them back for the checks.
                "DJANGO_PRIVATE_MEDIA_ROOT": str(workdir / "private"),
                "RATE_SUBMIT_IP": "1000000/h",
                "RATE_SUBMIT_PHONE": "1000000/h",
                "RATE_UPLOAD_IP": "1000000/h",
                # The form's "too fast for a person" stamp: these clients fill it in at once.
                "PORTAL_MIN_FORM_SECONDS": "0",
                "LOG_LEVEL": "WARNING",
                "LOG_FORMAT": "plain",
            }
            for name in ("ELASTICSEARCH_URL", "OPENSEARCH_URL", "SEARCH_INDEX_ALIAS"):
                env.pop(name, None)
                os.environ.pop(name, None)
            if search_url:
                env.update(OPENSEARCH_URL=search_url, SEARCH_INDEX_ALIAS=INDEX_ALIAS)
            os.environ.update(env)

            print("setting up: migrate, load_units, collectstatic" + (", search_init" if search_url else ""))
            # collectstatic: with DEBUG off the portal's pages name hashed static files from the manifest.
            commands = [
                ["migrate", "-v", "0"],
                ["load_units", "-v", "0"],
                ["collectstatic", "--noinput", "-v", "0"],
            ]
            if search_url:
                commands.append(["search_init"])
            for command in commands:
                subprocess.run(  # noqa: S603 (our own command)
                    [PYTHON, "manage.py", *command], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL
                )

            import django

            django.setup()
            from django.db import connection

            from config.jobs import enqueue
            from petitions.models import Category
            from routing.models import Level, Unit

            categories = list(Category.objects.filter(is_active=True).values_list("code", "pk"))
            communes = list(
                Unit.objects.filter(level=Level.COMMUNE, is_active=True).values_list("code", "parent__code")
            )
            connection.close()

            worker_args = ["--pool", "solo", "-l", "warning", "-n", f"crash-{port}@%h"]
            worker_args += ["--without-heartbeat", "--without-gossip", "--without-mingle"]
            if args.lease_seconds:
                worker_argv = [PYTHON, "-c", WORKER_SHIM, str(args.lease_seconds), *worker_args]
            else:
                worker_argv = [str(BIN / "celery"), "-A", "config", "worker", *worker_args]
            services["web"] = Service(
                "web",
                [str(BIN / "daphne"), "-b", "127.0.0.1", "-p", str(port), "config.asgi:application"],
                env,
                workdir / "web.log",
            )
            services["worker"] = Service("worker", worker_argv, env, workdir / "worker.log")
            for service in services.values():
                service.start()
            if not wait_until(lambda: http_get(port, "/healthz") == 200, 60):
                raise RuntimeError(f"the web did not start; see {workdir / 'web.log'}")

            def beat() -> None:
                for job in ("notifications.drain", "search.drain"):
                    enqueue(job)
                connection.close()

            load = Load(
                port,
                categories,
                communes,
                args.rate,
                args.concurrency,
                args.portal_share,
                args.portal_hangups,
            )
            print(
                f"load: {args.duration:.0f} s, {args.concurrency} clients, ~{args.rate:g} petitions/s "
                f"({args.portal_share:.0%} through the portal's form with photos); "
                f"{args.kills} kills; search: {args.search}; lease: "
                f"{args.lease_seconds or REAL_LEASE_SECONDS:g} s"
            )
            clients = [
                threading.Thread(target=load.client, args=(args.seed * 1000 + i,), name=f"client-{i}")
                for i in range(args.concurrency)
            ]
            chaos_thread = threading.Thread(
                target=chaos,
                args=(services, args.kills, args.duration, rng, report.kills),
                name="chaos",
            )
            started = time.monotonic()
            for thread in [*clients, chaos_thread]:
                thread.start()
            last_beat = started
            while time.monotonic() - started < args.duration:
                time.sleep(0.5)
                if time.monotonic() - last_beat >= 30:
                    beat()
                    last_beat = time.monotonic()
            load.stop_filing.set()
            load.give_up_at = time.monotonic() + 120
            chaos_thread.join()
            for thread in clients:
                thread.join()
            report.numbers["load_seconds"] = round(time.monotonic() - started, 1)
            for service in services.values():
                if not service.alive():
                    service.start()
            print(f"load done: {len(load.submissions)} submissions; waiting for the outboxes to drain")

            lease = args.lease_seconds or REAL_LEASE_SECONDS
            drain_started = time.monotonic()
            deadline = drain_started + lease + args.drain_grace
            backlog = outbox_backlog()
            last_print = 0.0
            while time.monotonic() < deadline:
                backlog = outbox_backlog()
                if backlog == (0, 0):
                    break
                if time.monotonic() - last_print >= 30:
                    print(
                        f"  {time.monotonic() - drain_started:5.0f}s  waiting: {backlog[0]} notifications, {backlog[1]} index rows"
                    )
                    last_print = time.monotonic()
                beat()
                time.sleep(5)
            connection.close()
            report.numbers["drain_seconds"] = round(time.monotonic() - drain_started, 1)
            time.sleep(0.5)  # the last delivery's recording

            check(report, load.submissions, gateway, search_url)
            connection.close()
            report.numbers["starts"] = {name: s.starts for name, s in services.items()}
            tracebacks = {
                name: s.log.read_text(errors="replace").count("Traceback") for name, s in services.items()
            }
            report.numbers["log_tracebacks"] = tracebacks
            if any(tracebacks.values()):
                report.notes.append(f"tracebacks in the logs (see {workdir}): {tracebacks}")
            report.result = "FAIL" if report.failures else "PASS"
            if report.failures:
                report.notes.append(f"logs: {workdir}")
    finally:
        for service in services.values():
            service.stop()
        gateway.close()
        with contextlib.suppress(Exception):
            flush_redis(args.redis_url)
        if not args.keep_db:
            with contextlib.suppress(Exception):
                from django.db import connections

                connections.close_all()
            drop_database(args.database_url)
    return report


def print_report(report: Report) -> None:
    n = report.numbers
    portal = n.get("portal") or {}
    print()
    print(f"kills: {len(report.kills)} ({', '.join(f'{k.target}@{k.at_seconds}s' for k in report.kills)})")
    print(
        f"submissions: {n.get('submissions')} in {n.get('load_seconds')} s, {n.get('requests')} requests; "
        f"answers {n.get('answers')}"
    )
    print(
        f"succeeded: {n.get('succeeded')} ({n.get('created_201')} created, {n.get('replayed_200')} "
        f"idempotent replays, {portal.get('succeeded')} portal forms), {n.get('retried_after_connection_failure')} retried after a lost "
        f"connection, {n.get('client_errors')} client errors, {n.get('unanswered')} unanswered"
    )
    print(
        f"portal: {portal.get('submissions')} submissions, {portal.get('succeeded')} succeeded with "
        f"{portal.get('photos_sent')} photos {portal.get('photo_kinds')}, {portal.get('photos_verified')} "
        f"verified in storage; {portal.get('retried_after_connection_failure')} retried after a lost "
        f"connection ({portal.get('form_resent')} form resends, {portal.get('hung_up')} after the client hung "
        f"up, {portal.get('page_reloads')} page reloads), "
        f"{portal.get('filed_twice')} filed twice"
    )
    print(
        f"staged photos left: {portal.get('staged_left')} (purged {portal.get('staged_purged')}), "
        f"photo files without a row: {portal.get('files_without_row')}"
    )
    print(f"petitions: {n.get('petitions')}, cases: {n.get('cases')}")
    print(f"notifications: {n.get('notifications')} (attempts {n.get('notification_attempts')})")
    print(
        f"gateway: {n.get('gateway_deliveries')} deliveries, {n.get('gateway_distinct')} distinct, "
        f"{n.get('gateway_repeats')} repeats"
    )
    print(
        f"search: {n.get('index_queue')} rows queued, {n.get('index_documents', '-')} documents; "
        f"outboxes drained in {n.get('drain_seconds')} s"
    )
    for note in report.notes:
        print(f"note: {note}")
    for failure in report.failures:
        print(f"FAILED: {failure}")
    print(report.result)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--duration", type=float, default=45, help="seconds of load (default 45)")
    parser.add_argument(
        "--kills", type=int, default=6, help="kill -9s, web and worker alternately (default 6)"
    )
    parser.add_argument("--rate", type=float, default=12, help="petitions per second, about (default 12)")
    parser.add_argument("--concurrency", type=int, default=4, help="client threads (default 4)")
    parser.add_argument(
        "--portal-share",
        type=float,
        default=0.3,
        help="fraction of submissions sent through the portal's form with 1-3 photos each (default 0.3)",
    )
    parser.add_argument(
        "--portal-hangups",
        type=int,
        default=3,
        help="portal submissions whose client hangs up after sending the form, then sends it again "
        "(a phone losing its signal; default 3)",
    )
    parser.add_argument("--seed", type=int, default=int(time.time()), help="random seed (kill moments, data)")
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    parser.add_argument("--redis-url", default=DEFAULT_REDIS_URL)
    parser.add_argument(
        "--search",
        choices=("engine", "database"),
        default="engine",
        help="engine: OpenSearch started here (search.engine.launch); database: the database backend",
    )
    parser.add_argument("--engine-heap", default="512m", help="the search engine's JVM heap (default 512m)")
    parser.add_argument(
        "--lease-seconds",
        type=float,
        default=0,
        help="shorten the outboxes' 5-minute lease in the worker (quicker runs); default: the real one",
    )
    parser.add_argument(
        "--drain-grace", type=float, default=90, help="seconds to wait for the drain beyond the lease"
    )
    parser.add_argument(
        "--gateway-latency", type=float, default=0.05, help="seconds the SMS stub takes per message"
    )
    parser.add_argument("--keep-db", action="store_true", help="keep the database for inspection")
    parser.add_argument("--json", type=Path, help="write the report here")
    args = parser.parse_args(argv)
    if args.kills < 0 or args.duration <= 0 or args.rate <= 0 or args.concurrency < 1:
        parser.error("--duration, --rate and --concurrency must be positive, --kills not negative")
    if args.portal_hangups < 0:
        parser.error("--portal-hangups must not be negative")
    if not 0 <= args.portal_share <= 1:
        parser.error("--portal-share must be between 0 and 1")

    print(f"crash test {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, seed {args.seed}")
    report = run(args)
    print_report(report)
    if args.json:
        data = asdict(report)
        data["arguments"] = {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()}
        args.json.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    return 0 if report.result == "PASS" else 1


if __name__ == "__main__":
    sys.exit(main())
