"""Live updates at scale: N open tracking-page sockets, commit → receipt latency, memory per socket.

    .venv/bin/python bench/live_fanout.py [--sockets 1000] [--cases 100] [--updates 50]
        [--interval 0.1] [--concurrency 50] [--json out.json] [--layer pubsub]
        [--layer-socket-timeout S]

What it runs:

1. its own database: a SQLite file in a temporary directory (migrated, units loaded), the same
   file for the server and this process;
2. Redis db 10 (``--redis-url``, default ``redis://127.0.0.1:6379/10``) as the channel layer,
   under a prefix of this run's own; db 10 is emptied with FLUSHDB before and after (never
   another db, never FLUSHALL);
3. ``--cases`` petitions filed through ``petitions.services.petition_submit`` in this process
   (all at commune W00070, so one officer may add notes to every one of them);
4. daphne (``-v 0``, ``DJANGO_DEBUG=0``, one process as in production) serving
   ``config.asgi:application`` on a free loopback port;
5. the clients, in a process of their own (asyncio and the ``websockets`` package, which the
   project's ``.venv`` does not have: ``--client-python``, default ``/tmp/wsvenv/bin/python``;
   make it with ``python -m venv /tmp/wsvenv && /tmp/wsvenv/bin/pip install websockets``):
   ``--sockets`` sockets on the citizen's tracking page socket ``ws/track/<code>/?token=...``
   (``notifications.consumers.TrackConsumer``), spread evenly over the cases, with
   ``Origin: http://127.0.0.1:<port>`` as a browser would send, at most ``--concurrency``
   handshakes at a time. The open-files limit is raised for both processes.

Measures:

- connect: the wall time until all N are open, each handshake's time (p50/p99/max), failures;
- memory: daphne's VmRSS (``/proc/<pid>/status``) after one warm-up socket and after all N are
  open, divided by N; Redis ``used_memory`` over the same interval (the whole server: other
  benchmarks' dbs count too, so take it as an upper bound) and db 10's keys;
- latency: ``--updates`` public notes through ``routing.services.case_add_note``, round-robin
  over the cases, ``--interval`` s apart. The clock starts when the service has returned (the
  transaction committed and the push was handed to Redis; the service's own time is printed
  too, the commit lies inside it) and stops when a client has the ``case.changed`` message of
  that version. Both sides read ``time.time()`` on this machine. p50/p90/p99/max over all
  receipts, the time until the last socket of a case had it, and receipts that never came.

Experiments, the project unchanged: ``--layer pubsub`` (``channels_redis.pubsub``) and
``--layer-socket-timeout S`` (the layer's Redis connections get this socket timeout) run server
and bench process on a settings module of this run's own, written to the temporary directory.

Prints a summary; ``--json`` writes everything. Exit status 1 if a socket failed to open or a
message was lost.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import os
import random
import re
import resource
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import IO, Any

from common import cpu_seconds, free_port, loadavg, percentile, wait_for

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
# This checkout's code, also when another one (a git worktree of an older revision) shares the
# virtualenv, whose editable install points elsewhere.
sys.path.insert(1, str(ROOT))
PYTHON = ROOT / ".venv" / "bin" / "python"
DAPHNE = ROOT / ".venv" / "bin" / "daphne"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/10"
DEFAULT_CLIENT_PYTHON = "/tmp/wsvenv/bin/python"  # noqa: S108 (a throwaway venv of ours)
#: The only Redis database this script empties.
FLUSHABLE_REDIS_DB = 10
PAGE_SCRIPT = ROOT / "static" / "portal" / "live.js"


def page_backoff() -> tuple[float, float]:
    """The page's reconnect backoff (first delay, largest delay; ms), read from its script.

    ``static/portal/live.js`` waits between half and all of ``min(RETRY_MAX, RETRY_BASE * 2 **
    (failures - 1))``; scripts older than those names waited 1 s doubling up to ``MAX_DELAY``.
    """
    text = PAGE_SCRIPT.read_text() if PAGE_SCRIPT.exists() else ""
    base = re.search(r"RETRY_BASE\s*=\s*(\d+)", text)
    most = re.search(r"(?:RETRY_MAX|MAX_DELAY)\s*=\s*(\d+)", text)
    return (float(base.group(1)) if base else 1000.0, float(most.group(1)) if most else 30000.0)


def backoff_delay(failures: int, base: float, most: float) -> float:
    """Seconds before the next attempt, as the page computes it (jittered exponential)."""
    delay = min(most, base * 2 ** (failures - 1))
    return (delay / 2 + random.random() * delay / 2) / 1000  # noqa: S311 (jitter, not secrets)


# --- helpers shared by both processes ----------------------------------------------------------


def raise_open_files(wanted: int) -> tuple[int, int]:
    """Raise the soft open-files limit towards ``wanted`` (never above the hard limit)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if target > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)


def spread(values: list[float]) -> dict[str, float]:
    """p50/p90/p99/max of milliseconds, rounded."""
    return {
        "count": len(values),
        "p50": round(percentile(values, 0.5), 1),
        "p90": round(percentile(values, 0.9), 1),
        "p99": round(percentile(values, 0.99), 1),
        "max": round(max(values), 1) if values else float("nan"),
    }


# --- the client process (runs under --client-python, with websockets) -------------------------


async def client_main(targets_file: Path, port: int, concurrency: int, receipts_file: Path) -> None:
    from websockets.asyncio.client import connect

    targets: list[list[str]] = json.loads(targets_file.read_text())
    retry_base, retry_max = page_backoff()
    storm = False
    lost_at: dict[int, float] = {}
    back_at: dict[int, float] = {}
    attempts = 0
    all_back = asyncio.Event()
    origin = f"http://127.0.0.1:{port}"
    loop = asyncio.get_running_loop()
    receipts: list[tuple[int, int, float]] = []  # (case, version, time.time())
    connect_ms: list[float] = []
    failures: dict[str, int] = {}
    closed_early = 0
    extensions: dict[str, int] = {}
    sockets: dict[int, Any] = {}
    readers: list[asyncio.Task[None]] = []
    stopping = False

    def say(line: str) -> None:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()

    async def read(ws: Any, index: int) -> None:
        nonlocal closed_early, attempts
        code, token = targets[index]
        while True:
            try:
                async for raw in ws:
                    now = time.time()
                    message = json.loads(raw)
                    if message.get("type") == "case.changed":
                        receipts.append((int(message["case"]), int(message["version"]), now))
            except Exception:  # noqa: S110 (a closed socket is counted below)
                pass
            if stopping:
                return
            if not storm:
                closed_early += 1
                return
            # The server went away: come back as the page does, with its jittered backoff.
            lost_at[index] = time.time()
            failures = 0
            while True:
                failures += 1
                await asyncio.sleep(backoff_delay(failures, retry_base, retry_max))
                attempts += 1
                try:
                    ws = await connect(url(code, token), origin=origin, open_timeout=60, ping_interval=None)
                except Exception:  # noqa: S112 (refused while the server restarts: try again later)
                    continue
                break
            sockets[index] = ws
            try:
                await ws.recv()  # where the case is now: the socket is back and hears its case
            except Exception:  # noqa: S112 (closed again: the loop reconnects)
                continue
            back_at[index] = time.time()
            if len(back_at) == len(sockets):
                all_back.set()

    def url(code: str, token: str) -> str:
        return f"ws://127.0.0.1:{port}/ws/track/{code}/?token={token}"

    # One warm-up socket, so that the baseline has the consumer code loaded.
    warm = await connect(url(*targets[0]), origin=origin, open_timeout=30, ping_interval=None)
    await warm.recv()
    await warm.close()
    say("warm")
    await loop.run_in_executor(None, sys.stdin.readline)  # "go"

    gate = asyncio.Semaphore(concurrency)

    async def open_one(index: int, code: str, token: str) -> None:
        async with gate:
            started = time.perf_counter()
            try:
                ws = await connect(
                    url(code, token),
                    origin=origin,
                    open_timeout=120,
                    ping_interval=None,  # the server pings; the library answers
                    max_queue=64,
                )
            except Exception as exc:
                name = type(exc).__name__
                failures[name] = failures.get(name, 0) + 1
                return
            connect_ms.append((time.perf_counter() - started) * 1000)
        ext = ws.response.headers.get("Sec-WebSocket-Extensions", "") if ws.response else ""
        extensions[ext or "none"] = extensions.get(ext or "none", 0) + 1
        sockets[index] = ws
        readers.append(asyncio.create_task(read(ws, index)))

    started = time.perf_counter()
    await asyncio.gather(*(open_one(index, code, token) for index, (code, token) in enumerate(targets)))
    opened_in = time.perf_counter() - started
    say(
        "open "
        + json.dumps(
            {
                "opened": len(sockets),
                "seconds": round(opened_in, 2),
                "connect_ms": spread(connect_ms),
                "failures": failures,
                "extensions": extensions,
            }
        )
    )
    command = (await loop.run_in_executor(None, sys.stdin.readline)).strip()  # "storm" or "done"
    if command.startswith("storm"):
        storm = True
        say("armed")
        timeout = float(command.split()[1])
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(all_back.wait(), timeout)
        say(
            "back "
            + json.dumps(
                {
                    "lost": len(lost_at),
                    "back": len(back_at),
                    "attempts": attempts,
                    "first_lost": min(lost_at.values(), default=0.0),
                    "last_back": max(back_at.values(), default=0.0),
                    "back_at": sorted(back_at.values()),
                    "backoff_ms": [retry_base, retry_max],
                }
            )
        )
        await loop.run_in_executor(None, sys.stdin.readline)  # "done"
    stopping = True
    receipts_file.write_text(json.dumps({"receipts": receipts, "closed_early": closed_early}))
    say("written")
    await asyncio.gather(*(ws.close() for ws in sockets.values()), return_exceptions=True)
    for task in readers:
        task.cancel()
    await asyncio.gather(*readers, return_exceptions=True)


# --- the bench process --------------------------------------------------------------------------


def vm_rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def redis_client(url: str) -> Any:
    import redis

    return redis.Redis.from_url(url)


def flush_redis(url: str) -> None:
    """FLUSHDB on db 10 only; refuses any other db."""
    client = redis_client(url)
    try:
        db = int(client.connection_pool.connection_kwargs.get("db", 0))
        if db != FLUSHABLE_REDIS_DB:
            raise SystemExit(f"refusing to empty Redis db {db}: this benchmark only empties db 10")
        client.flushdb()
    finally:
        client.close()


def redis_memory(url: str) -> dict[str, int]:
    client = redis_client(url)
    try:
        info = client.info("memory")
        return {"used_memory": int(info["used_memory"]), "db_keys": int(client.dbsize())}
    finally:
        client.close()


def read_line(stream: IO[str], expected: str, timeout: float) -> str:
    """The next line of the client starting with ``expected`` (the client is ours; a hang ends it)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = stream.readline()
        if not line:
            raise SystemExit("the client process ended early")
        if line.startswith(expected):
            return line[len(expected) :].strip()
    raise SystemExit(f"no {expected!r} from the client in {timeout:.0f} s")


def stop(process: subprocess.Popen[Any] | None) -> None:
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sockets", type=int, default=1000, help="open sockets (default 1000)")
    parser.add_argument("--cases", type=int, default=100, help="cases the sockets watch (default 100)")
    parser.add_argument("--updates", type=int, default=50, help="public notes (default 50)")
    parser.add_argument("--interval", type=float, default=0.1, help="seconds between notes (default 0.1)")
    parser.add_argument("--concurrency", type=int, default=50, help="handshakes at a time (default 50)")
    parser.add_argument("--redis-url", default=DEFAULT_REDIS_URL, help=f"default {DEFAULT_REDIS_URL}")
    parser.add_argument("--client-python", default=DEFAULT_CLIENT_PYTHON, help="a Python with websockets")
    parser.add_argument(
        "--layer",
        choices=("settings", "pubsub", "core"),
        default="settings",
        help="the project's channel layer (default), or channels_redis.pubsub / channels_redis.core",
    )
    parser.add_argument(
        "--reconnect-storm",
        action="store_true",
        help="once all are open, restart daphne and time the sockets' return with the page's backoff",
    )
    parser.add_argument(
        "--handshake-timeout",
        type=int,
        default=0,
        help="daphne's --websocket_connect_timeout in seconds (default: daphne's own, 5; production's: 30)",
    )
    parser.add_argument(
        "--storm-timeout", type=float, default=180.0, help="seconds to wait for all to return"
    )
    parser.add_argument(
        "--py-spy",
        type=Path,
        metavar="PREFIX",
        help="profile daphne with py-spy (raw stacks) while sockets open, during a storm and the updates",
    )
    parser.add_argument(
        "--py-spy-bin", default=str(Path(DEFAULT_CLIENT_PYTHON).parent / "py-spy"), help=argparse.SUPPRESS
    )
    parser.add_argument(
        "--layer-socket-timeout",
        type=float,
        help="an experiment: give the channel layer's Redis connections this socket timeout (s)",
    )
    parser.add_argument("--json", type=Path, help="write the results here")
    parser.add_argument(
        "--client", nargs=4, metavar=("TARGETS", "PORT", "CONCURRENCY", "OUT"), help=argparse.SUPPRESS
    )
    args = parser.parse_args(argv)
    if args.client:
        raise_open_files(int(json.loads(Path(args.client[0]).read_text()).__len__()) + 1024)
        asyncio.run(
            client_main(Path(args.client[0]), int(args.client[1]), int(args.client[2]), Path(args.client[3]))
        )
        return 0
    if not 1 <= args.cases <= args.sockets:
        parser.error("need 1 <= --cases <= --sockets")
    if not Path(args.client_python).exists():
        raise SystemExit(
            f"{args.client_python} is missing: python -m venv /tmp/wsvenv && /tmp/wsvenv/bin/pip install websockets"
        )

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    limits = raise_open_files(args.sockets + 1024)  # inherited by daphne
    started = dt.datetime.now(dt.UTC)
    run = f"{started:%Y%m%d%H%M%S}-{secrets.token_hex(3)}"
    workdir = Path(tempfile.mkdtemp(prefix="live-fanout-"))
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(48),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        "DJANGO_VAR_DIR": str(workdir),
        "DATABASE_URL": f"sqlite:///{workdir / 'db.sqlite3'}",
        "REDIS_URL": args.redis_url,
        "CACHE_KEY_PREFIX": f"bench-live-{run}",
        "CHANNEL_PREFIX": f"bench-live-{run}",
        "SMS_BACKEND": "notifications.transports.sms.LocmemSmsBackend",
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    }
    env.pop("ELASTICSEARCH_URL", None)
    if args.layer != "settings" or args.layer_socket_timeout is not None:
        # Experiments without touching the project: a settings module of this run's own.
        host: dict[str, Any] = {"address": args.redis_url}
        if args.layer_socket_timeout is not None:
            host["socket_timeout"] = args.layer_socket_timeout
        backend = (
            "channels_redis.pubsub.RedisPubSubChannelLayer"
            if args.layer == "pubsub"
            else "channels_redis.core.RedisChannelLayer"
        )
        if args.layer == "core":
            host.setdefault("socket_timeout", None)
        (workdir / "bench_live_settings.py").write_text(
            "from config.settings import *  # noqa: F403\n"
            f"CHANNEL_LAYERS = {{'default': {{'BACKEND': {backend!r}, 'CONFIG': "
            f"{{'hosts': [{host!r}], 'prefix': {env['CHANNEL_PREFIX']!r}}}}}}}\n"
        )
        env["DJANGO_SETTINGS_MODULE"] = "bench_live_settings"
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(workdir), str(ROOT), env.get("PYTHONPATH")]))
        sys.path.insert(0, str(workdir))
    os.environ.update(env)
    os.environ.pop("ELASTICSEARCH_URL", None)
    server: subprocess.Popen[Any] | None = None
    client: subprocess.Popen[str] | None = None
    log = (workdir / "daphne.log").open("w")
    load_start = loadavg()
    try:
        flush_redis(args.redis_url)
        for command in (["migrate", "--noinput", "-v", "0"], ["load_units", "-v", "0"]):
            subprocess.run([str(PYTHON), "manage.py", *command], cwd=ROOT, env=env, check=True)  # noqa: S603

        import django

        django.setup()
        from django.contrib.auth.models import User

        from petitions.models import Category
        from petitions.services import Submission, petition_submit
        from routing import services
        from routing.models import Membership, Role, Unit

        commune = Unit.objects.get(code="W00070")
        category = Category.objects.get(code="environment")
        officer = User.objects.create_user("bench.live.officer", password=secrets.token_hex(16))
        Membership.objects.create(user=officer, unit=commune, role=Role.OFFICER)
        t0 = time.perf_counter()
        cases: list[tuple[int, str, str]] = []  # (case id, tracking code, token)
        for i in range(args.cases):
            result = petition_submit(
                submission=Submission(
                    category=category,
                    commune=commune,
                    phone=f"09{12000000 + i:08d}",
                    submitter_name="Nguyễn Văn An",
                    title=f"Đo tải cập nhật trực tiếp số {i + 1}",
                    text="Phản ánh dùng để đo độ trễ khi nhiều trình duyệt cùng theo dõi.",
                ),
                notify=False,
            )
            if not result.token:
                raise SystemExit("petition_submit gave no tracking token")
            cases.append((result.petition.case.pk, result.petition.tracking_code, result.token))
        submit_seconds = time.perf_counter() - t0
        targets = [[cases[i % len(cases)][1], cases[i % len(cases)][2]] for i in range(args.sockets)]
        per_case = {case_id: 0 for case_id, _, _ in cases}
        for i in range(args.sockets):
            per_case[cases[i % len(cases)][0]] += 1
        targets_file, receipts_file = workdir / "targets.json", workdir / "receipts.json"
        targets_file.write_text(json.dumps(targets))
        print(
            f"{args.cases} cases filed in {submit_seconds:.1f} s; SQLite in {workdir}; Redis {args.redis_url} "
            f"(emptied); open files {limits[0]}; daphne on 127.0.0.1:{port}",
            flush=True,
        )

        def start_server() -> subprocess.Popen[Any]:
            started = subprocess.Popen(  # noqa: S603 (our own server)
                [
                    str(DAPHNE),
                    "-v",
                    "0",
                    "-b",
                    "127.0.0.1",
                    "-p",
                    str(port),
                    *(
                        ["--websocket_connect_timeout", str(args.handshake_timeout)]
                        if args.handshake_timeout
                        else []
                    ),
                    "config.asgi:application",
                ],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            wait_for(f"http://127.0.0.1:{port}/healthz", timeout=60.0)
            return started

        def profile(pid: int, phase: str) -> subprocess.Popen[Any] | None:
            if args.py_spy is None:
                return None
            out = f"{args.py_spy}.{phase}.txt"
            return subprocess.Popen(  # noqa: S603 (a profiler of ours)
                [args.py_spy_bin, "record", "-p", str(pid), "-r", "250", "-t", "--format", "raw", "-o", out],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )

        def profile_end(spy: subprocess.Popen[Any] | None) -> None:
            if spy is not None:
                spy.send_signal(signal.SIGINT)
                spy.wait(timeout=60)

        server = start_server()
        client = subprocess.Popen(  # noqa: S603 (our own client)
            [
                args.client_python,
                str(Path(__file__).resolve()),
                "--client",
                str(targets_file),
                str(port),
                str(args.concurrency),
                str(receipts_file),
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        assert client.stdin is not None and client.stdout is not None
        read_line(client.stdout, "warm", 60)
        time.sleep(1.0)
        rss_before, redis_before = vm_rss_kib(server.pid), redis_memory(args.redis_url)
        load_connect = loadavg()
        cpu_connect = cpu_seconds(server.pid)
        spy = profile(server.pid, "connect")
        client.stdin.write("go\n")
        client.stdin.flush()
        opened = json.loads(read_line(client.stdout, "open ", 1800))
        cpu_connect = cpu_seconds(server.pid) - cpu_connect
        profile_end(spy)
        time.sleep(2.0)  # let the last group_adds and buffers settle
        rss_after, redis_after = vm_rss_kib(server.pid), redis_memory(args.redis_url)
        print(
            f"opened {opened['opened']}/{args.sockets} in {opened['seconds']:.1f} s "
            f"(handshake p50 {opened['connect_ms']['p50']} ms, p99 {opened['connect_ms']['p99']} ms, "
            f"max {opened['connect_ms']['max']} ms), failures {opened['failures']}, "
            f"extensions {opened['extensions']}; daphne CPU {cpu_connect:.1f} s "
            f"({cpu_connect / max(1, opened['opened']) * 1000:.1f} ms per socket); load {load_connect}",
            flush=True,
        )
        opened_n = max(1, opened["opened"])
        print(
            f"daphne RSS {rss_before / 1024:.1f} → {rss_after / 1024:.1f} MiB: "
            f"{(rss_after - rss_before) / opened_n:.1f} KiB per socket; Redis used_memory "
            f"{(redis_after['used_memory'] - redis_before['used_memory']) / opened_n:.0f} B per socket "
            f"({redis_before['db_keys']} → {redis_after['db_keys']} keys in db {FLUSHABLE_REDIS_DB})",
            flush=True,
        )

        storm: dict[str, Any] | None = None
        if args.reconnect_storm:
            client.stdin.write(f"storm {args.storm_timeout}\n")
            client.stdin.flush()
            read_line(client.stdout, "armed", 60)
            load_storm = loadavg()
            killed = time.time()
            stop(server)  # SIGTERM, as a deployment restarts it
            down = time.time()
            server = start_server()
            ready = time.time()
            cpu_storm = cpu_seconds(server.pid)
            spy = profile(server.pid, "storm")
            back = json.loads(read_line(client.stdout, "back ", args.storm_timeout + 60))
            cpu_storm = cpu_seconds(server.pid) - cpu_storm
            profile_end(spy)
            since_ready = [(at - ready) * 1000 for at in back["back_at"]]
            storm = {
                "sockets": opened["opened"],
                "lost": back["lost"],
                "back": back["back"],
                "attempts": back["attempts"],
                "backoff_ms": back["backoff_ms"],
                "server_down_s": round(down - killed, 2),
                "restart_s": round(ready - killed, 2),
                "all_back_after_kill_s": round(back["last_back"] - killed, 2) if back["back"] else None,
                "all_back_after_ready_s": round(back["last_back"] - ready, 2) if back["back"] else None,
                "back_after_ready_ms": spread(since_ready),
                "daphne_cpu_seconds": round(cpu_storm, 2),
                "daphne_cpu_ms_per_reconnect": round(cpu_storm / max(1, back["back"]) * 1000, 2),
                "load": load_storm,
            }
            print(
                f"reconnect storm: {back['back']}/{back['lost']} back; daphne down {storm['server_down_s']} s, "
                f"ready again {storm['restart_s']} s after SIGTERM; all back {storm['all_back_after_kill_s']} s "
                f"after SIGTERM, {storm['all_back_after_ready_s']} s after ready (p50 "
                f"{storm['back_after_ready_ms']['p50']} ms, p99 {storm['back_after_ready_ms']['p99']} ms); "
                f"{back['attempts']} attempts; daphne CPU {cpu_storm:.1f} s "
                f"({storm['daphne_cpu_ms_per_reconnect']} ms per reconnect); backoff {back['backoff_ms']} ms; "
                f"load {load_storm}",
                flush=True,
            )

        load_updates = loadavg()
        committed: dict[tuple[int, int], tuple[float, float]] = {}  # (case, version) → (before, after)
        cpu_updates, cpu_clients = cpu_seconds(server.pid), cpu_seconds(client.pid)
        wall_updates = time.monotonic()
        spy = profile(server.pid, "updates")
        for i in range(args.updates):
            case_id = cases[i % len(cases)][0]
            before = time.time()
            event = services.case_add_note(
                case_id=case_id, actor=officer, text=f"Ghi chú công khai số {i + 1}.", is_public=True
            )
            committed[(case_id, event.case_version)] = (before, time.time())
            time.sleep(args.interval)
        time.sleep(max(3.0, args.sockets / 1000))
        cpu_updates = cpu_seconds(server.pid) - cpu_updates
        profile_end(spy)
        cpu_clients = cpu_seconds(client.pid) - cpu_clients
        wall_updates = time.monotonic() - wall_updates
        client.stdin.write("done\n")
        client.stdin.flush()
        read_line(client.stdout, "written", 120)
        load_end = loadavg()
        rss_end = vm_rss_kib(server.pid)
        client.wait(timeout=120)
    finally:
        for process in (client, server):
            stop(process)
        log.close()
        try:
            flush_redis(args.redis_url)
        except Exception as exc:  # reported; the run's result stands
            print(f"warning: FLUSHDB of db 10 failed at the end: {exc}", file=sys.stderr)

    raw = json.loads(receipts_file.read_text())
    latencies: list[float] = []
    last: dict[tuple[int, int], float] = {}
    got: dict[tuple[int, int], int] = {}
    for case_id, version, at in raw["receipts"]:
        key = (case_id, version)
        if key not in committed:
            continue  # the message each socket gets on opening
        latencies.append((at - committed[key][1]) * 1000)
        got[key] = got.get(key, 0) + 1
        last[key] = max(last.get(key, 0.0), at)
    expected = sum(per_case[case_id] for case_id, _ in committed)
    lost = expected - len(latencies)
    service_ms = [(after - before) * 1000 for before, after in committed.values()]
    fanout_ms = [(last[key] - committed[key][1]) * 1000 for key in last]
    lat, svc, fan = spread(latencies), spread(service_ms), spread(fanout_ms)
    print(
        f"updates {len(committed)}, receipts {len(latencies)}/{expected}, lost {lost}, "
        f"sockets closed early {raw['closed_early']}; CPU over {wall_updates:.1f} s: daphne {cpu_updates:.1f} s, "
        f"clients {cpu_clients:.1f} s; "
        f"load {load_updates} → {load_end}"
    )
    print(
        f"commit → receipt (ms): p50 {lat['p50']}, p90 {lat['p90']}, p99 {lat['p99']}, max {lat['max']}; "
        f"last socket of the case: p50 {fan['p50']}, p99 {fan['p99']}; "
        f"case_add_note itself: p50 {svc['p50']}, p99 {svc['p99']}"
    )
    results = {
        "benchmark": "live_fanout",
        "started_at": started.isoformat(timespec="seconds"),
        "parameters": {
            "sockets": args.sockets,
            "cases": args.cases,
            "sockets_per_case": args.sockets / args.cases,
            "updates": args.updates,
            "interval": args.interval,
            "concurrency": args.concurrency,
        },
        "setup": {
            "database": "SQLite file in a temporary directory",
            "redis": args.redis_url,
            "server": "daphne -v 0 (1 process), DJANGO_DEBUG=0",
            "clients": f"websockets under {args.client_python}, one process",
            "open_files": list(limits),
            "channel_layer": args.layer,
            "layer_socket_timeout": args.layer_socket_timeout,
        },
        "machine": {"cores": os.cpu_count()},
        "load_average": {
            "start": load_start,
            "connect": load_connect,
            "updates": load_updates,
            "end": load_end,
        },
        "submit_seconds": round(submit_seconds, 1),
        "connect": {**opened, "daphne_cpu_seconds": round(cpu_connect, 2)},
        "daphne_cpu_seconds_updates": round(cpu_updates, 2),
        "client_cpu_seconds_updates": round(cpu_clients, 2),
        "seconds_updates": round(wall_updates, 2),
        "memory": {
            "daphne_rss_kib": {"before": rss_before, "open": rss_after, "end": rss_end},
            "daphne_kib_per_socket": round((rss_after - rss_before) / opened_n, 1),
            "redis_before": redis_before,
            "redis_open": redis_after,
            "redis_bytes_per_socket": round(
                (redis_after["used_memory"] - redis_before["used_memory"]) / opened_n
            ),
        },
        "latency_ms": lat,
        "last_socket_of_case_ms": fan,
        "case_add_note_ms": svc,
        "updates": len(committed),
        "receipts": len(latencies),
        "expected": expected,
        "lost": lost,
        "closed_early": raw["closed_early"],
        "reconnect_storm": storm,
    }
    daphne_log = (workdir / "daphne.log").read_text(errors="replace")
    if daphne_log.strip():
        results["server_log_tail"] = daphne_log.splitlines()[-20:]
        print("daphne log (tail):\n" + "\n".join(results["server_log_tail"]))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
        print(f"results written to {args.json}")
    shutil.rmtree(workdir, ignore_errors=True)
    ok = not lost and not opened["failures"] and opened["opened"] == args.sockets
    if storm is not None:
        ok = ok and storm["back"] == storm["sockets"]
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
