"""Crash test: kill -9 the web process and the worker during a sustained submission load; PASS or FAIL.

    .venv/bin/python bench/crash.py [--duration 45] [--kills 6] [--rate 12] [--json out.json]

What it runs, all on this machine and all its own:

- a PostgreSQL database (``--database-url``, default ``petitions_bench_crash``; dropped and
  created, migrated, ``load_units``; dropped at the end unless ``--keep-db``); the name must
  contain ``bench`` so that nobody's real database is ever dropped;
- Redis database 9 (``--redis-url``) as cache, channel layer and Celery broker; ``FLUSHDB`` of
  that database only, before and after (database 0 is refused);
- osmem-server (the test suite's in-memory Elasticsearch-compatible server) behind the index
  alias ``bench-crash``, so that the search outbox (``search.IndexQueue``) is exercised too;
  ``--search database`` uses the database backend instead (then nothing is queued);
- an SMS gateway stub (an HTTP server in this process) that the HTTP gateway transport
  (``HttpGatewaySmsBackend``) posts to; it records every delivery with its ``Idempotency-Key``;
- daphne serving the project (``DJANGO_DEBUG=0``, rate limits raised) and a Celery worker
  (``--pool solo``, ``JOBS_BACKEND=celery``), each in a process group of its own. This script
  plays Celery beat: it queues both drains every 30 s (every 5 s once the load has stopped).

Then for ``--duration`` seconds ``--concurrency`` client threads file petitions through
``POST /api/v1/petitions/`` at about ``--rate`` per second, each with an ``Idempotency-Key`` of its
own; a request whose connection failed (refused, reset, no answer) is sent again with the same
key and body until it is answered. Meanwhile a chaos thread sends SIGKILL to the web's or the
worker's process group ``--kills`` times at random moments and starts it again 0.3–2 s later.

Afterwards it waits for both outboxes to drain (a row a killed worker had claimed waits for its
lease to expire, 5 minutes; ``--lease-seconds`` shortens the lease in the worker for quicker
runs) and checks:

1. every request answered 201 or 200 has its petition (same tracking code), case and first
   event, and its receipt notification;
2. no idempotency key produced two petitions; petitions = distinct successful keys, and no
   petition exists that no client got an answer for;
3. no request ended with a client error (4xx) or unanswered;
4. the notification outbox has no pending or sending row and no failed one;
5. the gateway received every notification at least once, always with the notification's own
   reference as ``Idempotency-Key``; repeats (a worker killed between sending and recording: the
   at-least-once case the key is for) are reported, not failed;
6. the search outbox is empty and the index holds one document per case.

Photos: the API takes no attachments, so this run files none; attachments are claimed in the
same transaction as the petition (``petition_submit``) and are covered by the portal's tests.

Exit status 0 on PASS, 1 on FAIL; ``--json`` writes the report.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import datetime as dt
import http.client
import json
import os
import random
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
#: The outboxes' lease (notifications.outbox.LEASE, search.outbox.LEASE) when not shortened.
REAL_LEASE_SECONDS = 300.0
#: Valid Vietnamese mobile prefixes for the generated phone numbers.
PHONE_PREFIXES = ("090", "091", "093", "094", "096", "097", "098")

#: Starts the worker with a shorter outbox lease (``--lease-seconds``); the code is unchanged.
WORKER_SHIM = """
import datetime, sys
import django
django.setup()
import notifications.outbox, search.outbox
lease = datetime.timedelta(seconds=float(sys.argv[1]))
notifications.outbox.LEASE = search.outbox.LEASE = lease
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


# --- the load --------------------------------------------------------------------------------------


@dataclass
class Submission:
    key: str
    body: dict[str, Any]
    attempts: int = 0
    #: Every answer in order: an HTTP status, or "connection" when the request got none.
    answers: list[int | str] = field(default_factory=list)
    status: int | None = None  # the final answer: 200/201 success, 4xx client error
    tracking_code: str | None = None
    created: bool | None = None
    error: str = ""


class Load:
    def __init__(
        self, port: int, categories: list[str], communes: list[str], rate: float, concurrency: int
    ) -> None:
        self.port = port
        self.categories = categories
        self.communes = communes
        self.interval = concurrency / rate if rate > 0 else 0.0
        self.concurrency = concurrency
        self.submissions: list[Submission] = []
        self.lock = threading.Lock()
        self.stop_filing = threading.Event()
        self.give_up_at = float("inf")
        self.counter = 0

    def new_submission(self, rng: random.Random) -> Submission:
        with self.lock:
            self.counter += 1
            n = self.counter
        phone = rng.choice(PHONE_PREFIXES) + "".join(rng.choice("0123456789") for _ in range(7))
        body = {
            "category": rng.choice(self.categories),
            "commune": rng.choice(self.communes),
            "phone": phone,
            "submitter_name": "Nguyễn Văn Thử",
            "title": f"Kiểm thử sự cố số {n}: đèn đường hỏng",
            "text": f"Đèn đường trước nhà số {n} hỏng nhiều ngày, buổi tối đi lại rất nguy hiểm.",
            "language": "vi",
        }
        submission = Submission(key=f"crash-{uuid.uuid4()}", body=body)
        with self.lock:
            self.submissions.append(submission)
        return submission

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
                if time.monotonic() > self.give_up_at:
                    submission.error = "no answer before giving up"
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
                if time.monotonic() > self.give_up_at:
                    submission.error = f"still {response.status} when giving up"
                    return
                time.sleep(float(response.getheader("Retry-After") or 1) if response.status == 429 else 0.5)
                continue
            submission.status = response.status
            submission.error = raw.decode(errors="replace")[:300]
            return

    def client(self, seed: int) -> None:
        rng = random.Random(seed)  # noqa: S311 (test data)
        next_at = time.monotonic() + rng.random() * self.interval
        while not self.stop_filing.is_set():
            delay = next_at - time.monotonic()
            if delay > 0 and self.stop_filing.wait(delay):
                break
            next_at = max(next_at + self.interval, time.monotonic())
            self.post(self.new_submission(rng))


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
    from petitions.models import Petition
    from routing.models import Case, CaseEvent, EventKind
    from search.models import IndexQueue

    fail, numbers = report.failures.append, report.numbers

    answered = [s for s in submissions if s.status in (200, 201)]
    client_errors = [s for s in submissions if s.status is not None and s.status not in (200, 201)]
    unanswered = [s for s in submissions if s.status is None]
    answers = collections.Counter(str(a) for s in submissions for a in s.answers)
    numbers.update(
        submissions=len(submissions),
        requests=sum(s.attempts for s in submissions),
        answers=dict(sorted(answers.items())),
        succeeded=len(answered),
        created_201=sum(1 for s in answered if s.status == 201),
        replayed_200=sum(1 for s in answered if s.status == 200),
        retried_after_connection_failure=sum(1 for s in submissions if "connection" in s.answers),
        client_errors=len(client_errors),
        unanswered=len(unanswered),
    )
    for s in client_errors[:5]:
        fail(f"{s.key}: answered {s.status}: {s.error}")
    if len(client_errors) > 5:
        fail(f"... and {len(client_errors) - 5} more client errors")
    if unanswered:
        fail(f"{len(unanswered)} submissions never got an answer")
    if answers.get("500"):
        report.notes.append(f"{answers['500']} answers were 500 (retried with the same key)")

    keys = {s.key for s in answered}
    if len(keys) != len(answered):
        fail("a key was used by two submissions (bench bug)")
    petitions = {
        p["idempotency_key"]: p
        for p in Petition.objects.values("pk", "idempotency_key", "tracking_code", "case__pk")
    }
    total = Petition.objects.count()
    numbers["petitions"] = total
    if len(petitions) != total:
        fail(f"{total} petitions but {len(petitions)} distinct idempotency keys")
    if total != len(keys):
        fail(f"{total} petitions for {len(keys)} successful keys")
    cases = Case.objects.count()
    numbers["cases"] = cases
    if cases != total:
        fail(f"{cases} cases for {total} petitions")
    orphans = set(petitions) - keys
    if orphans:
        fail(
            f"{len(orphans)} petitions whose client never got a success answer, e.g. {sorted(map(str, orphans))[:3]}"
        )

    first_events = collections.Counter(
        CaseEvent.objects.filter(kind=EventKind.SUBMITTED).values_list("case_id", flat=True)
    )
    receipts = collections.Counter(
        Notification.objects.filter(template="petition_received", channel=Channel.SMS).values_list(
            "petition_id", flat=True
        )
    )
    problems = {
        "no petition for its key": 0,
        "a petition with another tracking code": 0,
        "no case": 0,
        "not exactly one first event": 0,
        "not exactly one receipt": 0,
    }
    for s in answered:
        row = petitions.get(s.key)
        if row is None:
            problems["no petition for its key"] += 1
            continue
        if row["tracking_code"] != s.tracking_code:
            problems["a petition with another tracking code"] += 1
        if row["case__pk"] is None:
            problems["no case"] += 1
        elif first_events[row["case__pk"]] != 1:
            problems["not exactly one first event"] += 1
        if receipts[row["pk"]] != 1:
            problems["not exactly one receipt"] += 1
    for what, count in problems.items():
        if count:
            fail(f"{count} successful submissions with {what}")

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
    report.notes.append(
        "attachments: the API takes no photos, so none were filed; they are claimed in the petition's "
        "own transaction and covered by the portal's tests"
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
def search_server(kind: str) -> Iterator[str | None]:
    if kind == "database":
        yield None
        return
    from osmem_server import OsmemServer

    server = OsmemServer.start(japanese=False)
    try:
        yield server.url
    finally:
        server.close()


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
        with search_server(args.search) as search_url:
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
                "RATE_SUBMIT_IP": "1000000/h",
                "RATE_SUBMIT_PHONE": "1000000/h",
                "LOG_LEVEL": "WARNING",
                "LOG_FORMAT": "plain",
            }
            for name in ("ELASTICSEARCH_URL", "SEARCH_INDEX_ALIAS", "SEARCH_ES_PLAIN_JSON"):
                env.pop(name, None)
            if search_url:
                env.update(
                    ELASTICSEARCH_URL=search_url, SEARCH_INDEX_ALIAS=INDEX_ALIAS, SEARCH_ES_PLAIN_JSON="1"
                )
            os.environ.update(env)

            print("setting up: migrate, load_units" + (", search_init" if search_url else ""))
            commands = [["migrate", "-v", "0"], ["load_units", "-v", "0"]]
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

            categories = list(Category.objects.values_list("code", flat=True))
            communes = list(
                Unit.objects.filter(level=Level.COMMUNE, is_active=True).values_list("code", flat=True)
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

            load = Load(port, categories, communes, args.rate, args.concurrency)
            print(
                f"load: {args.duration:.0f} s, {args.concurrency} clients, ~{args.rate:g} petitions/s; "
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
    print()
    print(f"kills: {len(report.kills)} ({', '.join(f'{k.target}@{k.at_seconds}s' for k in report.kills)})")
    print(
        f"submissions: {n.get('submissions')} in {n.get('load_seconds')} s, {n.get('requests')} requests; "
        f"answers {n.get('answers')}"
    )
    print(
        f"succeeded: {n.get('succeeded')} ({n.get('created_201')} created, {n.get('replayed_200')} "
        f"idempotent replays), {n.get('retried_after_connection_failure')} retried after a lost "
        f"connection, {n.get('client_errors')} client errors, {n.get('unanswered')} unanswered"
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
    parser.add_argument("--seed", type=int, default=int(time.time()), help="random seed (kill moments, data)")
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    parser.add_argument("--redis-url", default=DEFAULT_REDIS_URL)
    parser.add_argument("--search", choices=("osmem", "database"), default="osmem")
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
