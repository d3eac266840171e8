"""Build and start the tests' and benchmarks' search engine: OpenSearch 2.19 in one JVM.

The jars come from Maven Central through ``pom.xml`` beside this file (``mvn package`` writes the
classpath to ``target/classpath.txt``); ``SearchEngine.java`` starts a single node on 127.0.0.1.
No distribution tarball and no container: neither can be had on the project's machines.

    python -m search.engine.launch --port 9200          # in the foreground until Ctrl-C
    python -m search.engine.launch --build-only

After start-up the launcher checks that the analysis plugin really loaded (OpenSearch only logs a
missing module) by folding ``Đường`` to ``duong`` through ``asciifolding``.
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

ENGINE_DIR = Path(__file__).resolve().parent
CLASSPATH_FILE = ENGINE_DIR / "target" / "classpath.txt"
SOURCES = [ENGINE_DIR / "pom.xml", *sorted((ENGINE_DIR / "src").rglob("*.java"))]
MAIN_CLASS = "portal.search.SearchEngine"
#: Enough for the test suite's small indices; benchmarks pass a larger heap.
DEFAULT_HEAP = "512m"


class EngineFailed(RuntimeError):
    """The engine could not be built or did not come up as it should."""


def build() -> str:
    """The engine's Java classpath, building it with Maven first if the sources changed.

    Under a file lock: two test workers or a benchmark may ask at once, and two Maven runs must
    not write one ``target/``.
    """
    (ENGINE_DIR / "target").mkdir(exist_ok=True)
    with (ENGINE_DIR / "target" / ".build.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        stamp = CLASSPATH_FILE.stat().st_mtime if CLASSPATH_FILE.exists() else 0.0
        if stamp < max(path.stat().st_mtime for path in SOURCES):
            mvn = shutil.which("mvn")
            if mvn is None:
                raise EngineFailed("Maven (mvn) is needed to build the search engine: apt-get install maven")
            done = subprocess.run(  # noqa: S603
                [mvn, "-q", "-B", "-DskipTests", "package"], cwd=ENGINE_DIR, capture_output=True, text=True
            )
            if done.returncode != 0:
                raise EngineFailed(
                    f"mvn package failed in {ENGINE_DIR}:\n{done.stdout[-4000:]}{done.stderr[-4000:]}"
                )
            CLASSPATH_FILE.touch()
    return f"{ENGINE_DIR / 'target' / 'classes'}{os.pathsep}{CLASSPATH_FILE.read_text().strip()}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Engine:
    url: str
    pid: int
    home: Path
    seconds_to_start: float
    process: subprocess.Popen[bytes] | None = None
    #: The data folder was made by ``start`` (none given): ``stop`` removes it.
    temporary: bool = False

    def stop(self, *, timeout: float = 30.0) -> None:
        """SIGTERM (the node closes cleanly), then SIGKILL if it has not gone within ``timeout``."""
        stop_pid(self.pid, timeout=timeout)
        if self.process is not None:
            self.process.wait(timeout=5)
        if self.temporary:
            shutil.rmtree(self.home, ignore_errors=True)


def stop_pid(pid: int, *, timeout: float = 30.0) -> None:
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        try:  # our own child: reap it, or it stays a zombie that os.kill still finds
            if os.waitpid(pid, os.WNOHANG)[0] == pid:
                return
        except ChildProcessError:
            pass
        time.sleep(0.1)
    os.kill(pid, signal.SIGKILL)


def start(
    *, home: Path | None = None, port: int = 0, heap: str = DEFAULT_HEAP, timeout: float = 120.0,
    detached: bool = False, owner: int | None = None,
) -> Engine:  # fmt: skip
    """Start a node and wait until it answers and folds Vietnamese; its output goes to ``home/engine.log``.

    ``port`` 0: the system chooses a free one as the node binds it (no other process can take it
    in between). ``detached``: in a session of its own, so that it outlives the process that
    started it (a test run's first worker starts it, the run's controller stops it). ``owner``:
    the JVM stops by itself when that process ends, however it ends.
    """
    classpath = build()
    temporary = home is None
    home = home or Path(tempfile.mkdtemp(prefix="portal-search-"))
    home.mkdir(parents=True, exist_ok=True)
    java = shutil.which("java")
    if java is None:
        raise EngineFailed(
            "Java 17 is needed to run the search engine: apt-get install openjdk-17-jre-headless"
        )
    command = [
        java, f"-Xms{heap}", f"-Xmx{heap}", "-XX:+UseG1GC",
        "-Djava.awt.headless=true", "-Dfile.encoding=UTF-8", "-Dlog4j2.disable.jmx=true",
        "-cp", classpath, MAIN_CLASS, str(home), str(port), *([str(owner)] if owner else []),
    ]  # fmt: skip
    ready = home / "ready"
    ready.unlink(missing_ok=True)  # left by an earlier run in the same folder
    clock = time.monotonic()
    with (home / "engine.log").open("ab") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, start_new_session=detached)  # noqa: S603
    # At once, not when it is ready: a caller killed during the start-up leaves a JVM to find.
    (home / "engine.pid").write_text(str(process.pid))
    deadline = clock + timeout
    try:
        while not ready.exists():
            if process.poll() is not None:
                raise EngineFailed(
                    f"the search engine exited with {process.returncode}; see {home / 'engine.log'}"
                )
            if time.monotonic() > deadline:
                raise EngineFailed(
                    f"the search engine did not start within {timeout:.0f} s; see {home / 'engine.log'}"
                )
            time.sleep(0.1)
    except BaseException:  # a timeout, or the caller interrupted (Ctrl-C, SIGTERM turned into an exception)
        stop_pid(process.pid)
        raise
    url = f"http://127.0.0.1:{int(ready.read_text())}"
    engine = Engine(
        url=url, pid=process.pid, home=home, seconds_to_start=0.0, process=process, temporary=temporary
    )
    try:
        check_analysis(url)
    except Exception:
        engine.stop()
        raise
    engine.seconds_to_start = time.monotonic() - clock
    return engine


def check_analysis(url: str) -> None:
    """Fail unless the analysis plugin folds tone marks and đ (asciifolding keeping the original)."""
    body = {
        "tokenizer": "standard",
        "filter": ["lowercase", {"type": "asciifolding", "preserve_original": True}],
        "text": "Đường",
    }
    tokens = {token["token"] for token in _post(f"{url}/_analyze", body)["tokens"]}
    if tokens != {"đường", "duong"}:
        raise EngineFailed(
            f"the search engine's asciifolding does not work (analysis plugin missing?): {tokens}"
        )


def _post(url: str, body: Mapping[str, object]) -> dict[str, list[dict[str, str]]]:
    request = urllib.request.Request(  # noqa: S310 (a loopback URL this module built)
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            result: dict[str, list[dict[str, str]]] = json.load(response)
            return result
    except urllib.error.URLError as exc:
        raise EngineFailed(f"the search engine does not answer at {url}: {exc}") from exc


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--port", type=int, default=9200)
    parser.add_argument("--heap", default="1g", help="JVM heap, e.g. 512m, 1g, 4g (default 1g)")
    parser.add_argument("--home", type=Path, help="data folder (default: a new temporary folder)")
    parser.add_argument("--build-only", action="store_true", help="build the classpath and exit")
    args = parser.parse_args()
    if args.build_only:
        build()
        print(f"search engine built: {CLASSPATH_FILE}")
        return
    engine = start(home=args.home, port=args.port, heap=args.heap)
    print(
        f"OpenSearch on {engine.url} (data in {engine.home}, started in {engine.seconds_to_start:.1f} s); "
        f"OPENSEARCH_URL={engine.url} points the portal at it. Ctrl-C stops it.",
        flush=True,
    )
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        while engine.process is not None and engine.process.poll() is None:
            time.sleep(1)
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        engine.stop()


if __name__ == "__main__":
    main()
