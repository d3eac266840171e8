"""Intake: CPU per petition and throughput through the real HTTP path, side by side with hello-world
and with django-helpdesk's public ticket form, all in one run.

    .venv/bin/python bench/intake.py [--duration 10] [--connections 8] [--threads 2] [--warmup 2]
        [--only healthz,hello,api,form,helpdesk] [--no-helpdesk] [--helpdesk-venv /tmp/helpdesk-venv]
        [--helpdesk-database-url URL] [--stats-wait 1.5] [--json out.json]

What it runs:

1. its own PostgreSQL database (``--database-url``, default ``postgres://postgres@127.0.0.1:5432/
   petitions_bench_intake``): created with autocommit if missing, migrated, units loaded with
   ``manage.py load_units`` when there are none; static files collected into the run's temporary
   directory (``DEBUG`` off: the pages name files from the manifest). No other database is touched;
2. daphne serving ``config.asgi:application`` on a free loopback port, one process as in production
   (``-v 0``, ``DJANGO_DEBUG=0``), with ``DJANGO_SETTINGS_MODULE=intake_settings`` (``bench/`` on
   ``PYTHONPATH``): the project's settings unchanged but for the root URLconf, ``bench/intake_urls.py``,
   which is the project's URLs plus ``/bench/hello/`` (an empty view behind the full middleware stack)
   and ``/bench/sql/`` (statements counted per thread kind by ``bench/intake_sql.py``, a wrapper on
   every connection). ``DATABASE_URL`` set (the project's own database settings, its connection pool
   included), Redis db 8 (``--redis-url``; cache, rate limits and channel layer, under prefixes of this
   run's own; db 8 is emptied with FLUSHDB first, never another one), the rate limits raised
   (``RATE_SUBMIT_IP``, ``RATE_SUBMIT_PHONE``) and the form's bot wait off (``PORTAL_MIN_FORM_SECONDS=0``)
   so that they do not decide the result, in-process jobs (the default) and the in-memory SMS and
   email transports;
3. django-helpdesk 2.6.1 (``bench/helpdesk/``: settings, URLs, ASGI module, set-up script and pinned
   ``requirements.txt``; its code never in the repo) in its own virtualenv (``--helpdesk-venv``,
   created from the requirements when missing) and its own database (``--helpdesk-database-url``,
   default ``helpdesk_bench``; the name must contain ``bench``), migrated, with a queue open to public
   submissions; served by the same server software as the portal (daphne 4.2.3 on Twisted, Django
   5.2.19, one process: Django's own ASGI handler), ``DEBUG`` off, Django's default middleware,
   ``CONN_MAX_AGE`` 0 (Django's default: no pool, as its guide leaves it), local-memory email;
4. the phases, one after the other, each after a warm-up (``--warmup`` seconds) and measured for
   ``--duration`` seconds at ``--connections`` connections:

   - ``healthz``: ``wrk``, ``GET /healthz`` (answered by the first middleware, no database);
   - ``hello``: ``wrk``, ``GET /bench/hello/`` (the empty view behind all of the project's middleware);
   - ``api``: ``wrk``, ``POST /api/v1/petitions/`` (JSON, no CSRF): every request a new petition with
     its own phone number and ``Idempotency-Key``, categories and communes varying (validation,
     routing, deadline in working days, the ``submitted`` event, the SMS receipt's outbox row drained
     after commit by the in-process jobs);
   - ``form``: the citizen's form flow, on Python threads (``bench/flows.py``; wrk cannot carry
     cookies and hidden fields from one request to the next), one keep-alive connection each: a new
     visitor ``GET /submit/``, its CSRF token and signed stamp parsed, ``POST /submit/`` as
     ``multipart/form-data`` (its own phone and text), the redirect followed to ``/submit/received/``
     and the tracking code read from it. One flow = these three requests;
   - ``helpdesk``: the same for django-helpdesk's public "submit a ticket": ``GET /tickets/submit/``,
     ``POST`` (CSRF, queue, title, body, priority, e-mail), ``GET /view/?ticket=…&email=…&key=…``;

5. for each phase, from its start until its SMS receipts are sent: the server's CPU (utime + stime of
   the daphne process, all its threads) and PostgreSQL's (every process of the cluster: the
   postmaster, its live children and, through the postmaster's cutime + cstime, the children that
   exited, i.e. the backends of closed connections; minus what backends connected to other databases
   spent meanwhile, so that other people's work on the same cluster is left out, except connections to
   other databases that opened and closed within the phase: ``other_databases_commits`` shows them),
   per request (per flow for the form phases) and its sum; ``pg_stat_database`` deltas of the phase's
   database per request (commits, rows read, inserted, updated, new connections), read
   ``--stats-wait`` seconds after the phase (backends report within about a second); SQL statements
   per request, on the request path and on the jobs thread;
6. afterwards, in the database: every tracking code answered with a 201, and every receipt page's
   code, exists (nothing lost); each new petition has exactly one case, one event and one notification,
   sent; new petitions beyond those seen can only be requests wrk abandoned in flight when it stopped
   (at most one per connection) or form posts whose receipt page failed (nothing extra); every
   helpdesk ticket seen exists, with its one follow-up, and no other was added.

It prints per phase the rate, latency (p50/p95/p99/max), CPU per request or flow (server, database,
total) and SQL statements; the ratios (hello/healthz, API/healthz, API/hello, API petitions/s ÷
helpdesk flows/s, form flows/s ÷ helpdesk flows/s); and the goals of issue 19 marked met or missed:
API server + database CPU ≤ 15 ms per petition and ≥ 0.5 of hello; form flow ≤ 30 ms of CPU;
API ≥ 3 × and form ≥ 2 × helpdesk's rate. ``--json`` writes all of it (``hello_world``, ``intake`` and
``ratio_intake_to_hello_world`` keep their earlier meaning: ``/healthz`` and the API). Exit status 1
when a database check fails or a request failed; a missed goal is not a failure.

CPU per unit of work holds steadier than rates on a shared machine, but the load generators (wrk;
the flows' Python threads, whose CPU is reported as ``client_cpu_ms_per_flow``) share the cores.
"""

from __future__ import annotations

import argparse
import atexit
import datetime as dt
import json
import os
import platform
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from common import (
    cluster_cpu_seconds,
    cpu_seconds,
    free_port,
    git_revision,
    loadavg,
    memory_gib,
    postmaster_pid,
    wait_for,
)
from flows import HelpdeskFlow, PortalFlow, run_flows

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
PYTHON = ROOT / ".venv" / "bin" / "python"
DAPHNE = ROOT / ".venv" / "bin" / "daphne"
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/petitions_bench_intake"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/8"
#: The only Redis database this script empties.
FLUSHABLE_REDIS_DB = 8
#: High enough that no limit is reached in a run (django-ratelimit: count/period).
UNLIMITED_RATE = "100000000/h"

TITLES = (
    "Rác thải ùn ứ trên phố Hàng Bông",
    "Đường ngập sâu sau mỗi trận mưa lớn",
    "Đèn đường hỏng nhiều tuần chưa sửa",
    "Tiếng ồn karaoke kéo dài sau 22 giờ",
    "Nước sinh hoạt bị đục và có mùi lạ",
    "Vỉa hè bị lấn chiếm làm nơi để xe",
)
TEXT = (
    "Kính gửi cơ quan chức năng, tình trạng này kéo dài đã nhiều ngày nay, ảnh hưởng đến sinh hoạt "
    "của các hộ dân trong khu phố. Đề nghị các cơ quan kiểm tra và có biện pháp khắc phục sớm."
)

#: django-helpdesk's tickets, in English (its default language here).
TITLES_EN = (
    "Rubbish piling up on Hang Bong street",
    "Street floods after every heavy rain",
    "Street lights broken for weeks",
    "Karaoke noise after 10 pm",
    "Tap water cloudy and smelly",
    "Pavement taken over for parking",
)
TEXT_EN = (
    "Dear officials, this has gone on for many days now and affects the households of the "
    "neighbourhood. Please inspect it and put it right soon."
)
HELLO_PATH = "/bench/hello/"
#: In the order they run.
PHASES = ("healthz", "hello", "api", "form", "helpdesk")

WRK_SCRIPT = r"""
-- Written by bench/intake.py. MODE "get": GET_PATH each time; "post": a new petition each time.
local MODE = "%(mode)s"
local RUN = "%(run)s"
local CATEGORIES = {%(categories)s}
local COMMUNES = {%(communes)s}
local TITLES = {%(titles)s}
local REST = [==[%(rest)s]==]
local CODES_FILE = "%(codes_file)s"
local GET_PATH = "%(get_path)s"
local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("tid", #threads)
end

function init(args)
  statuses = {}
  codes = {}
  sent = 0
  counter = 0
  math.randomseed(tid * 7919 + os.time())
end

if MODE == "post" then
  function request()
    counter = counter + 1
    sent = sent + 1
    local n = tid * 1000000 + counter
    local phone = string.format("091%%07d", n %% 10000000)
    local body = '{"category":"' .. CATEGORIES[math.random(#CATEGORIES)] ..
      '","commune":"' .. COMMUNES[math.random(#COMMUNES)] ..
      '","phone":"' .. phone ..
      '","title":"' .. TITLES[math.random(#TITLES)] .. '",' .. REST .. '}'
    return wrk.format("POST", "/api/v1/petitions/", {
      ["Content-Type"] = "application/json",
      ["Idempotency-Key"] = RUN .. "-" .. tid .. "-" .. counter,
    }, body)
  end
else
  function request()
    sent = sent + 1
    return wrk.format("GET", GET_PATH)
  end
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
  if status == 201 and CODES_FILE ~= "" then
    local code = string.match(body, '"tracking_code":"([^"]+)"')
    if code then codes[#codes + 1] = code end
  end
end

function done(summary, latency, requests)
  local all, total_sent, out = {}, 0, nil
  if CODES_FILE ~= "" then out = io.open(CODES_FILE, "w") end
  for _, thread in ipairs(threads) do
    total_sent = total_sent + thread:get("sent")
    for status, count in pairs(thread:get("statuses")) do
      all[tostring(status)] = (all[tostring(status)] or 0) + count
    end
    if out then
      for _, code in ipairs(thread:get("codes")) do out:write(code, "\n") end
    end
  end
  if out then out:close() end
  local parts = {}
  for status, count in pairs(all) do parts[#parts + 1] = '"' .. status .. '":' .. count end
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"duration_us":%%d,"requests":%%d,"sent":%%d,"bytes":%%d,' ..
    '"errors":{"connect":%%d,"read":%%d,"write":%%d,"status":%%d,"timeout":%%d},' ..
    '"latency_us":{"p50":%%d,"p90":%%d,"p95":%%d,"p99":%%d,"max":%%d,"mean":%%.1f},"statuses":{%%s}}\n',
    summary.duration, summary.requests, total_sent, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(95), latency:percentile(99),
    latency.max, latency.mean, table.concat(parts, ",")))
end
"""


def lua_list(values: list[str] | tuple[str, ...]) -> str:
    return ",".join(json.dumps(value, ensure_ascii=False) for value in values)


def postgres_url(url: str) -> str:
    """The URL as libpq takes it (``postgres://`` works too, but not Django's ``postgresql+...``)."""
    return url.replace("postgres://", "postgresql://", 1)


def ensure_database(database_url: str) -> bool:
    """Create the database of ``database_url`` (PostgreSQL only) with autocommit if missing."""
    import psycopg
    from psycopg import sql

    parts = urlsplit(database_url)
    if parts.scheme not in ("postgres", "postgresql"):
        raise SystemExit(f"intake needs PostgreSQL; got {database_url}")
    name = parts.path.lstrip("/")
    if not name:
        raise SystemExit(f"no database name in {database_url}")
    admin = postgres_url(parts._replace(path="/postgres").geturl())
    with psycopg.connect(admin, autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            return False
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return True


def query(database_url: str, sql_text: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    import psycopg

    with psycopg.connect(postgres_url(database_url), autocommit=True) as conn:
        return list(conn.execute(sql_text, params).fetchall())


def prepare_database(database_url: str, env: dict[str, str]) -> dict[str, Any]:
    created = ensure_database(database_url)
    subprocess.run(  # noqa: S603 (our own command)
        [str(PYTHON), "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True
    )
    units = query(database_url, "SELECT count(*) FROM routing_unit")[0][0]
    if not units:
        subprocess.run([str(PYTHON), "manage.py", "load_units", "-v", "0"], cwd=ROOT, env=env, check=True)  # noqa: S603
        units = query(database_url, "SELECT count(*) FROM routing_unit")[0][0]
    version = query(database_url, "SHOW server_version")[0][0]
    return {"created": created, "units": units, "postgresql": version}


def flush_redis(redis_url: str) -> bool:
    """FLUSHDB on db 8 only (never FLUSHALL); any other db is left alone (the run's prefixes suffice)."""
    import redis

    client = redis.Redis.from_url(redis_url)
    try:
        db = int(client.connection_pool.connection_kwargs.get("db", 0))
        if db != FLUSHABLE_REDIS_DB:
            return False
        client.flushdb()
        return True
    finally:
        client.close()


def server_env(args: argparse.Namespace, port: int, var_dir: Path, run: str) -> dict[str, str]:
    env = {
        **os.environ,
        # The project's settings with two bench-only URLs (bench/intake_settings.py): /bench/hello/
        # behind the full middleware stack, /bench/sql/ (statements counted by bench/intake_sql.py).
        "DJANGO_SETTINGS_MODULE": "intake_settings",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(BENCH), str(ROOT), os.environ.get("PYTHONPATH")])),
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(48),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        "DJANGO_VAR_DIR": str(var_dir),
        "DATABASE_URL": args.database_url,
        "DB_CONN_MAX_AGE": str(args.conn_max_age),
        "REDIS_URL": args.redis_url,
        "CACHE_KEY_PREFIX": f"bench-intake-{run}",
        "CHANNEL_PREFIX": f"bench-intake-{run}",
        "JOBS_BACKEND": "inprocess",
        "SMS_BACKEND": "notifications.transports.sms.LocmemSmsBackend",
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "LOG_LEVEL": "WARNING",
        "RATE_SUBMIT_IP": UNLIMITED_RATE,
        "RATE_SUBMIT_PHONE": UNLIMITED_RATE,
        # The form's bot check (a form sent within N seconds of being shown is refused): the flow
        # posts at once, so 0 here; the signed stamp is still parsed, checked and keyed on.
        "PORTAL_MIN_FORM_SECONDS": "0",
    }
    env.pop("ELASTICSEARCH_URL", None)  # the database search backend: no search outbox
    return env


def run_wrk(
    args: argparse.Namespace,
    *,
    url: str,
    script: Path,
    duration: float,
    server_pid: int,
) -> dict[str, Any]:
    command = [
        args.wrk,
        f"--threads={args.threads}",
        f"--connections={args.connections}",
        f"--duration={max(1, round(duration))}s",
        f"--timeout={args.timeout}s",
        f"--script={script}",
        url,
    ]
    cpu_before = cpu_seconds(server_pid)
    finished = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603 (wrk)
    server_cpu = cpu_seconds(server_pid) - cpu_before
    line = next((row for row in finished.stdout.splitlines() if row.startswith("WRK_JSON ")), None)
    if finished.returncode != 0 or line is None:
        raise SystemExit(f"wrk failed ({finished.returncode}):\n{finished.stdout}\n{finished.stderr}")
    raw = json.loads(line.removeprefix("WRK_JSON "))
    seconds = raw["duration_us"] / 1e6
    latency = {key: round(value / 1000, 2) for key, value in raw["latency_us"].items()}
    socket_errors = {k: v for k, v in raw["errors"].items() if k != "status"}
    return {
        "url": url,
        "seconds": round(seconds, 2),
        "requests": raw["requests"],
        "sent": raw["sent"],
        "requests_per_second": round(raw["requests"] / seconds, 1) if seconds else 0.0,
        "latency_ms": latency,
        "statuses": {int(k): v for k, v in sorted(raw["statuses"].items())},
        "socket_errors": socket_errors,
        "server_cpu_seconds": round(server_cpu, 1),
        "server_cpu_share": round(server_cpu / seconds, 2) if seconds else 0.0,
    }


def counts(database_url: str) -> dict[str, int]:
    row = query(
        database_url,
        """
        SELECT (SELECT count(*) FROM petitions_petition), (SELECT count(*) FROM routing_case),
               (SELECT count(*) FROM routing_caseevent), (SELECT count(*) FROM notifications_notification),
               (SELECT coalesce(max(id), 0) FROM petitions_petition)
        """,
    )[0]
    return dict(zip(("petitions", "cases", "events", "notifications", "max_petition_id"), row, strict=True))


def wait_for_drain(database_url: str, since_id: int, timeout: float = 60.0) -> int:
    """Wait until the receipts of the new petitions are sent by the in-process drain; the rows left."""
    deadline = time.monotonic() + timeout
    while True:
        left = query(
            database_url,
            "SELECT count(*) FROM notifications_notification WHERE petition_id > %s AND status <> 'sent'",
            (since_id,),
        )[0][0]
        if not left or time.monotonic() > deadline:
            return int(left)
        time.sleep(0.5)


def verify(database_url: str, before: dict[str, int], codes: list[str], in_flight: int) -> dict[str, Any]:
    after = counts(database_url)
    since = before["max_petition_id"]
    new_codes = {
        row[0]
        for row in query(database_url, "SELECT tracking_code FROM petitions_petition WHERE id > %s", (since,))
    }
    answered = set(codes)
    per_petition = query(
        database_url,
        """
        SELECT
          count(*) FILTER (WHERE (SELECT count(*) FROM routing_case c WHERE c.petition_id = p.id) <> 1),
          count(*) FILTER (WHERE (SELECT count(*) FROM routing_caseevent e JOIN routing_case c
                                  ON e.case_id = c.id WHERE c.petition_id = p.id) <> 1),
          count(*) FILTER (WHERE (SELECT count(*) FROM notifications_notification n
                                  WHERE n.petition_id = p.id AND n.status = 'sent') <> 1)
        FROM petitions_petition p WHERE p.id > %s
        """,
        (since,),
    )[0]
    delta = {key: after[key] - before[key] for key in ("petitions", "cases", "events", "notifications")}
    lost = sorted(answered - new_codes)
    extra = len(new_codes - answered)
    checks = {
        "every_201_in_database": not lost and len(answered) == len(codes),
        "one_case_per_petition": per_petition[0] == 0 and delta["cases"] == delta["petitions"],
        "one_event_per_petition": per_petition[1] == 0 and delta["events"] == delta["petitions"],
        "one_sent_notification_per_petition": per_petition[2] == 0
        and delta["notifications"] == delta["petitions"],
        "extra_rows_only_from_requests_in_flight": extra <= in_flight,
    }
    return {
        "responses_201": len(codes),
        "rows_added": delta,
        "lost": len(lost),
        "lost_examples": lost[:5],
        "extra_petitions": extra,
        "requests_in_flight_at_stop": in_flight,
        "petitions_without_exactly_one": {
            "case": per_petition[0],
            "event": per_petition[1],
            "sent_notification": per_petition[2],
        },
        "checks": checks,
        "ok": all(checks.values()),
    }


def write_script(
    path: Path,
    *,
    mode: str,
    run: str,
    categories: list[str],
    communes: list[str],
    codes: str,
    get_path: str = "/healthz",
) -> None:
    rest = json.dumps({"submitter_name": "Nguyễn Văn An", "text": TEXT, "language": "vi"}, ensure_ascii=False)
    path.write_text(
        WRK_SCRIPT
        % {
            "mode": mode,
            "run": run,
            "categories": lua_list(categories),
            "communes": lua_list(communes),
            "titles": lua_list(TITLES),
            "rest": rest[1:-1],
            "codes_file": codes,
            "get_path": get_path,
        },
        encoding="utf-8",
    )


def wrk_version(wrk: str) -> str:
    done = subprocess.run([wrk, "-v"], capture_output=True, text=True, check=False)  # noqa: S603 (wrk)
    return (done.stdout.splitlines() or ["unknown"])[0].strip()


def machine() -> dict[str, Any]:
    return {
        "cores": os.cpu_count(),
        "memory_gib": memory_gib(),
        "python": platform.python_version(),
        "load_average": loadavg(),
    }


class Meter:
    """CPU and database work of one phase: the server process, the whole PostgreSQL cluster, the
    target database's ``pg_stat_database`` counters, and the server's SQL statements.

    Readings go through two connections opened once (to ``postgres`` for the statistics, to the
    target database for the drain), so that measuring adds no connection to what is measured.
    """

    STAT_COLUMNS = (
        "xact_commit",
        "xact_rollback",
        "tup_returned",
        "tup_fetched",
        "tup_inserted",
        "tup_updated",
        "tup_deleted",
        "sessions",
    )

    def __init__(self, database_url: str, stats_wait: float) -> None:
        import psycopg

        self.stats_wait = stats_wait
        self.stats = psycopg.connect(postgres_url(_with_database(database_url, "postgres")), autocommit=True)
        data_directory = self.stats.execute("SHOW data_directory").fetchone()[0]  # type: ignore[index]
        self.postmaster = postmaster_pid(data_directory)
        self.connections: dict[str, Any] = {}

    def close(self) -> None:
        self.stats.close()
        for conn in self.connections.values():
            conn.close()

    def _db(self, database_url: str) -> Any:
        import psycopg

        if database_url not in self.connections:
            self.connections[database_url] = psycopg.connect(postgres_url(database_url), autocommit=True)
        return self.connections[database_url]

    def drain(self, database_url: str, since_id: int, timeout: float = 60.0) -> int:
        """Wait until the receipts of petitions after ``since_id`` are sent; the rows left unsent."""
        deadline = time.monotonic() + timeout
        conn = self._db(database_url)
        while True:
            left = conn.execute(
                "SELECT count(*) FROM notifications_notification WHERE petition_id > %s AND status <> 'sent'",
                (since_id,),
            ).fetchone()[0]
            if not left or time.monotonic() > deadline:
                return int(left)
            time.sleep(0.2)

    def cpu(self, server_pid: int, database: str) -> dict[str, Any]:
        """CPU so far of the server, of the cluster, and of each backend connected to another database
        (other people's work on the same cluster, and this script's own statistics connection)."""
        others = self.stats.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname IS NOT NULL AND datname <> %s", (database,)
        ).fetchall()
        return {
            "at": time.monotonic(),
            "server": cpu_seconds(server_pid),
            "database": cluster_cpu_seconds(self.postmaster) if self.postmaster else float("nan"),
            "others": {pid: cpu_seconds(pid) for (pid,) in others},
        }

    def counters(self, sql_url: str | None) -> dict[str, Any]:
        rows = self.stats.execute(
            f"SELECT datname, {', '.join(self.STAT_COLUMNS)} FROM pg_stat_database WHERE datname IS NOT NULL"  # noqa: S608 (constant columns)
        ).fetchall()
        sql: dict[str, int] = {}
        if sql_url:
            with urllib.request.urlopen(sql_url, timeout=10) as answer:  # noqa: S310 (loopback)
                sql = json.loads(answer.read())
        return {
            "databases": {row[0]: dict(zip(self.STAT_COLUMNS, row[1:], strict=True)) for row in rows},
            "sql": sql,
        }

    def begin(self, server_pid: int, sql_url: str | None, database: str) -> dict[str, Any]:
        return {"counters": self.counters(sql_url), "cpu": self.cpu(server_pid, database)}

    def end(
        self,
        begun: dict[str, Any],
        *,
        server_pid: int,
        sql_url: str | None,
        database: str,
        units: int,
        seconds: float,
    ) -> dict[str, Any]:
        """The phase's costs per unit of work (a request or a flow), read after the drain: CPU at
        once, the statistics after ``stats_wait`` (backends report them within about a second)."""
        cpu = self.cpu(server_pid, database)
        time.sleep(self.stats_wait)
        counters = self.counters(sql_url)
        server = cpu["server"] - begun["cpu"]["server"]
        cluster = cpu["database"] - begun["cpu"]["database"]
        # Backends of other databases seen at the end: what they spent during the phase (all of it
        # when they connected during it) is not this phase's. Those that connected and left
        # within the phase cannot be told apart: "other_databases_commits" shows whether there were any.
        foreign = sum(
            max(0.0, value - begun["cpu"]["others"].get(pid, 0.0)) for pid, value in cpu["others"].items()
        )
        db_cpu = cluster - foreign
        window = cpu["at"] - begun["cpu"]["at"]
        per = 1000 / units if units else float("nan")
        before_dbs, after_dbs = begun["counters"]["databases"], counters["databases"]
        target = {
            column: after_dbs.get(database, {}).get(column, 0) - before_dbs.get(database, {}).get(column, 0)
            for column in self.STAT_COLUMNS
        }
        others = {
            name: after_dbs[name]["xact_commit"] - before_dbs.get(name, {}).get("xact_commit", 0)
            for name in after_dbs
            if name not in (database, "postgres")
        }
        sql = {kind: value - begun["counters"]["sql"].get(kind, 0) for kind, value in counters["sql"].items()}
        result: dict[str, Any] = {
            "units": units,
            "cpu_window_seconds": round(window, 2),
            "server_cpu_seconds": round(server, 2),
            "database_cpu_seconds": round(db_cpu, 2),
            "server_cpu_ms": round(server * per, 2),
            "database_cpu_ms": round(db_cpu * per, 2),
            "cluster_cpu_seconds": round(cluster, 2),
            "other_databases_backends_cpu_seconds": round(foreign, 2),
            "total_cpu_ms": round((server + db_cpu) * per, 2),
            "server_cpu_share": round(server / seconds, 2) if seconds else 0.0,
            "database_cpu_share": round(db_cpu / seconds, 2) if seconds else 0.0,
            "database_per_unit": {
                column: round(value / units, 2) if units else None for column, value in target.items()
            },
            "database_totals": target,
            "other_databases_commits": sum(others.values()),
        }
        if sql_url:
            result["sql_per_unit"] = {
                kind: round(value / units, 2) if units else None for kind, value in sql.items()
            }
            result["sql_per_unit"]["all"] = round(sum(sql.values()) / units, 2) if units else None
        return result


def _with_database(url: str, name: str) -> str:
    return urlsplit(url)._replace(path=f"/{name}").geturl()


# --- django-helpdesk, side by side -------------------------------------------------------------

HELPDESK_DIR = BENCH / "helpdesk"
HELPDESK_REQUIREMENTS = HELPDESK_DIR / "requirements.txt"
DEFAULT_HELPDESK_VENV = Path("/tmp/helpdesk-venv")  # noqa: S108 (outside the repo, on purpose)
DEFAULT_HELPDESK_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/helpdesk_bench"


def ensure_helpdesk_venv(venv: Path) -> str:
    """The virtualenv of ``bench/helpdesk/requirements.txt`` (created when missing); its helpdesk version."""
    python = venv / "bin" / "python"
    wanted = next(
        line.strip()
        for line in HELPDESK_REQUIREMENTS.read_text().splitlines()
        if line.startswith("django-helpdesk==")
    )
    if python.exists():
        frozen = subprocess.run(  # noqa: S603 (the venv's pip)
            [str(python), "-m", "pip", "freeze"], capture_output=True, text=True, check=False
        )
        if wanted in frozen.stdout.splitlines():
            return wanted
    print(f"creating {venv} ({wanted}) from {HELPDESK_REQUIREMENTS.relative_to(ROOT)}", flush=True)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)  # noqa: S603
    subprocess.run(  # noqa: S603
        [str(python), "-m", "pip", "install", "-q", "-r", str(HELPDESK_REQUIREMENTS)], check=True
    )
    return wanted


def helpdesk_env(database_url: str, workdir: Path) -> dict[str, str]:
    parts = urlsplit(database_url)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "VIRTUAL_ENV", "PYTHON"))}
    env.update(
        {
            "PYTHONPATH": f"{HELPDESK_DIR}{os.pathsep}{BENCH}",
            "DJANGO_SETTINGS_MODULE": "hdbench_settings",
            "HELPDESK_BENCH_SECRET_KEY": secrets.token_urlsafe(48),
            "HELPDESK_BENCH_DB_NAME": parts.path.lstrip("/"),
            "HELPDESK_BENCH_DB_USER": parts.username or "postgres",
            "HELPDESK_BENCH_DB_HOST": parts.hostname or "127.0.0.1",
            "HELPDESK_BENCH_DB_PORT": str(parts.port or 5432),
            "HELPDESK_BENCH_STATIC_ROOT": str(workdir / "helpdesk-static"),
            "HELPDESK_BENCH_MEDIA_ROOT": str(workdir / "helpdesk-media"),
        }
    )
    return env


def prepare_helpdesk(args: argparse.Namespace, env: dict[str, str]) -> dict[str, Any]:
    name = urlsplit(args.helpdesk_database_url).path.lstrip("/")
    if "bench" not in name:
        raise SystemExit(f"the helpdesk database's name must contain 'bench': {name}")
    version = ensure_helpdesk_venv(args.helpdesk_venv)
    created = ensure_database(args.helpdesk_database_url)
    done = subprocess.run(  # noqa: S603 (our own script)
        [str(args.helpdesk_venv / "bin" / "python"), str(HELPDESK_DIR / "hdbench_setup.py")],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode:
        raise SystemExit(f"helpdesk set-up failed:\n{done.stdout}\n{done.stderr}")
    return {"version": version, "database": name, "created": created, "setup": done.stdout.strip()}


def helpdesk_tickets(database_url: str) -> int:
    return int(query(database_url, "SELECT coalesce(max(id), 0) FROM helpdesk_ticket")[0][0])


def verify_helpdesk(database_url: str, since_id: int, flows: dict[str, Any]) -> dict[str, Any]:
    """Every ticket a flow saw exists; no ticket beyond the flows' accepted POSTs."""
    rows = query(
        database_url,
        "SELECT t.id, q.slug, (SELECT count(*) FROM helpdesk_followup f WHERE f.ticket_id = t.id) "
        "FROM helpdesk_ticket t JOIN helpdesk_queue q ON q.id = t.queue_id WHERE t.id > %s",
        (since_id,),
    )
    created = {f"{slug}-{pk}" for pk, slug, _followups in rows}
    seen = set(flows["results"])
    checks = {
        "every_ticket_seen_in_database": seen <= created and len(seen) == len(flows["results"]),
        "one_followup_per_ticket": all(followups == 1 for _pk, _slug, followups in rows),
        "extra_tickets_only_from_posts_without_page": len(created - seen) <= flows["posted_without_page"],
    }
    return {
        "tickets_added": len(rows),
        "tickets_seen": len(seen),
        "checks": checks,
        "ok": all(checks.values()),
    }


# --- output ----------------------------------------------------------------------------------


def fmt_latency(lat: dict[str, float]) -> str:
    if not lat:
        return "no latency"
    return (
        f"p50 {lat['p50']:>7.1f}  p95 {lat['p95']:>7.1f}  p99 {lat['p99']:>7.1f}  max {lat['max']:>8.1f} ms"
    )


def summary_line(name: str, phase: dict[str, Any], unit: str = "req") -> str:
    cost = phase.get("cost", {})
    rate = phase["flows_per_second"] if unit == "flow" else phase["requests_per_second"]
    sql = cost.get("sql_per_unit", {})
    sql_text = f"  SQL/{unit} {sql.get('all', 0):.1f} (request {sql.get('request', 0):.1f})" if sql else ""
    return (
        f"{name:<26} {rate:>8,.1f} {unit}/s  {fmt_latency(phase['latency_ms'])}  "
        f"CPU/{unit} server {cost.get('server_cpu_ms', float('nan')):6.2f} + DB "
        f"{cost.get('database_cpu_ms', float('nan')):6.2f} = {cost.get('total_cpu_ms', float('nan')):6.2f} ms"
        f"{sql_text}  errors {phase['errors']}"
    )


def goal(value: float | None, target: float, *, at_most: bool) -> dict[str, Any]:
    met = value is not None and value == value and (value <= target if at_most else value >= target)
    return {"value": value, "target": f"{'≤' if at_most else '≥'} {target:g}", "met": met}


def ratio(a: float, b: float) -> float | None:
    """a ÷ b, or None when either phase did not run (or did nothing)."""
    return round(a / b, 3) if a and b else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--duration", type=float, default=10.0, help="seconds of each measurement (default 10)"
    )
    parser.add_argument("--connections", type=int, default=8, help="open connections (default 8)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    parser.add_argument(
        "--warmup", type=float, default=2.0, help="seconds of warm-up before each (default 2)"
    )
    parser.add_argument("--timeout", type=int, default=10, help="request timeout, seconds (default 10)")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_INTAKE_DATABASE_URL", DEFAULT_DATABASE_URL),
        help=f"default {DEFAULT_DATABASE_URL} (created if missing)",
    )
    parser.add_argument("--redis-url", default=DEFAULT_REDIS_URL, help=f"default {DEFAULT_REDIS_URL}")
    parser.add_argument(
        "--conn-max-age",
        type=int,
        default=0,
        help="DB_CONN_MAX_AGE of the server (default 0, as in production)",
    )
    parser.add_argument("--communes", type=int, default=200, help="communes the petitions are spread over")
    parser.add_argument("--wrk", default=shutil.which("wrk") or "wrk", help="the wrk binary")
    parser.add_argument(
        "--only",
        type=lambda value: [name.strip() for name in value.split(",") if name.strip()],
        default=list(PHASES),
        help=f"phases to run, comma-separated (default all: {','.join(PHASES)})",
    )
    parser.add_argument("--no-helpdesk", action="store_true", help="leave out django-helpdesk's phase")
    parser.add_argument(
        "--helpdesk-venv", type=Path, default=DEFAULT_HELPDESK_VENV, help=f"default {DEFAULT_HELPDESK_VENV}"
    )
    parser.add_argument(
        "--helpdesk-database-url",
        default=DEFAULT_HELPDESK_DATABASE_URL,
        help=f"default {DEFAULT_HELPDESK_DATABASE_URL} (created if missing; the name must contain 'bench')",
    )
    parser.add_argument(
        "--stats-wait",
        type=float,
        default=1.5,
        help="seconds between a phase's end and reading pg_stat_database (default 1.5)",
    )
    parser.add_argument("--json", type=Path, help="write the results here")
    args = parser.parse_args(argv)
    if args.connections < args.threads:
        parser.error("--connections must be at least --threads")
    unknown = set(args.only) - set(PHASES)
    if unknown:
        parser.error(f"unknown phases: {', '.join(sorted(unknown))}")
    if args.no_helpdesk and "helpdesk" in args.only:
        args.only.remove("helpdesk")
    if not shutil.which(args.wrk):
        raise SystemExit("wrk is missing: apt-get install -y wrk")

    # A plain kill (run_all.py's timeout) still stops the servers through the finally below.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    started = dt.datetime.now(dt.UTC)
    run = f"{started:%Y%m%d%H%M%S}-{secrets.token_hex(3)}"
    port = free_port()
    workdir = Path(tempfile.mkdtemp(prefix="intake-bench-"))
    atexit.register(shutil.rmtree, workdir, ignore_errors=True)  # also after SIGTERM (sys.exit)
    env = server_env(args, port, workdir, run)
    database = prepare_database(args.database_url, env)
    if "form" in args.only:
        # DEBUG off: the portal's pages name hashed static files from the manifest.
        subprocess.run(  # noqa: S603 (our own command)
            [str(PYTHON), "manage.py", "collectstatic", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True
        )
    flushed = flush_redis(args.redis_url)
    categories = [
        row[0] for row in query(args.database_url, "SELECT code FROM petitions_category ORDER BY code")
    ]
    category_ids = [
        str(row[0])
        for row in query(args.database_url, "SELECT id FROM petitions_category WHERE is_active ORDER BY code")
    ]
    places = query(
        args.database_url,
        "SELECT p.code, c.code FROM routing_unit c JOIN routing_unit p ON p.id = c.parent_id "
        "WHERE c.level = 'commune' ORDER BY md5(c.code) LIMIT %s",
        (args.communes,),
    )
    communes = [commune for _province, commune in places]
    if not categories or not communes:
        raise SystemExit("no categories or communes in the database")

    helpdesk: dict[str, Any] | None = None
    hd_env: dict[str, str] = {}
    hd_port = free_port()
    if "helpdesk" in args.only:
        hd_env = helpdesk_env(args.helpdesk_database_url, workdir)
        helpdesk = prepare_helpdesk(args, hd_env)
    print(
        f"PostgreSQL {database['postgresql']} ({urlsplit(args.database_url).path.lstrip('/')}), "
        f"{len(categories)} categories, {len(communes)} communes; Redis {args.redis_url} "
        f"({'emptied' if flushed else 'not emptied'}); daphne on 127.0.0.1:{port}"
        + (f"; {helpdesk['version']} on 127.0.0.1:{hd_port} ({helpdesk['database']})" if helpdesk else ""),
        flush=True,
    )
    get_script, hello_script, post_script = workdir / "get.lua", workdir / "hello.lua", workdir / "post.lua"
    codes_file = workdir / "codes.txt"
    common_script: dict[str, Any] = {"run": run, "categories": categories, "communes": communes, "codes": ""}
    write_script(get_script, mode="get", **common_script)
    write_script(hello_script, mode="get", get_path=HELLO_PATH, **common_script)
    write_script(post_script, mode="post", **common_script)
    measured_script = workdir / "post-measured.lua"
    write_script(
        measured_script, mode="post", **{**common_script, "run": run + "m", "codes": str(codes_file)}
    )

    base = f"http://127.0.0.1:{port}"
    target_db = urlsplit(args.database_url).path.lstrip("/")
    sql_url = f"{base}/bench/sql/"
    log = (workdir / "daphne.log").open("w")
    hd_log = (workdir / "helpdesk-daphne.log").open("w")
    servers: list[subprocess.Popen[bytes]] = []
    server = subprocess.Popen(  # noqa: S603 (our own server)
        [str(DAPHNE), "-v", "0", "-b", "127.0.0.1", "-p", str(port), "config.asgi:application"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    servers.append(server)
    hd_server: subprocess.Popen[bytes] | None = None
    if helpdesk:
        hd_server = subprocess.Popen(  # noqa: S603 (django-helpdesk under the same daphne)
            [
                str(args.helpdesk_venv / "bin" / "daphne"),
                "-v",
                "0",
                "-b",
                "127.0.0.1",
                "-p",
                str(hd_port),
                "hdbench_asgi:application",
            ],
            cwd=HELPDESK_DIR,
            env=hd_env,
            stdout=hd_log,
            stderr=subprocess.STDOUT,
        )
        servers.append(hd_server)
    results: dict[str, Any] = {
        "benchmark": "intake",
        "started_at": started.isoformat(timespec="seconds"),
        "revision": git_revision(),
        "parameters": {
            "duration": args.duration,
            "connections": args.connections,
            "threads": args.threads,
            "warmup": args.warmup,
            "timeout": args.timeout,
            "conn_max_age": args.conn_max_age,
            "communes": len(communes),
            "categories": len(categories),
            "phases": args.only,
            "stats_wait": args.stats_wait,
        },
        "setup": {
            "server": "daphne -v 0 (1 process), DJANGO_DEBUG=0, JOBS_BACKEND=inprocess, LocmemSmsBackend, "
            "DJANGO_SETTINGS_MODULE=intake_settings (config.settings + bench URLs), PORTAL_MIN_FORM_SECONDS=0",
            "database": urlsplit(args.database_url).path.lstrip("/"),
            "postgresql": database["postgresql"],
            "redis": args.redis_url,
            "load_generator": f"{wrk_version(args.wrk)}; form flows: Python threads (bench/flows.py), "
            f"{args.connections} keep-alive connections",
            "healthz": "GET /healthz, answered by the first middleware (config.health.HealthMiddleware)",
            "hello": f"GET {HELLO_PATH}: an empty view behind the project's full middleware stack",
            "api": "POST /api/v1/petitions/ (JSON API, petitions.services.petition_submit)",
            "form": "GET /submit/, POST it (multipart, CSRF, signed stamp), GET /submit/received/",
            "helpdesk": (
                f"{helpdesk['version']} (venv {args.helpdesk_venv}, database {helpdesk['database']}): "
                "GET /tickets/submit/, POST it (multipart, CSRF), GET /view/?ticket=…; the same daphne, "
                "one process, Django's ASGI handler, default middleware, CONN_MAX_AGE 0, locmem email"
            )
            if helpdesk
            else None,
            "cpu": "server: utime+stime of the daphne process; database: every process of the PostgreSQL "
            "cluster (postmaster, live children, and exited children through the postmaster's "
            "cutime+cstime), from the phase's start until its SMS receipts are sent",
        },
        "machine": machine(),
    }
    phases: dict[str, Any] = {}
    meter = Meter(args.database_url, args.stats_wait)
    results["setup"]["postgresql_cpu_measured"] = meter.postmaster is not None
    verification: dict[str, Any] = {}
    left = 0
    try:
        wait_for(f"{base}/healthz")
        if hd_server is not None:
            wait_for(f"http://127.0.0.1:{hd_port}/tickets/submit/")

        def wrk_phase(name: str, script: Path, warm: Path) -> dict[str, Any]:
            if args.warmup > 0:
                run_wrk(args, url=base, script=warm, duration=args.warmup, server_pid=server.pid)
            meter.drain(args.database_url, 0)
            begun = meter.begin(server.pid, sql_url, target_db)
            phase = run_wrk(args, url=base, script=script, duration=args.duration, server_pid=server.pid)
            meter.drain(args.database_url, 0)
            phase["cost"] = meter.end(
                begun,
                server_pid=server.pid,
                sql_url=sql_url,
                database=target_db,
                units=phase["requests"],
                seconds=phase["seconds"],
            )
            return phase

        if "healthz" in args.only:
            phases["healthz"] = wrk_phase("healthz", get_script, get_script)
            phases["healthz"]["errors"] = wrk_errors(phases["healthz"], 200)
            print(summary_line("healthz (first middleware)", phases["healthz"]), flush=True)
        if "hello" in args.only:
            phases["hello"] = wrk_phase("hello", hello_script, hello_script)
            phases["hello"]["errors"] = wrk_errors(phases["hello"], 200)
            print(summary_line("hello (full middleware)", phases["hello"]), flush=True)
        if "api" in args.only:
            if args.warmup > 0:
                run_wrk(args, url=base, script=post_script, duration=args.warmup, server_pid=server.pid)
            # The warm-up's requests wrk left in flight finish now, before the rows are counted.
            settle(args.database_url)
            meter.drain(args.database_url, 0)
            before = counts(args.database_url)
            begun = meter.begin(server.pid, sql_url, target_db)
            api = run_wrk(
                args, url=base, script=measured_script, duration=args.duration, server_pid=server.pid
            )
            left = meter.drain(args.database_url, before["max_petition_id"])
            api["cost"] = meter.end(
                begun,
                server_pid=server.pid,
                sql_url=sql_url,
                database=target_db,
                units=api["requests"],
                seconds=api["seconds"],
            )
            api["errors"] = wrk_errors(api, 201)
            codes = codes_file.read_text().split() if codes_file.exists() else []
            api["created_per_second"] = round(len(codes) / api["seconds"], 1) if api["seconds"] else 0.0
            phases["api"] = api
            print(summary_line("API POST petitions", api), flush=True)
            verification["api"] = verify(args.database_url, before, codes, api["sent"] - api["requests"])
            verification["api"]["notifications_not_sent_after_drain_wait"] = left
        if "form" in args.only:
            flow = PortalFlow(
                run=run,
                categories=category_ids,
                places=[(province, commune) for province, commune in places],
                titles=TITLES,
                text=TEXT,
            )
            if args.warmup > 0:
                warm = run_flows(
                    PortalFlow(
                        run=run + "w", categories=category_ids, places=list(places), titles=TITLES, text=TEXT
                    ),
                    host="127.0.0.1",
                    port=port,
                    connections=args.connections,
                    duration=args.warmup,
                    timeout=args.timeout,
                )
                if not warm["flows"]:
                    raise SystemExit(f"the form flow does not work: {warm['errors']} {warm['statuses']}")
            meter.drain(args.database_url, 0)
            before = counts(args.database_url)
            begun = meter.begin(server.pid, sql_url, target_db)
            form = run_flows(
                flow,
                host="127.0.0.1",
                port=port,
                connections=args.connections,
                duration=args.duration,
                timeout=args.timeout,
            )
            left_form = meter.drain(args.database_url, before["max_petition_id"])
            form["cost"] = meter.end(
                begun,
                server_pid=server.pid,
                sql_url=sql_url,
                database=target_db,
                units=form["flows"],
                seconds=form["seconds"],
            )
            form["errors"] = form["failed_flows"]
            receipts = form.pop("results")
            phases["form"] = form
            print(summary_line("form flow (3 requests)", form, "flow"), flush=True)
            verification["form"] = verify(args.database_url, before, receipts, form["posted_without_page"])
            verification["form"]["checks"]["every_receipt_petition_exists"] = verification["form"][
                "checks"
            ].pop("every_201_in_database")
            verification["form"]["notifications_not_sent_after_drain_wait"] = left_form
        if hd_server is not None:
            hd_flow = HelpdeskFlow(run=run, titles=TITLES_EN, text=TEXT_EN)
            if args.warmup > 0:
                warm = run_flows(
                    HelpdeskFlow(run=run + "w", titles=TITLES_EN, text=TEXT_EN),
                    host="127.0.0.1",
                    port=hd_port,
                    connections=args.connections,
                    duration=args.warmup,
                    timeout=args.timeout,
                )
                if not warm["flows"]:
                    raise SystemExit(f"helpdesk's flow does not work: {warm['errors']} {warm['statuses']}")
            since = helpdesk_tickets(args.helpdesk_database_url)
            hd_sql = f"http://127.0.0.1:{hd_port}/bench/sql/"
            begun = meter.begin(hd_server.pid, hd_sql, helpdesk["database"])  # type: ignore[index]
            hd = run_flows(
                hd_flow,
                host="127.0.0.1",
                port=hd_port,
                connections=args.connections,
                duration=args.duration,
                timeout=args.timeout,
            )
            hd["cost"] = meter.end(
                begun,
                server_pid=hd_server.pid,
                sql_url=hd_sql,
                database=helpdesk["database"],  # type: ignore[index]
                units=hd["flows"],
                seconds=hd["seconds"],
            )
            hd["errors"] = hd["failed_flows"]
            verification["helpdesk"] = verify_helpdesk(args.helpdesk_database_url, since, hd)
            hd.pop("results")
            phases["helpdesk"] = hd
            print(summary_line("helpdesk flow (3 requests)", hd, "flow"), flush=True)
    finally:
        meter.close()
        for process in servers:
            process.terminate()
        for process in servers:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        log.close()
        hd_log.close()

    def rate(name: str, key: str) -> float:
        return float(phases.get(name, {}).get(key) or 0.0)

    ratios = {
        "hello_to_healthz": ratio(
            rate("hello", "requests_per_second"), rate("healthz", "requests_per_second")
        ),
        "api_to_healthz": ratio(rate("api", "requests_per_second"), rate("healthz", "requests_per_second")),
        "api_to_hello": ratio(rate("api", "requests_per_second"), rate("hello", "requests_per_second")),
        "api_petitions_to_helpdesk_flows": ratio(
            rate("api", "created_per_second"), rate("helpdesk", "flows_per_second")
        ),
        "form_flows_to_helpdesk_flows": ratio(
            rate("form", "flows_per_second"), rate("helpdesk", "flows_per_second")
        ),
    }
    cpu = {
        name: {k: phase["cost"][k] for k in ("server_cpu_ms", "database_cpu_ms", "total_cpu_ms")}
        for name, phase in phases.items()
    }

    # The same comparisons by CPU (server + database) per unit of work: the rates they would give on
    # a machine where CPU is the limit, steadier than the rates when other work shares the cores.
    def total(name: str) -> float:
        return float(cpu.get(name, {}).get("total_cpu_ms") or 0.0)

    ratios["cpu_helpdesk_flow_to_api_petition"] = ratio(total("helpdesk"), total("api"))
    ratios["cpu_helpdesk_flow_to_form_flow"] = ratio(total("helpdesk"), total("form"))
    ratios["cpu_hello_to_api"] = ratio(total("hello"), total("api"))
    goals = {}
    if "api" in cpu:
        goals["api_cpu_ms_per_petition"] = goal(cpu["api"]["total_cpu_ms"], 15, at_most=True)
    if ratios["api_to_hello"] is not None:
        goals["api_to_hello"] = goal(ratios["api_to_hello"], 0.5, at_most=False)
    if "form" in cpu:
        goals["form_cpu_ms_per_flow"] = goal(cpu["form"]["total_cpu_ms"], 30, at_most=True)
    if ratios["api_petitions_to_helpdesk_flows"] is not None:
        goals["api_to_helpdesk"] = goal(ratios["api_petitions_to_helpdesk_flows"], 3, at_most=False)
    if ratios["form_flows_to_helpdesk_flows"] is not None:
        goals["form_to_helpdesk"] = goal(ratios["form_flows_to_helpdesk_flows"], 2, at_most=False)

    errors = {name: phase["errors"] for name, phase in phases.items()}
    results.update(
        {
            "helpdesk": helpdesk,
            "phases": phases,
            "cpu_ms_per_unit": cpu,
            "ratios": ratios,
            "goals": goals,
            "verification": verification,
            "errors": errors,
            "seconds": round((dt.datetime.now(dt.UTC) - started).total_seconds(), 1),
        }
    )
    # The keys earlier runs wrote (bench/run_all.py, docs/performance.md): hello-world is /healthz.
    if "healthz" in phases:
        results["hello_world"] = phases["healthz"]
    if "api" in phases:
        results["intake"] = phases["api"]
        results["ratio_intake_to_hello_world"] = ratios["api_to_healthz"]
    results["machine"]["load_average_end"] = loadavg()
    results["ok"] = bool(
        all(v.get("ok") for v in verification.values())
        and not any(errors.values())
        and ("api" not in phases or phases["api"]["statuses"].get(201))
        and ("form" not in phases or phases["form"]["flows"])
    )
    for name, path in (
        ("server", workdir / "daphne.log"),
        ("helpdesk_server", workdir / "helpdesk-daphne.log"),
    ):
        text = path.read_text(errors="replace") if path.exists() else ""
        if text.strip():
            results[f"{name}_log_tail"] = text.splitlines()[-20:]

    print()
    print("CPU per unit of work (ms; server = daphne process, DB = whole PostgreSQL cluster):")
    for name, phase in phases.items():
        cost = phase["cost"]
        unit = "flow" if name in ("form", "helpdesk") else "request"
        db = cost["database_per_unit"]
        sql = cost.get("sql_per_unit", {})
        print(
            f"  {name:<9} per {unit:<7} server {cost['server_cpu_ms']:7.2f}  DB {cost['database_cpu_ms']:7.2f}  "
            f"total {cost['total_cpu_ms']:7.2f}   SQL {sql.get('all', float('nan')):5.1f} "
            f"(request path {sql.get('request', 0):.1f}, jobs {sql.get('jobs', 0):.1f})  "
            f"commits {db['xact_commit']}  inserts {db['tup_inserted']}  updates {db['tup_updated']}  "
            f"connections {db['sessions']}  [other databases: {cost['other_databases_commits']} commits, "
            f"{cost['other_databases_backends_cpu_seconds']} s CPU left out]"
        )
    print("ratios: " + ", ".join(f"{k} {v}" for k, v in ratios.items() if v is not None))
    print("goals (issue 19):")
    for name, item in goals.items():
        print(
            f"  {name:<26} {item['value']!s:>8}  target {item['target']:<6}  {'met' if item['met'] else 'MISSED'}"
        )
    for name, check in verification.items():
        if name == "helpdesk":
            print(
                f"database ({name}): {check['tickets_seen']} tickets seen, {check['tickets_added']} added; "
                f"checks {'ok' if check['ok'] else check['checks']}"
            )
        else:
            print(
                f"database ({name}): {check['responses_201']} answered, rows added {check['rows_added']}, "
                f"lost {check['lost']}, extra {check['extra_petitions']} "
                f"(in flight {check['requests_in_flight_at_stop']}); checks {'ok' if check['ok'] else check['checks']}"
            )
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
        print(f"results written to {args.json}")
    return 0 if results["ok"] else 1


def settle(database_url: str, quiet: float = 1.0, timeout: float = 20.0) -> None:
    """Until no petition has been added for ``quiet`` seconds (requests still in flight are done)."""
    deadline = time.monotonic() + timeout
    last, since = counts(database_url)["max_petition_id"], time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(0.25)
        now = counts(database_url)["max_petition_id"]
        if now != last:
            last, since = now, time.monotonic()
        elif time.monotonic() - since >= quiet:
            return


def wrk_errors(phase: dict[str, Any], expected: int) -> int:
    return phase["requests"] - phase["statuses"].get(expected, 0) + sum(phase["socket_errors"].values())


if __name__ == "__main__":
    sys.exit(main())
