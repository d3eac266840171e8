"""The production topology of ``docker/compose.yml`` as plain processes on this machine.

    .venv/bin/python bench/prod_local.py start [--port 8080] [--state-dir var/prod-local]
    .venv/bin/python bench/prod_local.py status
    .venv/bin/python bench/prod_local.py stop
    .venv/bin/python bench/prod_local.py run       # start, supervise until Ctrl-C or SIGTERM, stop

There is no container engine on these machines, so this runs the same programs compose runs,
with the same command lines and settings, as processes of its own:

- nginx (Debian's, ``/usr/sbin/nginx``; installed with apt-get when missing and root) with a
  configuration generated from ``docker/nginx.conf`` itself (``nginx_site``), on 127.0.0.1:8080;
- two daphne replicas, the Celery worker and Celery beat, with the command lines of compose's
  ``web``, ``worker`` and ``scheduler`` services, read from ``docker/compose.yml``;
- Redis (its own server on ``--redis-port``, password and append-only file as in compose);
- the search engine: OpenSearch 2.19 in one JVM (``search.engine.launch``, compose's
  ``opensearch`` profile), on ``--search-port``;
- PostgreSQL: the cluster already on 127.0.0.1:5432 (started with pg_ctlcluster if it is down),
  with a database of its own, ``petitions_prod_local`` (created if missing, never dropped);
- local stubs of the outside world: an SMS gateway (HTTP, for ``HttpGatewaySmsBackend``) and an
  SMTP server (for Django's SMTP backend), both writing what they receive to JSONL files.

Settings: ``docker/portal.env.example`` plus compose's environment, with local addresses, a
generated secret key and metrics token, ``DJANGO_DEBUG=0``, JSON logs. The one deviation from
production: ``DJANGO_SECURE_SSL_REDIRECT=0`` and no HSTS, since no TLS proxy is in front here.
Migrations, ``load_units``, ``collectstatic`` and ``search_init --wait 300`` run first, as
compose's ``migrate`` service does.

Everything goes under the state directory: ``state.json`` (every process started: pid, process
group, port, log), ``env`` (the portal's settings, mode 600, for ``manage.py`` by hand:
``set -a; . var/prod-local/env; set +a``), ``logs/``, the generated nginx configuration, static
files, media, the engine's data and the stubs' records (``stubs/sms.jsonl``, ``stubs/mail.jsonl``).
Each process runs in a session of its own; ``stop`` sends SIGTERM to each process group recorded
(then SIGKILL after a grace period), from any shell, also after a start that failed half-way.
``run`` does what compose's ``restart: unless-stopped`` does while it waits: a process that exits
is started again (checked every 2 s), with the last error of its log printed; one that exits
again within 10 s waits 2, 4, 8 … up to 60 s before the next start (docker's back-off).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import pwd
import re
import secrets
import shutil
import signal
import socket
import socketserver
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BIN = ROOT / ".venv" / "bin"
PYTHON = str(BIN / "python")
COMPOSE_FILE = ROOT / "docker" / "compose.yml"
NGINX_TEMPLATE = ROOT / "docker" / "nginx.conf"
PORTAL_ENV_EXAMPLE = ROOT / "docker" / "portal.env.example"
NGINX = "/usr/sbin/nginx"

DEFAULT_STATE_DIR = ROOT / "var" / "prod-local"
DEFAULT_DATABASE = "petitions_prod_local"
ADMIN_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/postgres"
DEFAULT_PG_PORT = 5432

#: Seconds a process group gets to stop after SIGTERM before SIGKILL.
STOP_GRACE = 20.0


# --- small helpers ---------------------------------------------------------------------------------


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=0.5):
        return True
    return False


def http_status(url: str, timeout: float = 2.0) -> int | None:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as answer:  # noqa: S310 (loopback)
            return int(answer.status)
    except urllib.error.HTTPError as error:
        return int(error.code)
    except OSError:
        return None


def answers(url: str) -> Callable[[], bool]:
    return lambda: http_status(url) == 200


def wait_until(
    what: str, check: Callable[[], bool], timeout: float, log: Path | None = None, proc: Proc | None = None
) -> None:
    """Until ``check()``; StartFailed after ``timeout``, or at once when ``proc`` has exited."""
    deadline = time.monotonic() + timeout
    while not check():
        if proc is not None and not proc.alive():
            raise StartFailed(f"{what} exited{f'; see {log}' if log else ''}")
        if time.monotonic() > deadline:
            where = f"; see {log}" if log else ""
            raise StartFailed(f"{what} not ready within {timeout:.0f} s{where}")
        time.sleep(0.25)


def start_time(pid: int) -> str | None:
    """The process's start time in clock ticks since boot (/proc), None if it is gone: with the
    pid it names a process for good (a pid alone may be reused after a reboot or a long while)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return None if fields[0] == "Z" else fields[19]


class StartFailed(RuntimeError):
    """A part of the topology did not come up; ``stop`` takes down what did."""


# --- the state directory ---------------------------------------------------------------------------


@dataclass
class Proc:
    name: str
    pid: int
    started: str  # /proc start time: the pid is ours only while this matches
    port: int | None
    log: str
    argv: list[str]

    def alive(self) -> bool:
        return start_time(self.pid) == self.started


class State:
    def __init__(self, directory: Path) -> None:
        self.dir = directory
        self.file = directory / "state.json"
        self.logs = directory / "logs"

    def load(self) -> dict[str, Any]:
        if not self.file.exists():
            return {"processes": []}
        data: dict[str, Any] = json.loads(self.file.read_text())
        return data

    def processes(self) -> list[Proc]:
        return [Proc(**p) for p in self.load().get("processes", [])]

    def save(self, data: dict[str, Any]) -> None:
        tmp = self.file.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, indent=2) + "\n")
        tmp.replace(self.file)

    def record(self, proc: Proc) -> None:
        data = self.load()
        data["processes"] = [p for p in data.get("processes", []) if p["name"] != proc.name] + [asdict(proc)]
        self.save(data)

    def update(self, **values: Any) -> None:
        data = self.load()
        data.update(values)
        self.save(data)


def spawn(state: State, name: str, argv: list[str], env: dict[str, str], port: int | None = None) -> Proc:
    """Start ``argv`` in a session (and process group) of its own, its output in ``logs/<name>.log``."""
    log = state.logs / f"{name}.log"
    with log.open("ab") as out:
        out.write(f"\n--- {name} started {dt.datetime.now():%Y-%m-%d %H:%M:%S} ---\n".encode())
        out.flush()
        process = subprocess.Popen(  # noqa: S603 (our own programs)
            argv,
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    proc = Proc(name, process.pid, start_time(process.pid) or "", port, str(log), argv)
    state.record(proc)
    return proc


def stop_group(proc: Proc, *, main_only: bool = False) -> str:
    """SIGTERM to the process group (``main_only``: to its main process, as ``docker stop`` does:
    Celery's parent then lets its pool finish its tasks), SIGKILL to the group after STOP_GRACE;
    what happened, in words."""
    if not proc.alive():
        return "not running"
    with contextlib.suppress(ProcessLookupError):
        if main_only:
            os.kill(proc.pid, signal.SIGTERM)
        else:
            os.killpg(proc.pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_GRACE
    while time.monotonic() < deadline:
        # Our own child (``run``): reap it, or it stays a zombie.
        with contextlib.suppress(ChildProcessError):
            os.waitpid(proc.pid, os.WNOHANG)
        if not proc.alive() and not group_alive(proc.pid):
            return "stopped"
        time.sleep(0.2)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    return f"killed after {STOP_GRACE:.0f} s"


def group_alive(pgid: int) -> bool:
    """Whether any live process is in group ``pgid`` (a worker's children outlive it briefly)."""
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                fields = Path(entry.path, "stat").read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            if fields[0] != "Z" and int(fields[2]) == pgid:
                return True
    return False


# --- compose and nginx -----------------------------------------------------------------------------


def compose_services() -> dict[str, Any]:
    import yaml

    services: dict[str, Any] = yaml.safe_load(COMPOSE_FILE.read_text())["services"]
    return services


def compose_command(service: dict[str, Any], replacements: dict[str, str]) -> list[str]:
    """A compose service's command with its container-only values replaced (each must occur)."""
    command = [str(part) for part in service["command"]]
    for old, new in replacements.items():
        if not any(old in part for part in command):
            raise StartFailed(
                f"docker/compose.yml changed: {old!r} is not in {command}; update prod_local.py"
            )
        command = [part.replace(old, new) for part in command]
    executable = BIN / command[0]
    return [str(executable) if executable.exists() else command[0], *command[1:]]


def nginx_site(
    template: str, *, listen: str, upstreams: list[str], static_root: Path, access_log: Path
) -> str:
    """``docker/nginx.conf`` for this machine, with only its addresses and paths replaced.

    The site is the very file the proxy image uses: its maps, headers, limits, locations and
    log format cannot drift from production because they are not copied. What differs is what
    only exists in a container: Docker's DNS name ``web`` (and nginx >= 1.27.3's ``resolve``,
    which Debian's 1.22 lacks) becomes one ``server`` line per replica; ``listen 80``, the static
    files' folder and the access log's path; and ``REAL_IP_FROM``, which the image's entrypoint
    fills in (here 127.0.0.1: whoever talks to this nginx plays the load balancer). Each
    replacement must match exactly as often as expected, so a change to the template fails here
    loudly instead of being half-applied.
    """
    servers = "\n".join(f"    server {address} max_fails=3 fail_timeout=10s;" for address in upstreams)
    replacements: list[tuple[str, str, int]] = [
        (r"^    server web:8000 resolve max_fails=3 fail_timeout=10s;.*$", servers, 1),
        # Docker's embedded DNS: nothing is resolved at run time here.
        (r"^resolver 127\.0\.0\.11 .*$\n", "", 1),
        (r"^resolver_timeout .*$\n", "", 1),
        (r"\$\{REAL_IP_FROM\}", "127.0.0.1/32", 2),
        (r"^    listen 80;$", f"    listen {listen};", 1),
        (r"/srv/static/", f"{static_root}/", 2),
        (r"access_log /var/log/nginx/access\.log portal_json;", f"access_log {access_log} portal_json;", 1),
    ]
    site = template
    for pattern, new, expected in replacements:
        site, count = re.subn(pattern, new.replace("\\", r"\\"), site, flags=re.MULTILINE)
        if count != expected:
            raise StartFailed(
                f"docker/nginx.conf changed: {pattern!r} matched {count} times, not {expected}; "
                "update bench/prod_local.py's nginx_site"
            )
    return site


def _main_limit(name: str) -> int:
    """A limit of the proxy image's main configuration (docker/nginx-main.conf), the same here."""
    found = re.search(rf"^\s*{name}\s+(\d+);", (ROOT / "docker" / "nginx-main.conf").read_text(), re.M)
    if found is None:
        raise SystemExit(f"docker/nginx-main.conf has no {name}: update prod_local.py")
    return int(found.group(1))


def nginx_main_conf(state_dir: Path, site: Path, user: str | None) -> str:
    """The http/events frame the nginx image gives its conf.d files (its /etc/nginx/nginx.conf)."""
    nginx_dir = state_dir / "nginx"
    temp = nginx_dir / "temp"
    lines = [
        *([f"user {user};"] if user else []),
        "worker_processes auto;",
        "daemon off;",
        f"pid {nginx_dir / 'nginx.pid'};",
        f"error_log {state_dir / 'logs' / 'nginx-error.log'} notice;",
        f"worker_rlimit_nofile {_main_limit('worker_rlimit_nofile')};",
        f"events {{ worker_connections {_main_limit('worker_connections')}; }}",
        "http {",
        "    include /etc/nginx/mime.types;",
        "    default_type application/octet-stream;",
        "    sendfile on;",
        "    keepalive_timeout 65;",
        *(
            f"    {kind}_temp_path {temp / kind};"
            for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
        ),
        f"    include {site};",
        "}",
    ]
    return "\n".join(lines) + "\n"


def ensure_nginx() -> None:
    if Path(NGINX).exists():
        return
    if os.geteuid() != 0:
        raise StartFailed(f"{NGINX} is missing: apt-get install nginx (as root)")
    print("installing nginx from Debian's packages")
    subprocess.run(["/usr/bin/apt-get", "update", "-qq"], check=True)
    subprocess.run(
        ["/usr/bin/apt-get", "install", "-y", "-qq", "--no-install-recommends", "nginx"],
        check=True,
        env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
    )
    # The package's own nginx.service starts Debian's default site on port 80: not ours.
    subprocess.run(["/usr/sbin/service", "nginx", "stop"], check=False, capture_output=True)


# --- the stubs (one process: ``prod_local.py stubs``) ---------------------------------------------


def _append(path: Path, record: dict[str, Any], lock: threading.Lock) -> None:
    record = {"time": dt.datetime.now(dt.UTC).isoformat(), **record}
    with lock, path.open("a", encoding="utf-8") as out:
        out.write(json.dumps(record, ensure_ascii=False) + "\n")


def serve_stubs(directory: Path, sms_port: int, smtp_port: int, sms_key: str) -> None:
    """An SMS gateway (POST, JSON ``to``/``text``/``reference``) and an SMTP server, recording all.

    The gateway answers as ``sms_mode`` (the file ``<directory>/sms-mode``) says, read on every
    request, for outage drills (``bench/drills.py``): absent or ``ok``, accepted (200); ``error``,
    500; ``timeout <seconds>``, the answer (200) only after that many seconds. Each record says
    which (``answered``).
    """
    directory.mkdir(parents=True, exist_ok=True)
    lock = threading.Lock()
    sms_file, mail_file = directory / "sms.jsonl", directory / "mail.jsonl"
    mode_file = directory / SMS_MODE_FILE

    class Gateway(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            try:
                payload = json.loads(self.rfile.read(length) or b"{}")
            except ValueError:
                payload = {"unreadable": True}
            authorised = self.headers.get("Authorization") == f"Bearer {sms_key}"
            mode, delay = sms_mode(mode_file)
            answered = 401 if not authorised else 500 if mode == "error" else 200
            _append(
                sms_file,
                {
                    "path": self.path,
                    "authorised": authorised,
                    "idempotency_key": self.headers.get("Idempotency-Key"),
                    "answered": answered if mode != "timeout" else f"{answered} after {delay:g} s",
                    **payload,
                },
                lock,
            )
            if mode == "timeout":
                time.sleep(delay)
            status = {200: "accepted", 401: "unauthorised", 500: "error"}[answered]
            body = json.dumps({"status": status}).encode()
            self.send_response(answered)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def handle_one_request(self) -> None:
            # The client gave up (the backend's timeout) while a "timeout" answer was delayed.
            with contextlib.suppress(ConnectionError):
                super().handle_one_request()

    class Smtp(socketserver.StreamRequestHandler):
        """Enough of RFC 5321 for smtplib without TLS or AUTH (EMAIL_USE_TLS=0, no user)."""

        def reply(self, line: str) -> None:
            self.wfile.write(f"{line}\r\n".encode())

        def handle(self) -> None:
            self.reply("220 prod-local SMTP stub")
            sender, recipients = "", list[str]()
            while raw := self.rfile.readline():
                command = raw.decode("utf-8", "replace").rstrip("\r\n")
                verb = command[:4].upper()
                if verb == "EHLO":
                    self.reply("250-prod-local")
                    self.reply("250-8BITMIME")
                    self.reply("250 SMTPUTF8")
                elif verb == "HELO":
                    self.reply("250 prod-local")
                elif verb == "MAIL":
                    sender, recipients = command.split(":", 1)[1].split()[0].strip("<>"), []
                    self.reply("250 OK")
                elif verb == "RCPT":
                    recipients.append(command.split(":", 1)[1].strip().strip("<>"))
                    self.reply("250 OK")
                elif verb == "DATA":
                    self.reply("354 End data with <CR><LF>.<CR><LF>")
                    lines = []
                    while (line := self.rfile.readline()) not in (b".\r\n", b".\n", b""):
                        lines.append(line[1:] if line.startswith(b"..") else line)
                    message = b"".join(lines).decode("utf-8", "replace")
                    _append(mail_file, {"from": sender, "to": recipients, "message": message}, lock)
                    self.reply("250 OK: queued")
                elif verb == "QUIT":
                    self.reply("221 Bye")
                    return
                elif verb in ("RSET", "NOOP"):
                    self.reply("250 OK")
                else:
                    self.reply("502 Command not implemented")

    class SmtpServer(socketserver.ThreadingTCPServer):
        daemon_threads = True
        allow_reuse_address = True

    gateway = ThreadingHTTPServer(("127.0.0.1", sms_port), Gateway)
    gateway.daemon_threads = True
    smtp = SmtpServer(("127.0.0.1", smtp_port), Smtp)
    for server in (gateway, smtp):
        threading.Thread(target=server.serve_forever, daemon=True).start()
    print(f"stubs: SMS gateway on {sms_port}, SMTP on {smtp_port}, records in {directory}", flush=True)
    wait_for_signal()
    for server in (gateway, smtp):
        server.shutdown()


#: The SMS gateway stub's mode file in the stubs' directory (``serve_stubs``).
SMS_MODE_FILE = "sms-mode"


def sms_mode(path: Path) -> tuple[str, float]:
    """``ok``, ``error`` or ``timeout`` (with its delay in seconds), as ``path`` says; ``ok`` without it."""
    try:
        words = path.read_text().split()
    except OSError:
        return "ok", 0.0
    if words and words[0] in ("error", "timeout"):
        return words[0], float(words[1]) if len(words) > 1 else 30.0
    return "ok", 0.0


def wait_for_signal(while_waiting: Callable[[], None] | None = None, every: float = 1.0) -> None:
    """Until SIGTERM or SIGINT (Ctrl-C), calling ``while_waiting`` every ``every`` seconds."""
    done = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: done.set())
    while not done.wait(every):
        if while_waiting is not None:
            while_waiting()


def supervised(state: State) -> int | None:
    """The pid of the ``run`` that supervises this topology, if it still runs."""
    supervisor = state.load().get("supervisor") or {}
    pid = supervisor.get("pid")
    return pid if pid and start_time(pid) == supervisor.get("started") else None


def last_error(log: Path) -> str:
    """The last ERROR or CRITICAL message of a JSON log (else its last message, or its last line)."""
    try:
        with log.open("rb") as f:
            f.seek(max(f.seek(0, os.SEEK_END) - 65536, 0))
            lines = f.read().decode("utf-8", "replace").splitlines()
    except OSError:
        return ""
    last = ""
    for line in reversed(lines):
        with contextlib.suppress(ValueError):
            record = json.loads(line)
            if not isinstance(record, dict):
                continue
            if str(record.get("level", "")).upper() in ("ERROR", "CRITICAL"):
                return str(record.get("message", ""))[:200]
            last = last or f"no error logged; last: {record.get('message', '')}"[:200]
    return last or (lines[-1][:200] if lines else "")


def restart_exited(state: State, env: dict[str, str], skip: Iterable[str] = ()) -> list[tuple[Proc, str]]:
    """compose's ``restart: unless-stopped``: each recorded process that exited (but those in
    ``skip``) started again with its command line; the new processes with the last error of each.
    Nothing while ``stop`` (from any shell) is stopping them."""
    started: list[tuple[Proc, str]] = []
    if state.load().get("stopping"):
        return started
    for proc in state.processes():
        with contextlib.suppress(ChildProcessError):
            os.waitpid(proc.pid, os.WNOHANG)  # ours (``run``, or started again here): no zombie
        if proc.name in skip or proc.alive():
            continue
        last = last_error(Path(proc.log))
        started.append((spawn(state, proc.name, proc.argv, env, proc.port), last))
    return started


# --- settings --------------------------------------------------------------------------------------

#: Variables of docker/portal.env.example kept as they are there (production's own choices).
KEPT_AS_IN_EXAMPLE = {
    "SMS_BACKEND",
    "EMAIL_BACKEND",
    "SMS_GATEWAY_TIMEOUT",
    "DEFAULT_FROM_EMAIL",
    "LOG_LEVEL",
}
#: compose's environment for the portal's containers (x-app), mapped below to local values.
COMPOSE_ENVIRONMENT = {"DJANGO_DEBUG", "DATABASE_URL", "REDIS_URL", "JOBS_BACKEND"}
#: What the portal's processes inherit from the caller's environment: nothing of the portal's own
#: (a DATABASE_URL or RATE_* exported in the shell must not leak into "production").
INHERITED = ("PATH", "HOME", "LANG", "LC_ALL", "TZ", "TMPDIR", "JAVA_HOME", "USER", "PYTHONTRACEMALLOC")


def read_env_file(path: Path) -> dict[str, str]:
    values = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            name, _eq, value = line.partition("=")
            value = value.strip()
            if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
                value = value[1:-1]
            values[name.strip()] = value
    return values


def load_secrets(state: State) -> dict[str, str]:
    """Generated once per state directory and kept (sessions and tokens survive a restart)."""
    path = state.dir / "secrets.json"
    if path.exists():
        stored: dict[str, str] = json.loads(path.read_text())
        return stored
    values = {
        "secret_key": secrets.token_urlsafe(48),
        "metrics_token": secrets.token_urlsafe(24),
        "redis_password": secrets.token_urlsafe(18),
        "sms_key": secrets.token_urlsafe(18),
    }
    path.touch(mode=0o600)
    path.write_text(json.dumps(values, indent=2) + "\n")
    return values


@dataclass
class Ports:
    http: int
    web: list[int]
    redis: int
    search: int
    sms: int
    smtp: int

    def all(self) -> list[int]:
        return [self.http, *self.web, self.redis, self.search, self.sms, self.smtp]


def portal_env(args: argparse.Namespace, state: State, ports: Ports, keys: dict[str, str]) -> dict[str, str]:
    """docker/portal.env.example + compose's environment + the Dockerfile's, for this machine."""
    example = read_env_file(PORTAL_ENV_EXAMPLE)
    compose = {str(k): str(v) for k, v in compose_services()["web"]["environment"].items()}
    if set(compose) != COMPOSE_ENVIRONMENT:
        raise StartFailed(f"docker/compose.yml's portal environment changed ({sorted(compose)}): map it here")
    base = f"http://127.0.0.1:{ports.http}"
    local = {
        "DJANGO_SECRET_KEY": keys["secret_key"],
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DJANGO_CSRF_TRUSTED_ORIGINS": f"{base},http://localhost:{ports.http}",
        "PUBLIC_BASE_URL": base,
        # No TLS proxy in front here (the one deviation from production's settings).
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "DJANGO_HSTS_SECONDS": "0",
        "OPENSEARCH_URL": f"http://127.0.0.1:{ports.search}",
        "SMS_GATEWAY_URL": f"http://127.0.0.1:{ports.sms}/v1/messages",
        "SMS_GATEWAY_KEY": keys["sms_key"],
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(ports.smtp),
        "EMAIL_HOST_USER": "",
        "EMAIL_HOST_PASSWORD": "",
        "EMAIL_USE_TLS": "0",
        "METRICS_TOKEN": keys["metrics_token"],
    }
    unmapped = set(example) - set(local) - KEPT_AS_IN_EXAMPLE - {"ELASTICSEARCH_URL"}
    if unmapped:
        raise StartFailed(f"docker/portal.env.example has new variables {sorted(unmapped)}: map them here")
    example.pop("ELASTICSEARCH_URL", None)  # OpenSearch here (compose's `opensearch` profile)
    env = {name: os.environ[name] for name in INHERITED if name in os.environ}
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '/usr/bin:/bin')}"
    env.update(example)
    env.update(local)
    env.update(
        {
            "DJANGO_DEBUG": compose["DJANGO_DEBUG"],
            "JOBS_BACKEND": compose["JOBS_BACKEND"],
            "DATABASE_URL": f"postgres://postgres@127.0.0.1:{args.pg_port}/{args.database}",
            "REDIS_URL": f"redis://:{keys['redis_password']}@127.0.0.1:{ports.redis}/0",
            # The Dockerfile's runtime environment.
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DJANGO_VAR_DIR": str(state.dir),
            "PYTHONUNBUFFERED": "1",
            "PYTHONDONTWRITEBYTECODE": "1",
            "MALLOC_ARENA_MAX": "2",
        }
    )
    return env


def write_env_file(state: State, env: dict[str, str]) -> None:
    path = state.dir / "env"
    path.touch(mode=0o600)
    path.write_text("".join(f"{name}='{value}'\n" for name, value in sorted(env.items()) if "'" not in value))


# --- PostgreSQL and Redis --------------------------------------------------------------------------


def ensure_postgres(database: str, pg_port: int = DEFAULT_PG_PORT) -> None:
    """The cluster on ``pg_port`` (5432) up (started with pg_ctlcluster if down) and ``database`` in it."""
    if not port_open(pg_port):
        clusters = subprocess.run(
            ["/usr/bin/pg_lsclusters", "-h"], capture_output=True, text=True, check=True
        )
        for line in clusters.stdout.splitlines():
            version, name, port = line.split()[:3]
            if port == str(pg_port):
                print(f"starting PostgreSQL {version}/{name}")
                subprocess.run(  # noqa: S603
                    ["/usr/bin/pg_ctlcluster", "--skip-systemctl-redirect", version, name, "start"],
                    check=True,
                )
        wait_until(f"PostgreSQL on {pg_port}", lambda: port_open(pg_port), 60)
    import psycopg
    from psycopg import sql

    admin_url = ADMIN_DATABASE_URL.replace(":5432/", f":{pg_port}/")
    with psycopg.connect(admin_url, autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [database]).fetchone() is None:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))
            print(f"created database {database}")


def redis_conf(state: State, port: int, password: str) -> Path:
    """compose's Redis: password, append-only file, no eviction (the broker's queue must survive)."""
    directory = state.dir / "redis"
    directory.mkdir(exist_ok=True)
    path = state.dir / "redis.conf"
    path.touch(mode=0o600)
    path.write_text(
        f'bind 127.0.0.1\nport {port}\ndir {directory}\nrequirepass "{password}"\n'
        'appendonly yes\nmaxmemory-policy noeviction\nsave ""\n'
    )
    return path


def redis_ping(port: int, password: str) -> bool:
    import redis

    client = redis.Redis(host="127.0.0.1", port=port, password=password, socket_timeout=1)
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False
    finally:
        client.close()


# --- start, stop, status ---------------------------------------------------------------------------


def manage(env: dict[str, str], *command: str) -> None:
    done = subprocess.run(  # noqa: S603 (our own command)
        [PYTHON, "manage.py", *command], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise StartFailed(
            f"manage.py {' '.join(command)} failed:\n{done.stdout[-3000:]}{done.stderr[-3000:]}"
        )


def messages_stale() -> bool:
    """A catalog without its compiled .mo, or newer than it (the Dockerfile compiles them)."""
    for po in (ROOT / "locale").rglob("*.po"):
        mo = po.with_suffix(".mo")
        if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            return True
    return False


def nginx_user() -> tuple[str, int, int] | None:
    """As root, nginx's workers run as nobody (as the image's run as nginx); else as the caller."""
    if os.geteuid() != 0:
        return None
    import grp

    nobody = pwd.getpwnam("nobody")
    return f"nobody {grp.getgrgid(nobody.pw_gid).gr_name}", nobody.pw_uid, nobody.pw_gid


def write_nginx_conf(state: State, ports: Ports) -> Path:
    directory = state.dir / "nginx"
    site = directory / "portal.conf"
    site.write_text(
        "# Generated by bench/prod_local.py from docker/nginx.conf: edit that file, not this one.\n"
        + nginx_site(
            NGINX_TEMPLATE.read_text(),
            listen=f"127.0.0.1:{ports.http}",
            upstreams=[f"127.0.0.1:{port}" for port in ports.web],
            static_root=state.dir / "static",
            access_log=state.logs / "nginx-access.log",
        )
    )
    user = nginx_user()
    for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
        temp = directory / "temp" / kind
        temp.mkdir(parents=True, exist_ok=True)
        if user:
            os.chown(temp, user[1], user[2])  # request bodies over 16 KiB (photos) are spooled here
    main = directory / "nginx.conf"
    main.write_text(nginx_main_conf(state.dir, site, user[0] if user else None))
    tested = subprocess.run(  # noqa: S603
        [NGINX, "-t", "-q", "-c", str(main), "-p", str(directory)], capture_output=True, text=True
    )
    if tested.returncode != 0:
        raise StartFailed(f"nginx -t refused {main}:\n{tested.stderr}")
    return main


def worker_ready(env: dict[str, str]) -> bool:
    done = subprocess.run(  # noqa: S603
        [
            str(BIN / "celery"),
            "-A",
            "config",
            "inspect",
            "ping",
            "--timeout",
            "2",
            "--destination",
            f"celery@{socket.gethostname()}",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    return "pong" in done.stdout


def start(args: argparse.Namespace) -> int:
    state = State(args.state_dir)
    existing = state.processes()
    if existing:
        alive = [p for p in existing if p.alive()]
        if alive and len(alive) == len(existing) and state.load().get("ready"):
            print(f"already running ({len(alive)} processes, state in {state.dir}); `status` shows them")
            return 0
        if alive:
            print(
                f"partly running ({', '.join(p.name for p in alive)} of {len(existing)} processes): "
                "run `stop` first",
                file=sys.stderr,
            )
            return 1
    for sub in ("logs", "nginx", "beat", "media", "private", "stubs"):
        (state.dir / sub).mkdir(parents=True, exist_ok=True)
    state.save({"processes": [], "ready": False, "started_at": dt.datetime.now(dt.UTC).isoformat()})

    ports = Ports(
        args.port,
        [args.web_port, args.web_port + 1],
        args.redis_port,
        args.search_port,
        args.sms_port,
        args.smtp_port,
    )
    taken = [port for port in ports.all() if port_open(port)]
    if taken:
        print(f"ports already in use: {taken}; choose others (see --help)", file=sys.stderr)
        return 1
    keys = load_secrets(state)
    env = portal_env(args, state, ports, keys)
    write_env_file(state, env)
    state.update(
        ports=asdict(ports),
        url=f"http://127.0.0.1:{ports.http}",
        database=args.database,
        metrics_token_file=str(state.dir / "secrets.json"),
    )
    timings: dict[str, float] = {}
    clock = time.monotonic()

    def phase(name: str, since: float) -> float:
        now = time.monotonic()
        timings[name] = round(now - since, 1)
        print(f"  {name}: {timings[name]:.1f} s", flush=True)
        return now

    try:
        t = clock
        ensure_nginx()
        ensure_postgres(args.database, args.pg_port)
        t = phase("nginx and PostgreSQL checked", t)

        spawn(
            state,
            "stubs",
            [
                PYTHON,
                __file__,
                "stubs",
                "--state-dir",
                str(state.dir),
                "--sms-port",
                str(ports.sms),
                "--smtp-port",
                str(ports.smtp),
            ],
            env,
        )
        spawn(
            state,
            "redis",
            [
                shutil.which("redis-server") or "redis-server",
                str(redis_conf(state, ports.redis, keys["redis_password"])),
            ],
            env,
            ports.redis,
        )
        # The search engine's own launcher in the foreground, its JVM in the launcher's process
        # group, recorded at once; it starts (20-60 s) while the database is migrated.
        engine = ["-m", "search.engine.launch", "--port", str(ports.search), "--heap", args.engine_heap]
        engine += ["--home", str(state.dir / "search-engine")]
        engine_proc = spawn(state, "search-engine", [PYTHON, *engine], env, ports.search)
        wait_until(
            "the stubs", lambda: port_open(ports.sms) and port_open(ports.smtp), 30, state.logs / "stubs.log"
        )
        wait_until(
            "Redis", lambda: redis_ping(ports.redis, keys["redis_password"]), 30, state.logs / "redis.log"
        )
        t = phase("stubs and Redis up", t)

        # compose's `migrate` service (and the Dockerfile's compilemessages and collectstatic).
        if messages_stale():
            manage(env, "compilemessages", "--ignore=node_modules", "-v", "0")
        manage(env, "migrate", "--noinput", "-v", "0")
        manage(env, "load_units", "-v", "0")
        manage(env, "collectstatic", "--noinput", "-v", "0")
        t = phase("migrate, load_units, collectstatic", t)
        engine_log = state.logs / "search-engine.log"
        wait_until(
            "the search engine",
            answers(f"{env['OPENSEARCH_URL']}/_cluster/health"),
            300,
            engine_log,
            engine_proc,
        )
        manage(env, "search_init", "--wait", "300")
        t = phase("search engine up, search_init", t)

        services = compose_services()
        webs: list[Proc] = []
        for index, port in enumerate(ports.web, start=1):
            argv = compose_command(services["web"], {"0.0.0.0": "127.0.0.1", "8000": str(port)})  # noqa: S104
            webs.append(spawn(state, f"web-{index}", argv, env, port))
        worker = compose_command(
            services["worker"], {"${WORKER_CONCURRENCY:-4}": str(args.worker_concurrency)}
        )
        worker_proc = spawn(state, "worker", worker, env)
        schedule = state.dir / "beat" / "celerybeat-schedule"
        spawn(
            state,
            "scheduler",
            compose_command(services["scheduler"], {"/app/var/beat/celerybeat-schedule": str(schedule)}),
            env,
        )
        main_conf = write_nginx_conf(state, ports)
        for web in webs:
            wait_until(web.name, answers(f"http://127.0.0.1:{web.port}/healthz"), 90, Path(web.log), web)
        nginx = spawn(
            state, "nginx", [NGINX, "-c", str(main_conf), "-p", str(state.dir / "nginx")], env, ports.http
        )
        wait_until(
            "nginx", answers(f"http://127.0.0.1:{ports.http}/nginx-health"), 30, Path(nginx.log), nginx
        )
        t = phase("web replicas and nginx up", t)
        wait_until("the worker", lambda: worker_ready(env), 90, Path(worker_proc.log), worker_proc)
        wait_until(
            "the scheduler",
            lambda: any(schedule.parent.glob("celerybeat-schedule*")),
            60,
            state.logs / "scheduler.log",
        )
        t = phase("worker and scheduler up", t)
    except (StartFailed, OSError, subprocess.CalledProcessError) as error:
        print(f"start failed: {error}", file=sys.stderr)
        print("stopping what was started", file=sys.stderr)
        stop(args)
        return 1
    timings["total"] = round(time.monotonic() - clock, 1)
    state.update(ready=True, timings=timings)
    print(f"production topology up in {timings['total']:.1f} s: http://127.0.0.1:{ports.http}/")
    print(f"  state, logs, env: {state.dir}; `status` lists the processes, `stop` stops them")
    return 0


def stop(args: argparse.Namespace) -> int:
    state = State(args.state_dir)
    processes = state.processes()
    if not processes:
        print(f"nothing recorded in {state.file}")
        return 0
    state.update(stopping=True)  # a supervisor (``run``, the drills) leaves them stopped
    for proc in reversed(processes):  # the reverse order of start: nginx first, the stubs last
        print(f"  {proc.name:<14} pid {proc.pid:<8} {stop_group(proc)}", flush=True)
    left = [p for p in processes if p.alive() or group_alive(p.pid)]
    if left:
        print(f"still running: {', '.join(p.name for p in left)}", file=sys.stderr)
        return 1
    state.save({"processes": [], "ready": False, "stopped_at": dt.datetime.now(dt.UTC).isoformat()})
    print("stopped")
    return 0


def status(args: argparse.Namespace) -> int:
    state = State(args.state_dir)
    processes = state.processes()
    if not processes:
        print(f"not running (nothing recorded in {state.file})")
        return 3
    print(f"{'process':<14} {'pid':>8}  {'alive':<5}  {'port':>5}  listening  log")
    for proc in processes:
        listening = "-" if proc.port is None else ("yes" if port_open(proc.port) else "no")
        print(
            f"{proc.name:<14} {proc.pid:>8}  {str(proc.alive()).lower():<5}  {proc.port or '-':>5}  "
            f"{listening:<9}  {proc.log}"
        )
    data = state.load()
    if data.get("url"):
        try:
            with urllib.request.urlopen(f"{data['url']}/readyz", timeout=5) as answer:  # noqa: S310
                readiness = json.load(answer)
        except (OSError, ValueError) as error:
            readiness = {"error": str(error)}
        print(f"{data['url']}/readyz: {json.dumps(readiness)}")
    return 0 if all(p.alive() for p in processes) and data.get("ready") else 1


#: A process that exits again within this many seconds of being started again waits before the
#: next start, twice as long each time up to RESTART_DELAY_MAX (docker's restart policy does the
#: same from 100 ms, and forgets once a container has run 10 s).
RESTART_STEADY = 10.0
RESTART_DELAY_MAX = 60.0


def restart_delay(previous: float, ran_for: float) -> float:
    """Seconds to wait before starting again a process that ran ``ran_for`` seconds since the
    supervisor last started it, after waiting ``previous`` seconds."""
    if ran_for >= RESTART_STEADY:
        return 0.0
    return min(max(previous * 2, 2.0), RESTART_DELAY_MAX)


class Supervisor:
    """compose's ``restart: unless-stopped`` for ``run``: each ``tick`` starts again the processes
    that exited (``restart_exited``), those that keep exiting after a growing delay (``restart_delay``).
    A process started again by someone else (a drill) starts a history of its own."""

    def __init__(
        self, state: State, env: dict[str, str], clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.state, self.env, self.clock = state, env, clock
        #: Per process name: the pid this supervisor started, when, and the delay it waited before.
        self.restarts: dict[str, tuple[int, float, float]] = {}
        #: Per process name: when this supervisor first saw it exited (it may be waiting out a delay).
        self.exited_at: dict[str, float] = {}

    def tick(self) -> list[str]:
        """Start again what exited and waited long enough; a line for each."""
        now = self.clock()
        delays: dict[str, float] = {}  # what each exited process of ours waits before its next start
        for proc in self.state.processes():
            ours = self.restarts.get(proc.name)
            if ours and ours[0] != proc.pid:
                del self.restarts[proc.name]
                ours = None
            if proc.alive() or not ours:
                self.exited_at.pop(proc.name, None)
                continue
            exited = self.exited_at.setdefault(proc.name, now)
            delays[proc.name] = restart_delay(ours[2], exited - ours[1])
        waiting = {name for name, delay in delays.items() if now < self.exited_at[name] + delay}
        lines = []
        for proc, last in restart_exited(self.state, self.env, skip=waiting):
            waited = delays.get(proc.name, 0.0)
            self.exited_at.pop(proc.name, None)
            self.restarts[proc.name] = (proc.pid, now, waited)
            after = f" after {waited:.0f} s (it keeps exiting)" if waited else ""
            lines.append(
                f"{proc.name} had exited ({last or 'no error logged'}); started again{after}, pid {proc.pid}"
            )
        return lines


def run(args: argparse.Namespace) -> int:
    if start(args) != 0:
        return 1
    state = State(args.state_dir)
    supervisor = Supervisor(state, read_env_file(state.dir / "env"))
    state.update(supervisor={"pid": os.getpid(), "started": start_time(os.getpid())})

    def supervise() -> None:
        for line in supervisor.tick():
            print(line, flush=True)

    print("running; a process that exits is started again; Ctrl-C or SIGTERM stops everything", flush=True)
    wait_for_signal(supervise, every=2.0)
    return stop(args)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("command", choices=("start", "stop", "status", "run", "stubs"))
    parser.add_argument("--state-dir", type=Path, default=DEFAULT_STATE_DIR, help="default var/prod-local")
    parser.add_argument("--port", type=int, default=8080, help="nginx on 127.0.0.1:PORT (default 8080)")
    parser.add_argument("--web-port", type=int, default=8061, help="the replicas: PORT and PORT+1 (8061)")
    parser.add_argument("--redis-port", type=int, default=6390)
    parser.add_argument("--search-port", type=int, default=9250)
    parser.add_argument("--sms-port", type=int, default=8091, help="the SMS gateway stub (default 8091)")
    parser.add_argument("--smtp-port", type=int, default=8025, help="the SMTP stub (default 8025)")
    parser.add_argument("--engine-heap", default="512m", help="the search engine's JVM heap (default 512m)")
    parser.add_argument(
        "--worker-concurrency", type=int, default=4, help="as compose's WORKER_CONCURRENCY (4)"
    )
    parser.add_argument(
        "--database", default=DEFAULT_DATABASE, help=f"on 127.0.0.1:PG_PORT (default {DEFAULT_DATABASE})"
    )
    parser.add_argument(
        "--pg-port",
        type=int,
        default=DEFAULT_PG_PORT,
        help=f"the PostgreSQL cluster's port on 127.0.0.1 (default {DEFAULT_PG_PORT})",
    )
    args = parser.parse_args(argv)
    args.state_dir = args.state_dir.resolve()
    if args.command == "stubs":
        keys = load_secrets(State(args.state_dir))
        serve_stubs(args.state_dir / "stubs", args.sms_port, args.smtp_port, keys["sms_key"])
        return 0
    commands: dict[str, Callable[[argparse.Namespace], int]] = {
        "start": start,
        "stop": stop,
        "status": status,
        "run": run,
    }
    return commands[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
