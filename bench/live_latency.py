"""Latency from commit to the citizen's browser: 100 public notes on one case.

    .venv/bin/python bench/live_latency.py [--updates 100] [--interval 0.3]

What it runs: daphne serving the project on a free port (SQLite file in a
temporary directory, the Redis channel layer at ``REDIS_URL`` or
redis://127.0.0.1:6379/0, so that this process can publish like any web or
worker process), Debian's Chromium on the citizen's tracking page, and this
process adding public notes through ``routing.services.case_add_note``. For
each note it takes the time right after the service returned (the transaction
has committed and the push has been handed to the channel layer) and the time
the browser swapped in the timeline of that version (a MutationObserver on the
page). Both clocks are this machine's. It prints the median, 90th and 99th
percentiles and the maximum, in milliseconds.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

from common import free_port, percentile

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


OBSERVER = """
window.__versions = {};
const record = () => {
  const timeline = document.querySelector('[data-live-fragment="timeline"]');
  if (timeline && !(timeline.dataset.liveKey in window.__versions)) {
    window.__versions[timeline.dataset.liveKey] = Date.now();
  }
};
new MutationObserver(record).observe(document.body, {childList: true, subtree: true});
record();
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--updates", type=int, default=100)
    parser.add_argument("--interval", type=float, default=0.3, help="seconds between notes")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="live-bench-"))
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": f"sqlite:///{workdir / 'db.sqlite3'}",
        "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
        "CHANNEL_PREFIX": f"bench-{uuid.uuid4().hex[:8]}",
        "DJANGO_VAR_DIR": str(workdir),
        "SMS_BACKEND": "notifications.transports.sms.LocmemSmsBackend",
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "LOG_LEVEL": "WARNING",
    }
    os.environ.update(env)
    python = str(ROOT / ".venv" / "bin" / "python")
    for command in (["migrate", "-v", "0"], ["load_units", "-v", "0"]):
        subprocess.run([python, "manage.py", *command], cwd=ROOT, env=env, check=True)  # noqa: S603 (our own command)

    import django

    django.setup()
    from django.contrib.auth.models import User

    from petitions.models import Category
    from petitions.services import Submission, petition_submit
    from routing import services
    from routing.models import Membership, Role, Unit

    commune = Unit.objects.get(code="W00070")
    officer = User.objects.create_user("bench.officer", password=uuid.uuid4().hex)
    Membership.objects.create(user=officer, unit=commune, role=Role.OFFICER)
    result = petition_submit(
        submission=Submission(
            category=Category.objects.get(code="environment"),
            commune=commune,
            phone="0912 345 678",
            submitter_name="Nguyễn Văn An",
            title="Đo độ trễ cập nhật trực tiếp",
            text="Phản ánh dùng để đo thời gian từ lúc lưu đến lúc trình duyệt hiển thị.",
        ),
        notify=False,
    )
    case_id = result.petition.case.pk

    port = free_port()
    server = subprocess.Popen(  # noqa: S603 (our own server)
        [
            str(ROOT / ".venv" / "bin" / "daphne"),
            "-b",
            "127.0.0.1",
            "-p",
            str(port),
            "config.asgi:application",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        from playwright.sync_api import sync_playwright

        committed: dict[int, float] = {}

        def add_notes() -> None:
            # Its own thread: Playwright's sync API keeps an event loop in the main one.
            for i in range(args.updates):
                event = services.case_add_note(
                    case_id=case_id, actor=officer, text=f"Ghi chú công khai số {i + 1}.", is_public=True
                )
                committed[event.case_version] = time.time() * 1000
                time.sleep(args.interval)

        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path="/usr/bin/chromium",
                args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
            )
            page = browser.new_page()
            page.goto(f"http://127.0.0.1:{port}/t/{result.token}/")
            page.wait_for_selector('[data-live-fragment="timeline"]')
            page.evaluate(OBSERVER)
            page.wait_for_timeout(1000)  # the socket connects
            writer = threading.Thread(target=add_notes)
            writer.start()
            while writer.is_alive():
                page.wait_for_timeout(200)
            page.wait_for_timeout(2000)
            shown: dict[str, float] = page.evaluate("window.__versions")
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=10)

    latencies = [shown[str(v)] - t for v, t in committed.items() if str(v) in shown]
    missed = len(committed) - len(latencies)
    print(f"updates: {len(committed)}, shown: {len(latencies)}, missed: {missed}")
    if latencies:
        median, p90, p99 = (
            statistics.median(latencies),
            percentile(latencies, 0.9),
            percentile(latencies, 0.99),
        )
        print(
            f"commit → browser (ms): median {median:.0f}, p90 {p90:.0f}, p99 {p99:.0f}, max {max(latencies):.0f}"
        )


if __name__ == "__main__":
    main()
