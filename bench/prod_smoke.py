"""Smoke test of the local production topology (``bench/prod_local.py``), through nginx; PASS or FAIL.

    .venv/bin/python bench/prod_smoke.py [--url http://127.0.0.1:8080] [--state-dir var/prod-local]
        [--step-timeout 60] [--search-timeout 120] [--json out.json]

Each step has a timeout and reports PASS or FAIL with what it saw; a failed step fails the steps
that need its result. Exit status 0 when every step passed, 1 otherwise.

1. nginx answers ``/nginx-health`` and serves a collected static file itself (hashed name,
   ``Cache-Control: immutable``);
2. ``/readyz`` is 200 with every check ``ok`` (database, Redis, search engine, jobs);
3. ``/metrics`` is 200 with the token (``METRICS_TOKEN`` from the state directory's ``env``) and
   refused without it;
4. a citizen files a petition from the portal's form, as a browser without JavaScript does: GET
   ``/submit/`` (CSRF cookie, signed start stamp), waits out the form's "too fast for a person"
   time (``PORTAL_MIN_FORM_SECONDS``, production's 3 s), POSTs it as multipart with two photos
   (JPEG and PNG) and an e-mail address, follows the redirect to the receipt (tracking code and
   private link);
5. a second browser opens the private link (as from the SMS): the case page, with its photos
   served;
6. two WebSockets through nginx on the page's live channel (``/ws/track/<code>/?token=``, the
   page's Origin; nginx's round robin puts them on the two replicas) say where the case is;
7. an officer of the handling unit (created here with ``manage.py shell`` and ``api_token``, in
   the topology's own settings) accepts the case through the API (``POST /api/v1/cases/<id>/accept/``);
8. both sockets hear the new version (across the replicas: the Redis channel layer); the
   access log names the replicas they were on;
9. the worker delivers the SMS (receipt and acceptance) to the gateway stub for the citizen's
   number, with the gateway key, and the e-mail receipt to the SMTP stub;
10. the case is searchable: the officer signs in to the back office and its search (the search
    engine, fed by the search outbox's drain) finds the petition by a word of its title;
11. nginx's access log has the private link and the socket's ``?token=`` masked;
12. ``/readyz`` is still all ``ok``, with nothing overdue in the outboxes.

The WebSocket client is a minimal RFC 6455 one over the standard library (the project's venv has
no WebSocket client package).
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import hashlib
import json
import os
import random
import re
import secrets
import socket
import struct
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

from crash import _TRACKING_CODE, PHONE_PREFIXES, make_photo, multipart
from flows import Browser, hidden_fields, local_path
from prod_local import DEFAULT_STATE_DIR, PYTHON, ROOT, read_env_file

_TRACKING_LINK = re.compile(r'id="tracking-link">([^<]+)<')
_LIVE_SOCKET = re.compile(r'data-live-socket="([^"]+)"')
_PHOTO = re.compile(r'<img src="(/(?:[a-z]{2}/)?track/[^"]+/photos/\d+/thumb/)"')
_STATIC = re.compile(r'href="(/static/portal/site\.[0-9a-f]+\.css)"')
_OPTION = re.compile(r'<option value="([^"]+)"')
_PROVINCES = re.compile(r'<select name="province".*?</select>', re.S)
_CATEGORIES = re.compile(r'<select name="category".*?</select>', re.S)
WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


class StepFailed(Exception):
    pass


@dataclass
class Step:
    name: str
    result: str = "SKIP"
    seconds: float = 0.0
    detail: str = ""


@dataclass
class Report:
    steps: list[Step] = field(default_factory=list)
    facts: dict[str, Any] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return all(step.result == "PASS" for step in self.steps)


def poll(what: str, check: Callable[[], Any], timeout: float, every: float = 1.0) -> Any:
    """``check()``'s first truthy value within ``timeout`` seconds, else StepFailed."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise StepFailed(f"{what}: not within {timeout:.0f} s")
        time.sleep(every)


# --- a minimal WebSocket client (RFC 6455, text frames) --------------------------------------------


class SocketClosed(StepFailed):
    """The WebSocket's connection ended (or its handshake was refused)."""


class WebSocket:
    """A minimal RFC 6455 client on the standard library (text frames, pings answered); the drills'
    live pages (bench/drills.py) extend it."""

    def __init__(
        self, host: str, port: int, path: str, origin: str, timeout: float, agent: str = "prod-smoke"
    ) -> None:
        self.sock = socket.create_connection((host, port), timeout=timeout)
        try:
            self._handshake(host, port, path, origin, agent)
        except BaseException:
            self.sock.close()
            raise

    def _handshake(self, host: str, port: int, path: str, origin: str, agent: str) -> None:
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall(
            (
                f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
                f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
                f"Origin: {origin}\r\nUser-Agent: {agent}\r\n\r\n"
            ).encode()
        )
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise SocketClosed(f"WebSocket handshake: connection closed after {head[:200]!r}")
            head += chunk
        head, self.buffer = head.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        if not lines[0].startswith("HTTP/1.1 101"):
            raise SocketClosed(f"WebSocket handshake answered {lines[0]!r}")
        accept = base64.b64encode(hashlib.sha1((key + WS_GUID).encode()).digest()).decode()  # noqa: S324
        headers = {k.strip().lower(): v.strip() for k, _sep, v in (line.partition(":") for line in lines[1:])}
        if headers.get("sec-websocket-accept") != accept:
            raise SocketClosed("WebSocket handshake: wrong Sec-WebSocket-Accept")

    def _read(self, size: int) -> bytes:
        while len(self.buffer) < size:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise SocketClosed("the server closed the WebSocket's connection")
            self.buffer += chunk
        data, self.buffer = self.buffer[:size], self.buffer[size:]
        return data

    def _send(self, opcode: int, payload: bytes) -> None:
        mask = os.urandom(4)
        length = len(payload)
        if length < 126:
            header = struct.pack("!BB", 0x80 | opcode, 0x80 | length)
        elif length < 1 << 16:
            header = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, length)
        else:
            header = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, length)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.sock.sendall(header + mask + masked)

    def _message(self, *, none_after_ping: bool = False) -> dict[str, Any] | None:
        """The next JSON text message, answering pings on the way (``none_after_ping``: give up
        after a ping when nothing more is buffered, for a caller that polls)."""
        message = b""
        while True:
            first, second = self._read(2)
            opcode, length = first & 0x0F, second & 0x7F
            if length == 126:
                (length,) = struct.unpack("!H", self._read(2))
            elif length == 127:
                (length,) = struct.unpack("!Q", self._read(8))
            payload = self._read(length)  # server frames are not masked
            if opcode == 0x8:
                code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else None
                raise SocketClosed(f"the server closed the WebSocket (code {code})")
            if opcode == 0x9:
                self._send(0xA, payload)
                if none_after_ping and not self.buffer:
                    return None
                continue
            if opcode in (0x1, 0x0):
                message += payload
                if first & 0x80:
                    data: dict[str, Any] = json.loads(message)
                    return data

    def receive(self, timeout: float) -> dict[str, Any]:
        """The next JSON text message (answering pings on the way)."""
        self.sock.settimeout(timeout)
        data = self._message()
        assert data is not None
        return data

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._send(0x8, struct.pack("!H", 1000))
        self.sock.close()


# --- the smoke test --------------------------------------------------------------------------------


class Smoke:
    def __init__(self, args: argparse.Namespace) -> None:
        parts = urlsplit(args.url)
        if parts.scheme != "http" or not parts.hostname:
            raise SystemExit("--url must be http://host:port (nginx of prod_local.py)")
        self.url = args.url.rstrip("/")
        self.host, self.port = parts.hostname, parts.port or 80
        self.timeout: float = args.step_timeout
        self.search_timeout: float = args.search_timeout
        env_file = args.state_dir.resolve() / "env"
        if not env_file.exists():
            raise SystemExit(f"{env_file} is missing: start the topology with bench/prod_local.py start")
        self.env = read_env_file(env_file)
        self.report = Report()
        self.marker = f"kiemthu{secrets.token_hex(4)}"  # a word of the title that only this run uses
        # A mobile prefix in use (crash.PHONE_PREFIXES): "09" and any digits was refused now and then (095…).
        self.phone = secrets.choice(PHONE_PREFIXES) + "".join(secrets.choice("0123456789") for _ in range(7))
        self.email = f"{self.marker}@example.com"
        self.facts: dict[str, Any] = self.report.facts

    # helpers

    def browser(self) -> Browser:
        return Browser(self.host, self.port, self.timeout)

    def get(self, path: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
        request = urllib.request.Request(f"{self.url}{path}", headers=headers or {})  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as answer:  # noqa: S310
                return answer.status, joined(answer.headers), answer.read()
        except urllib.error.HTTPError as error:
            return error.code, joined(error.headers), error.read()

    def api(self, method: str, path: str, body: dict[str, Any] | None = None) -> tuple[int, Any]:
        request = urllib.request.Request(  # noqa: S310
            f"{self.url}{path}",
            data=json.dumps(body).encode() if body is not None else None,
            headers={
                "Authorization": f"Token {self.facts['officer_token']}",
                "Content-Type": "application/json",
            },
            method=method,
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as answer:  # noqa: S310
                return answer.status, json.load(answer)
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode(errors="replace")[:500]

    def manage(self, *command: str) -> str:
        done = subprocess.run(  # noqa: S603 (our own command)
            [PYTHON, "manage.py", *command],
            cwd=ROOT,
            env={**self.env, "LOG_LEVEL": "WARNING"},
            capture_output=True,
            text=True,
            timeout=self.timeout,
        )
        if done.returncode != 0:
            raise StepFailed(f"manage.py {command[0]}: {done.stderr[-800:]}")
        return done.stdout

    def step(self, name: str, action: Callable[[], str], needs: tuple[str, ...] = ()) -> None:
        step = Step(name)
        self.report.steps.append(step)
        missing = [fact for fact in needs if fact not in self.facts]
        started = time.monotonic()
        if missing:
            step.result, step.detail = "FAIL", f"skipped: an earlier step failed ({', '.join(missing)})"
        else:
            try:
                step.detail = action()
                step.result = "PASS"
            except (StepFailed, OSError, ValueError, KeyError, subprocess.SubprocessError) as error:
                step.result, step.detail = "FAIL", f"{type(error).__name__}: {error}"
        step.seconds = round(time.monotonic() - started, 1)
        print(f"{step.result}  {name} ({step.seconds:.1f} s): {step.detail}", flush=True)

    # the steps

    def nginx(self) -> str:
        status, _headers, _body = self.get("/nginx-health")
        if status != 200:
            raise StepFailed(f"/nginx-health answered {status}")
        status, _headers, page = self.get("/submit/")
        found = _STATIC.search(page.decode(errors="replace"))
        if status != 200 or found is None:
            raise StepFailed(f"/submit/ answered {status} without the hashed stylesheet")
        status, headers, _body = self.get(found.group(1))
        cache = headers.get("Cache-Control", "")
        # server_tokens off: "nginx", without its version.
        if status != 200 or "immutable" not in cache or headers.get("Server") != "nginx":
            raise StepFailed(
                f"{found.group(1)}: {status}, Cache-Control {cache!r}, Server {headers.get('Server')}"
            )
        return f"/nginx-health 200; {found.group(1)} 200 from nginx ({cache})"

    def ready(self) -> str:
        status, _headers, body = self.get("/readyz")
        data = json.loads(body)
        checks = {name: check["status"] for name, check in data.get("checks", {}).items()}
        expected = {"database", "redis", "opensearch", "jobs"}
        if status != 200 or data.get("status") != "ok" or set(checks) != expected:
            raise StepFailed(f"/readyz {status}: {json.dumps(data)[:400]}")
        return f"/readyz 200, {checks}"

    def metrics(self) -> str:
        token = self.env.get("METRICS_TOKEN", "")
        status, _headers, body = self.get("/metrics", {"Authorization": f"Bearer {token}"})
        text = body.decode(errors="replace")
        if status != 200 or "django_http_requests" not in text:
            raise StepFailed(f"/metrics with the token answered {status}: {text[:200]!r}")
        refused, _headers, _body = self.get("/metrics")
        if refused == 200:
            raise StepFailed("/metrics answered 200 without the token")
        series = sum(1 for line in text.splitlines() if line and not line.startswith("#"))
        return f"with the token 200 ({series} samples); without it {refused}"

    def submit(self) -> str:
        browser = self.browser()
        status, _answer, raw = browser.request("GET", "/submit/")
        shown = time.monotonic()
        page = raw.decode(errors="replace")
        hidden = hidden_fields(page)
        categories, provinces = _CATEGORIES.search(page), _PROVINCES.search(page)
        if status != 200 or "csrfmiddlewaretoken" not in hidden or not categories or not provinces:
            raise StepFailed(f"GET /submit/ {status}: no CSRF token, stamp or choices")
        category = _OPTION.findall(categories.group(0))[0]
        province = _OPTION.findall(provinces.group(0))[0]
        status, _answer, raw = browser.request("GET", f"/units/{province}/communes.json")
        commune = json.loads(raw)["communes"][0]["code"]
        rng = random.Random(self.marker)  # noqa: S311 (test pictures)
        photos = [make_photo(secrets.randbits(36), kind, rng) for kind in ("jpeg", "png")]
        fields = [
            ("csrfmiddlewaretoken", hidden["csrfmiddlewaretoken"]),
            ("started", hidden.get("started", "")),
            ("website", ""),
            ("category", category),
            ("province", province),
            ("commune", commune),
            ("address", "Số 1 đường Thử Nghiệm"),
            ("latitude", ""),
            ("longitude", ""),
            ("title", f"Đèn đường hỏng {self.marker}"),
            ("text", f"Đèn đường trước nhà hỏng nhiều ngày ({self.marker}), buổi tối đi lại rất nguy hiểm."),
            ("submitter_name", "Nguyễn Văn Thử"),
            ("phone", self.phone),
            ("email", self.email),
        ]
        body, content_type = multipart(fields, [("photos", photo) for photo in photos])
        # The form refuses what is sent faster than a person could (PORTAL_MIN_FORM_SECONDS).
        wait = float(self.env.get("PORTAL_MIN_FORM_SECONDS", "3")) + 1 - (time.monotonic() - shown)
        time.sleep(max(wait, 0))
        headers = {"Content-Type": content_type, "Origin": self.url, "Referer": f"{self.url}/submit/"}
        status, answer, raw = browser.request("POST", "/submit/", body=body, headers=headers)
        if status != 302:
            errors = re.findall(r'class="error-message"[^>]*>(.*?)</', raw.decode(errors="replace"), re.S)
            raise StepFailed(f"POST /submit/ answered {status}: {errors or raw[:300]!r}")
        status, _answer, raw = browser.request("GET", local_path(answer.getheader("Location") or ""))
        receipt = raw.decode(errors="replace")
        code, link = _TRACKING_CODE.search(receipt), _TRACKING_LINK.search(receipt)
        if status != 200 or code is None or link is None:
            raise StepFailed(f"receipt page {status} without a tracking code or private link")
        self.facts.update(
            code=code.group(1),
            link=local_path(link.group(1).strip()),
            token=local_path(link.group(1).strip()).rstrip("/").rsplit("/", 1)[1],
            photos_sent=len(photos),
        )
        return f"{code.group(1)} filed with {len(photos)} photos ({sum(p.size for p in photos)} bytes) in {commune}"

    def track(self) -> str:
        browser = self.browser()  # another browser: the link from the SMS, no session
        status, answer, _raw = browser.request("GET", self.facts["link"])
        if status != 302:
            raise StepFailed(f"the private link answered {status}")
        case_path = local_path(answer.getheader("Location") or "")
        status, _answer, raw = browser.request("GET", case_path)
        page = raw.decode(errors="replace")
        socket_path, photos = _LIVE_SOCKET.search(page), _PHOTO.findall(page)
        if status != 200 or self.facts["code"] not in page or socket_path is None:
            raise StepFailed(f"{case_path} answered {status} without the case or its live socket")
        for photo in photos:
            photo_status, answer, _raw = browser.request("GET", photo)
            if photo_status != 200 or not (answer.getheader("Content-Type") or "").startswith("image/"):
                raise StepFailed(f"{photo}: {photo_status} {answer.getheader('Content-Type')}")
        if len(photos) != self.facts["photos_sent"]:
            raise StepFailed(f"the page shows {len(photos)} photos, {self.facts['photos_sent']} were sent")
        self.facts["socket"] = socket_path.group(1)
        return f"private link → {case_path} 200, {len(photos)} photos served, socket {socket_path.group(1)}"

    def socket_open(self) -> str:
        # Two sockets, one after the other: nginx's round robin (shared by its workers through the
        # upstream's zone) puts them on the two replicas, so the update must cross the channel layer.
        path = f"{self.facts['socket']}?{urlencode({'token': self.facts['token']})}"
        sockets = [WebSocket(self.host, self.port, path, self.url, self.timeout) for _ in range(2)]
        firsts = [ws.receive(self.timeout) for ws in sockets]
        for first in firsts:
            if first.get("type") != "case.changed" or "version" not in first:
                raise StepFailed(f"first message {first}")
        self.facts.update(sockets=sockets, case_id=firsts[0]["case"], version=firsts[0]["version"])
        return (
            f"2 open through nginx; the case is at version {firsts[0]['version']}, {firsts[0].get('state')}"
        )

    def officer(self) -> str:
        code = self.facts["code"]
        created = self.manage("shell", "-c", OFFICER_SNIPPET.replace("CODE", json.dumps(code))).strip()
        officer = json.loads(created.splitlines()[-1])
        token = self.manage("api_token", officer["username"]).strip().splitlines()[-1]
        self.facts.update(officer=officer, officer_token=token)
        status, case = self.api("GET", f"/api/v1/cases/{self.facts['case_id']}/")
        if status != 200:
            raise StepFailed(f"GET the case: {status} {case}")
        if "accept" not in case.get("available_actions", []):
            raise StepFailed(f"accept is not available: {case.get('available_actions')}")
        status, answer = self.api(
            "POST",
            f"/api/v1/cases/{self.facts['case_id']}/accept/",
            {"assignee": officer["id"], "version": case["version"]},
        )
        if status != 200:
            raise StepFailed(f"accept: {status} {answer}")
        self.facts["accepted_version"] = answer["version"]
        return f"{officer['username']} at {officer['unit']} accepted it: {answer['state']}, version {answer['version']}"

    def live_update(self) -> str:
        sockets: list[WebSocket] = self.facts.pop("sockets")
        wanted = self.facts["accepted_version"]
        deadline = time.monotonic() + self.timeout
        heard = []
        try:
            for ws in sockets:
                while True:
                    message = ws.receive(max(deadline - time.monotonic(), 0.1))
                    if message.get("type") == "case.changed" and message.get("version", 0) >= wanted:
                        heard.append(message)
                        break
        except TimeoutError:
            raise StepFailed(
                f"{len(heard)} of 2 sockets heard version {wanted} within {self.timeout:.0f} s"
            ) from None
        finally:
            for ws in sockets:
                ws.close()
        time.sleep(0.5)  # nginx logs a socket when it closes
        socket_path = self.facts["socket"]
        upstreams = sorted(
            {r.get("upstream", "") for r in self.access_log() if r.get("uri", "").startswith(socket_path)}
        )
        return f"both sockets heard version {wanted} ({heard[0].get('state')}); their replicas: {', '.join(upstreams)}"

    def log_masked(self) -> str:
        log = Path(self.env["DJANGO_VAR_DIR"]) / "logs" / "nginx-access.log"
        if self.facts["token"] in log.read_text(encoding="utf-8"):
            raise StepFailed(f"the private tracking token is in {log}")
        masked = sum("[token]" in record.get("uri", "") for record in self.access_log())
        return f"no token in {log.name}; {masked} requests logged with [token]"

    def access_log(self) -> list[dict[str, Any]]:
        return read_jsonl(Path(self.env["DJANGO_VAR_DIR"]) / "logs" / "nginx-access.log")

    def messages(self) -> str:
        stubs = Path(self.env["DJANGO_VAR_DIR"]) / "stubs"
        e164 = "+84" + self.phone[1:]
        code = self.facts["code"]

        def sms() -> list[dict[str, Any]]:
            found = [
                r
                for r in read_jsonl(stubs / "sms.jsonl")
                if r.get("to") == e164 and code in r.get("text", "")
            ]
            return found if len(found) >= 2 else []

        texts = poll("two SMS (receipt, accepted) to the citizen at the gateway stub", sms, self.timeout)
        if not all(r.get("authorised") and r.get("idempotency_key") for r in texts):
            raise StepFailed(f"an SMS came without the gateway key or an Idempotency-Key: {texts}")

        def mail() -> list[dict[str, Any]]:
            return [r for r in read_jsonl(stubs / "mail.jsonl") if self.email in r.get("to", [])]

        mails = poll("an e-mail to the citizen at the SMTP stub", mail, self.timeout)
        return f"{len(texts)} SMS to {e164} (gateway key and Idempotency-Key), {len(mails)} e-mail(s) to {self.email}"

    def search(self) -> str:
        browser = self.browser()
        status, _answer, raw = browser.request("GET", "/office/login/")
        hidden = hidden_fields(raw.decode(errors="replace"))
        officer = self.facts["officer"]
        form = urlencode(
            {
                "csrfmiddlewaretoken": hidden.get("csrfmiddlewaretoken", ""),
                "username": officer["username"],
                "password": officer["password"],
            }
        ).encode()
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "Origin": self.url,
            "Referer": f"{self.url}/office/login/",
        }
        status, _answer, raw = browser.request("POST", "/office/login/", body=form, headers=headers)
        if status != 302:
            raise StepFailed(f"the officer's sign-in answered {status}")
        started = time.monotonic()

        def found() -> bool:
            status, _answer, raw = browser.request("GET", f"/office/search/?{urlencode({'q': self.marker})}")
            return status == 200 and self.facts["code"] in raw.decode(errors="replace")

        poll(
            f"the back office's search for {self.marker!r} finding {self.facts['code']}",
            found,
            self.search_timeout,
            2,
        )
        return f"found by the search engine {time.monotonic() - started:.0f} s after the sign-in"

    def run(self) -> Report:
        self.step("nginx: health and static files", self.nginx)
        self.step("/readyz", self.ready)
        self.step("/metrics with the token", self.metrics)
        self.step("a citizen files a petition with photos from the portal's form", self.submit)
        self.step("the private link opens the case page and its photos", self.track, ("code",))
        self.step("two WebSockets through nginx on the case's live channel", self.socket_open, ("socket",))
        self.step("an officer accepts the case through the API", self.officer, ("case_id",))
        self.step(
            "the live update arrives on both WebSockets", self.live_update, ("sockets", "accepted_version")
        )
        self.step("the worker sends the SMS and the e-mail to the stubs", self.messages, ("code",))
        self.step("the case is searchable (back-office search, search engine)", self.search, ("officer",))
        self.step(
            "nginx's access log masks the private link and the socket's token", self.log_masked, ("token",)
        )
        self.step("/readyz at the end", self.ready)
        for ws in self.facts.pop("sockets", []):
            ws.close()
        return self.report


#: Run by ``manage.py shell -c`` in the topology's settings: an officer of the case's unit.
OFFICER_SNIPPET = """
import json, secrets
from django.contrib.auth.models import User
from routing.models import Case, Membership, Role
case = Case.objects.select_related("unit").get(petition__tracking_code=CODE)
user, _ = User.objects.get_or_create(username=f"smoke-officer-{case.unit.code.lower()}")
password = secrets.token_urlsafe(18)
user.set_password(password)
user.is_active = True
user.save()
Membership.objects.update_or_create(user=user, defaults={"unit": case.unit, "role": Role.OFFICER})
print(json.dumps({"id": user.pk, "username": user.username, "password": password, "unit": case.unit.code}))
"""


def joined(headers: Any) -> dict[str, str]:
    """Response headers by name, repeated ones joined with commas (nginx sends Cache-Control twice:
    ``expires`` and ``add_header``), as HTTP reads them."""
    return {name: ", ".join(headers.get_all(name)) for name in set(headers.keys())}


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8080", help="nginx of prod_local.py")
    parser.add_argument(
        "--state-dir", type=Path, default=DEFAULT_STATE_DIR, help="prod_local.py's (its env file)"
    )
    parser.add_argument("--step-timeout", type=float, default=60, help="seconds per step (default 60)")
    parser.add_argument(
        "--search-timeout",
        type=float,
        default=120,
        help="seconds for the case to be searchable (default 120)",
    )
    parser.add_argument("--json", type=Path, help="write the report here")
    args = parser.parse_args(argv)
    started = time.monotonic()
    report = Smoke(args).run()
    passed = sum(step.result == "PASS" for step in report.steps)
    print(
        f"\n{'PASS' if report.passed else 'FAIL'}: {passed} of {len(report.steps)} steps in {time.monotonic() - started:.0f} s"
    )
    if args.json:
        facts = {
            k: v for k, v in report.facts.items() if k not in ("officer", "officer_token", "token", "link")
        }
        args.json.write_text(
            json.dumps({"steps": [asdict(s) for s in report.steps], "facts": facts}, indent=2) + "\n"
        )
    return 0 if report.passed else 1


if __name__ == "__main__":
    sys.exit(main())
