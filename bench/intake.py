"""Intake: sustained petition submissions per second through the real HTTP path, next to hello-world.

    .venv/bin/python bench/intake.py [--duration 10] [--connections 8] [--threads 2] [--json out.json]

What it runs:

1. its own PostgreSQL database (``--database-url``, default ``postgres://postgres@127.0.0.1:5432/
   petitions_bench_intake``): created with autocommit if missing, migrated, units loaded with
   ``manage.py load_units`` when there are none. No other database is touched;
2. daphne serving ``config.asgi:application`` on a free loopback port, one process as in production
   (``-v 0``, ``DJANGO_DEBUG=0``), with ``DATABASE_URL`` set, Redis db 8 (``--redis-url``; cache,
   rate limits and channel layer, under prefixes of this run's own; db 8 is emptied with FLUSHDB
   first, never another one), the rate limits raised (``RATE_SUBMIT_IP``, ``RATE_SUBMIT_PHONE``) so
   that they do not decide the result, in-process jobs (the default) and the in-memory SMS and
   email transports (nothing printed);
3. ``wrk`` (Debian's, ``apt-get install wrk``) on loopback, first against ``GET /healthz`` (the same
   server's hello-world: answered by the first middleware, ``config.health.HealthMiddleware``, no
   database), then against ``POST /api/v1/petitions/`` (the JSON API: the intake service of the
   portal's form, no CSRF): every request a new petition with its own phone number and
   ``Idempotency-Key``, categories and communes varying, so each one goes through validation,
   routing, the deadline in working days, the ``submitted`` event and the SMS receipt's outbox row
   (drained after commit by the in-process job runner). A short warm-up of each comes first;
4. afterwards, in the database: every tracking code answered with a 201 exists (nothing lost); each
   new petition has exactly one case, one event and one notification, sent; new rows beyond the
   201s can only be requests still in flight when wrk stopped (it drops them unanswered), at most
   one per connection (nothing extra).

It prints requests/s and latency (p50, p95, p99, max) for both, the ratio intake/hello-world and the
errors, and with ``--json`` writes all of it. Exit status 1 when a check fails or a request failed.
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
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from common import cpu_seconds, free_port, loadavg, memory_gib, wait_for

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

WRK_SCRIPT = r"""
-- Written by bench/intake.py. MODE "get": wrk's own request; "post": a new petition each time.
local MODE = "%(mode)s"
local RUN = "%(run)s"
local CATEGORIES = {%(categories)s}
local COMMUNES = {%(communes)s}
local TITLES = {%(titles)s}
local REST = [==[%(rest)s]==]
local CODES_FILE = "%(codes_file)s"
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
    return wrk.format("GET", "/healthz")
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
        "DJANGO_SETTINGS_MODULE": "config.settings",
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
    path: Path, *, mode: str, run: str, categories: list[str], communes: list[str], codes: str
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


def summary_line(name: str, phase: dict[str, Any]) -> str:
    lat = phase["latency_ms"]
    return (
        f"{name:<22} {phase['requests_per_second']:>9,.1f} req/s  p50 {lat['p50']:>7.1f} ms  "
        f"p95 {lat['p95']:>7.1f} ms  p99 {lat['p99']:>7.1f} ms  max {lat['max']:>8.1f} ms  "
        f"statuses {phase['statuses']}  socket errors {sum(phase['socket_errors'].values())}  "
        f"server CPU {phase['server_cpu_share']:.0%}"
    )


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
    parser.add_argument("--timeout", type=int, default=10, help="wrk's request timeout, seconds (default 10)")
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
    parser.add_argument("--json", type=Path, help="write the results here")
    args = parser.parse_args(argv)
    if args.connections < args.threads:
        parser.error("--connections must be at least --threads")
    if not shutil.which(args.wrk):
        raise SystemExit("wrk is missing: apt-get install -y wrk")

    # A plain kill (run_all.py's timeout) still stops the server through the finally below.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    started = dt.datetime.now(dt.UTC)
    run = f"{started:%Y%m%d%H%M%S}-{secrets.token_hex(3)}"
    port = free_port()
    workdir = Path(tempfile.mkdtemp(prefix="intake-bench-"))
    atexit.register(shutil.rmtree, workdir, ignore_errors=True)  # also after SIGTERM (sys.exit)
    env = server_env(args, port, workdir, run)
    database = prepare_database(args.database_url, env)
    flushed = flush_redis(args.redis_url)
    categories = [
        row[0] for row in query(args.database_url, "SELECT code FROM petitions_category ORDER BY code")
    ]
    communes = [
        row[0]
        for row in query(
            args.database_url,
            "SELECT code FROM routing_unit WHERE level = 'commune' ORDER BY md5(code) LIMIT %s",
            (args.communes,),
        )
    ]
    if not categories or not communes:
        raise SystemExit("no categories or communes in the database")
    print(
        f"PostgreSQL {database['postgresql']} ({urlsplit(args.database_url).path.lstrip('/')}), "
        f"{len(categories)} categories, {len(communes)} communes; Redis {args.redis_url} "
        f"({'emptied' if flushed else 'not emptied'}); daphne on 127.0.0.1:{port}",
        flush=True,
    )
    get_script, post_script = workdir / "get.lua", workdir / "post.lua"
    codes_file = workdir / "codes.txt"
    write_script(get_script, mode="get", run=run, categories=categories, communes=communes, codes="")
    write_script(post_script, mode="post", run=run, categories=categories, communes=communes, codes="")
    measured_script = workdir / "post-measured.lua"
    write_script(
        measured_script,
        mode="post",
        run=run + "m",
        categories=categories,
        communes=communes,
        codes=str(codes_file),
    )

    base = f"http://127.0.0.1:{port}"
    log = (workdir / "daphne.log").open("w")
    server = subprocess.Popen(  # noqa: S603 (our own server)
        [str(DAPHNE), "-v", "0", "-b", "127.0.0.1", "-p", str(port), "config.asgi:application"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    results: dict[str, Any] = {
        "benchmark": "intake",
        "started_at": started.isoformat(timespec="seconds"),
        "parameters": {
            "duration": args.duration,
            "connections": args.connections,
            "threads": args.threads,
            "warmup": args.warmup,
            "timeout": args.timeout,
            "conn_max_age": args.conn_max_age,
            "communes": len(communes),
            "categories": len(categories),
        },
        "setup": {
            "server": "daphne -v 0 (1 process), DJANGO_DEBUG=0, JOBS_BACKEND=inprocess, LocmemSmsBackend",
            "database": urlsplit(args.database_url).path.lstrip("/"),
            "postgresql": database["postgresql"],
            "redis": args.redis_url,
            "load_generator": wrk_version(args.wrk),
            "hello_world": "GET /healthz, answered by the first middleware (config.health.HealthMiddleware)",
            "intake": "POST /api/v1/petitions/ (JSON API, petitions.services.petition_submit)",
        },
        "machine": machine(),
    }
    try:
        wait_for(f"{base}/healthz")
        if args.warmup > 0:
            run_wrk(args, url=base, script=get_script, duration=args.warmup, server_pid=server.pid)
            run_wrk(args, url=base, script=post_script, duration=args.warmup, server_pid=server.pid)
        hello = run_wrk(args, url=base, script=get_script, duration=args.duration, server_pid=server.pid)
        print(summary_line("hello-world /healthz", hello), flush=True)
        wait_for_drain(args.database_url, 0)
        before = counts(args.database_url)
        intake = run_wrk(
            args, url=base, script=measured_script, duration=args.duration, server_pid=server.pid
        )
        print(summary_line("intake POST petitions", intake), flush=True)
        left = wait_for_drain(args.database_url, before["max_petition_id"])
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()

    codes = codes_file.read_text().split() if codes_file.exists() else []
    in_flight = intake["sent"] - intake["requests"]
    verification = verify(args.database_url, before, codes, in_flight)
    verification["notifications_not_sent_after_drain_wait"] = left
    intake_errors = (
        intake["requests"] - intake["statuses"].get(201, 0) + sum(intake["socket_errors"].values())
    )
    hello_errors = hello["requests"] - hello["statuses"].get(200, 0) + sum(hello["socket_errors"].values())
    ratio = (
        intake["requests_per_second"] / hello["requests_per_second"] if hello["requests_per_second"] else 0.0
    )
    results.update(
        {
            "hello_world": {**hello, "errors": hello_errors},
            "intake": {
                **intake,
                "errors": intake_errors,
                "created_per_second": round(len(codes) / intake["seconds"], 1),
            },
            "ratio_intake_to_hello_world": round(ratio, 4),
            "verification": verification,
            "seconds": round((dt.datetime.now(dt.UTC) - started).total_seconds(), 1),
        }
    )
    results["machine"]["load_average_end"] = loadavg()
    results["ok"] = bool(verification["ok"] and not intake_errors and not hello_errors and codes)
    daphne_log = (workdir / "daphne.log").read_text(errors="replace")
    if daphne_log.strip():
        results["server_log_tail"] = daphne_log.splitlines()[-20:]

    print(
        f"ratio intake / hello-world: {ratio:.3f} ({1 / ratio if ratio else float('inf'):.0f}x slower); "
        f"errors: intake {intake_errors}, hello-world {hello_errors}"
    )
    print(
        f"database: {verification['responses_201']} responses 201, rows added {verification['rows_added']}, "
        f"lost {verification['lost']}, extra {verification['extra_petitions']} "
        f"(in flight at stop {in_flight}); checks {'ok' if verification['ok'] else verification['checks']}"
    )
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
        print(f"results written to {args.json}")
    return 0 if results["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
