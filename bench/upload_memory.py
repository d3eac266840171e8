"""Upload memory: the peak resident memory one request adds to daphne, against the bytes it sent.

    .venv/bin/python bench/upload_memory.py [--root DIR] [--photo-mb 9.5] [--over-mb 80] [--json out.json]

What it runs: daphne serving ``config.asgi:application`` from ``--root`` (default this checkout;
another tree, e.g. ``git archive HEAD | tar -x -C /tmp/before``, measures an earlier revision with
this project's ``.venv``), one process as in production (``DJANGO_DEBUG=0``, ``-v 0``), on a SQLite
file, the local-memory cache, in-process jobs and in-memory SMS/email in a temporary directory
(migrated, units loaded, static files collected), the portal's rate limits raised.

Then, one request at a time, each as a browser sends the portal's form (CSRF cookie and token, the
signed start stamp, multipart with the photos in the form's file field):

1. one photo of ``--photo-mb`` (random pixels at 4,000 × 3,000, as phones take them: a JPEG that
   does not compress below the limit of 10 MB; decoded at half scale, 2,000 × 1,500), a valid petition;
2. five such photos (the form's whole allowance), a valid petition;
3. five photos of random pixels at 3,900 × 2,925 (about the same size in bytes): the worst JPEG,
   too small to be decoded at half scale (1,950 < 2,000 pixels), so decoded whole and resampled;
4. ``--over-mb`` of multipart with a Content-Length over the cap (expects 413);
5. the same body sent chunked, without a Content-Length (expects 413).

Before each request the process's peak is reset (``/proc/<pid>/clear_refs``, 5); after it the
script reads ``VmHWM``: the request's cost is the peak minus the resident memory before it. It
prints each one, its ratio to the bytes sent and to the form's allowance (50 MiB), and the answer.
"""

from __future__ import annotations

import argparse
import html
import http.client
import http.cookies
import io
import json
import os
import re
import secrets
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from common import free_port, loadavg, wait_for

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
PYTHON = ROOT / ".venv" / "bin" / "python"
DAPHNE = ROOT / ".venv" / "bin" / "daphne"
MIB = 1024 * 1024
#: The submit form's allowance: five photos of 10 MiB.
ALLOWED_UPLOAD = 5 * 10 * MIB

_CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
_STARTED_INPUT = re.compile(r'name="started" value="([^"]+)"')
_OPTIONS = re.compile(r'<select name="(category|province)"[^>]*>(.*?)</select>', re.S)
_OPTION = re.compile(r'<option value="([^"]+)"')


def memory_kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise SystemExit(f"no {field} for process {pid}")


def reset_peak(pid: int) -> None:
    Path(f"/proc/{pid}/clear_refs").write_text("5")


def make_photo(megabytes: float, size: tuple[int, int] = (4000, 3000)) -> bytes:
    """A JPEG of random pixels (12 MP by default, as phones take them) close to ``megabytes``."""
    from PIL import Image

    image = Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3))
    best = b""
    for quality in range(30, 96, 5):
        buffer = io.BytesIO()
        image.save(buffer, "JPEG", quality=quality)
        if buffer.tell() > megabytes * MIB:
            break
        best = buffer.getvalue()
    return best


class Browser:
    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        headers: dict[str, str] | None = None,
        chunked: bool = False,
    ) -> tuple[int, bytes, dict[str, str]]:
        sent = dict(headers or {})
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=300)
        try:
            conn.request(method, path, body=body, headers=sent, encode_chunked=chunked)
            response = conn.getresponse()
            raw = response.read()
        except (ConnectionError, http.client.HTTPException) as exc:
            return 0, str(exc).encode(), {}
        finally:
            conn.close()
        for header in response.msg.get_all("Set-Cookie") or []:
            jar = http.cookies.SimpleCookie()
            jar.load(header)
            for name, morsel in jar.items():
                self.cookies[name] = morsel.value
        return response.status, raw, {k.lower(): v for k, v in response.getheaders()}


def multipart(fields: list[tuple[str, str]], photos: list[bytes]) -> tuple[bytes, str]:
    boundary = secrets.token_hex(16)
    parts: list[bytes] = []
    for name, value in fields:
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        )
    for index, photo in enumerate(photos):
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="photos"; filename="p{index}.jpg"\r\n'
            "Content-Type: image/jpeg\r\n\r\n"
        )
        parts.append(head.encode() + photo + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def form_fields(browser: Browser, turn: int) -> list[tuple[str, str]]:
    status, raw, _headers = browser.request("GET", "/submit/")
    page = raw.decode()
    if status != 200:
        raise SystemExit(f"GET /submit/ answered {status}")
    selects = {name: _OPTION.findall(body) for name, body in _OPTIONS.findall(page)}
    province = selects["province"][turn % len(selects["province"])]
    _s, communes, _h = browser.request("GET", f"/units/{province}/communes.json")
    commune = json.loads(communes)["communes"][0]["code"]
    return [
        ("csrfmiddlewaretoken", html.unescape(_CSRF_INPUT.search(page).group(1))),  # type: ignore[union-attr]
        ("started", html.unescape(_STARTED_INPUT.search(page).group(1))),  # type: ignore[union-attr]
        ("website", ""),
        ("category", selects["category"][0]),
        ("province", province),
        ("commune", commune),
        ("address", ""),
        ("title", f"Đường ngập sau mưa lớn, lần đo {turn}"),
        ("text", "Đoạn đường trước chợ bị ngập sâu mỗi khi mưa lớn, xe máy không đi qua được. " * 3),
        ("submitter_name", "Nguyễn Văn An"),
        ("phone", f"09{12345000 + turn:08d}"),
        ("email", ""),
    ]


def measure(pid: int, send: Any) -> dict[str, Any]:
    time.sleep(0.5)
    reset_peak(pid)
    before = memory_kib(pid, "VmRSS")
    started = time.monotonic()
    status, raw, headers = send()
    seconds = time.monotonic() - started
    peak = memory_kib(pid, "VmHWM")
    return {
        "status": status,
        "seconds": round(seconds, 2),
        "rss_before_mib": round(before / 1024, 1),
        "peak_mib": round(peak / 1024, 1),
        "added_mib": round((peak - before) / 1024, 1),
        "content_type": headers.get("content-type", ""),
        "answer": raw[:160].decode(errors="replace"),
    }


def chunks(body: bytes, size: int = 256 * 1024) -> Iterator[bytes]:
    for start in range(0, len(body), size):
        yield body[start : start + size]


def run(args: argparse.Namespace) -> dict[str, Any]:
    root = Path(args.root).resolve()
    workdir = Path(tempfile.mkdtemp(prefix="upload-memory-"))
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        "DJANGO_VAR_DIR": str(workdir),
        "SMS_BACKEND": "notifications.transports.sms.LocmemSmsBackend",
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "RATE_SUBMIT_IP": "1000000/h",
        "RATE_SUBMIT_PHONE": "1000000/h",
        "RATE_UPLOAD_IP": "1000000/h",
        "PORTAL_MIN_FORM_SECONDS": "0",
        "LOG_LEVEL": "WARNING",
        "LOG_FORMAT": "plain",
        "PYTHONPATH": str(root),
    }
    for name in ("DATABASE_URL", "REDIS_URL", "ELASTICSEARCH_URL", "OPENSEARCH_URL"):
        env.pop(name, None)
    print(f"setting up in {workdir}: migrate, load_units, collectstatic ({root})")
    for command in (
        ["migrate", "-v", "0"],
        ["load_units", "-v", "0"],
        ["collectstatic", "--noinput", "-v", "0"],
    ):
        subprocess.run(  # noqa: S603 (our own command)
            [PYTHON, "manage.py", *command], cwd=root, env=env, check=True, stdout=subprocess.DEVNULL
        )
    log = (workdir / "daphne.log").open("w")
    server = subprocess.Popen(  # noqa: S603 (our own server)
        [str(DAPHNE), "-v", "0", "-b", "127.0.0.1", "-p", str(port), "config.asgi:application"],
        cwd=root,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for(f"http://127.0.0.1:{port}/healthz")
        photo = make_photo(args.photo_mb)
        whole = make_photo(args.photo_mb, (3900, 2925))
        print(f"photos: {len(photo) / MIB:.2f} MiB at 4000 × 3000, {len(whole) / MIB:.2f} MiB at 3900 × 2925")
        browser = Browser(port)

        def submit(turn: int, photos: list[bytes]) -> Any:
            body, content_type = multipart(form_fields(browser, turn), photos)
            headers = {"Content-Type": content_type, "Referer": f"http://127.0.0.1:{port}/submit/"}
            return body, lambda: browser.request("POST", "/submit/", body, headers)

        # Warm-up: imports, templates, Pillow's plugins, the first connection to SQLite.
        for turn in range(2):
            _body, send = submit(turn, [photo])
            status, raw, _headers = send()
            if status != 302:
                (workdir / "answer.html").write_bytes(raw)
                errors = re.findall(r"<li>(.*?)</li>", raw.decode(errors="replace"))
                raise SystemExit(
                    f"warm-up submission answered {status}: {errors} (log: {workdir / 'daphne.log'})"
                )

        results: dict[str, Any] = {}
        body, send = submit(10, [photo])
        results["one photo"] = {"sent_mib": round(len(body) / MIB, 2), **measure(server.pid, send)}
        body, send = submit(11, [photo] * 5)
        results["five photos"] = {"sent_mib": round(len(body) / MIB, 2), **measure(server.pid, send)}
        body, send = submit(13, [whole] * 5)
        results["five photos decoded whole"] = {
            "sent_mib": round(len(body) / MIB, 2),
            **measure(server.pid, send),
        }
        filler = os.urandom(MIB) * args.over_mb
        over, content_type = multipart(form_fields(browser, 12), [filler])
        headers = {"Content-Type": content_type}
        results["over the cap, Content-Length"] = {
            "sent_mib": round(len(over) / MIB, 2),
            **measure(server.pid, lambda: browser.request("POST", "/submit/", over, headers)),
        }
        results["over the cap, chunked"] = {
            "sent_mib": round(len(over) / MIB, 2),
            **measure(
                server.pid, lambda: browser.request("POST", "/submit/", chunks(over), headers, chunked=True)
            ),
        }
        for result in results.values():
            result["added_per_sent"] = round(result["added_mib"] / result["sent_mib"], 2)
            result["added_per_allowance"] = round(result["added_mib"] * MIB / ALLOWED_UPLOAD, 2)
        return {
            "root": str(root),
            "loadavg": loadavg(),
            "photo_mib": round(len(photo) / MIB, 2),
            "results": results,
        }
    finally:
        server.terminate()
        server.wait(timeout=20)
        log.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--root", default=str(ROOT), help="the project tree to serve (default: this checkout)"
    )
    parser.add_argument("--photo-mb", type=float, default=9.5)
    parser.add_argument("--over-mb", type=int, default=80)
    parser.add_argument("--json", help="write the results to this file")
    args = parser.parse_args(argv)
    report = run(args)
    print(f"load {report['loadavg']}")
    print(
        f"{'request':32} {'sent':>9} {'status':>6} {'RSS before':>11} {'peak':>9} {'added':>9} {'÷ sent':>7} {'÷ 50 MiB':>8}"
    )
    for name, r in report["results"].items():
        print(
            f"{name:32} {r['sent_mib']:>6.1f} MiB {r['status']:>6} {r['rss_before_mib']:>7.1f} MiB"
            f" {r['peak_mib']:>5.0f} MiB {r['added_mib']:>5.1f} MiB {r['added_per_sent']:>7.2f} {r['added_per_allowance']:>8.2f}"
        )
    if args.json:
        Path(args.json).write_text(json.dumps(report, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
