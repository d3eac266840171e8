"""Every benchmark at one size, one JSON result file: what ``make bench`` runs.

    .venv/bin/python bench/run_all.py [--size small|medium]
        [--only intake,search,live,fanout,office,schemathesis,soak]
        [--out FILE] [--intake-duration S] [--intake-connections N] [--intake-no-helpdesk]
        [--search-cases N] [--live-updates N] [--fanout-sockets N] [--office-cases N]
        [--schemathesis-examples N] [--soak-duration S]

Runs, each in its own process, one after the other (the machine has two cores):

- ``intake``: ``bench/intake.py`` (CPU per petition and throughput over HTTP: ``/healthz``, hello-world
  behind the full middleware, the API, the citizen's form flow and django-helpdesk's public ticket
  flow side by side; its own database ``petitions_bench_intake``, Redis db 8, helpdesk in
  ``/tmp/helpdesk-venv`` with its database ``helpdesk_bench``; ``--intake-no-helpdesk`` leaves
  helpdesk out), with ``--json``;
- ``search``: ``bench/search_scale.py`` (indexing rate and search latency on the real engine,
  OpenSearch in one JVM started by the script with ``search.engine.launch``, 1g heap) on a
  database of its own per size (``petitions_bench_all_search_<cases>``, filled by
  ``bench/generate.py`` the first time), with ``--json``, fewer timed runs than its defaults at
  the small size;
- ``live``: ``bench/live_latency.py`` (commit → browser latency; Redis db 8, Chromium); it has no
  JSON output, so its printed summary is parsed;
- ``fanout``: ``bench/live_fanout.py`` (sockets on one daphne process watching a few cases: lost
  updates, commit → receipt latency, memory per socket; its clients in ``/tmp/wsvenv``, made with
  ``websockets`` the first time), with ``--json``;
- ``office``: ``bench/backoffice_scale.py`` (the leader pages on the daily and monthly rollups, the
  inbox, and the set-based deadline sweep with its digests) on a database of its own per size
  (``petitions_bench_office_all_<cases>``, filled by ``bench/generate.py`` the first time), with
  ``--json``;
- ``schemathesis``: ``bench/schemathesis_run.py`` (the API against its OpenAPI document, every
  check, staff token and partner key, on its own daphne and SQLite), with ``--json``; it fails on
  any server error or failed check;
- ``soak``: ``bench/soak.py`` (the local production topology of ``bench/prod_local.py`` under 5
  petitions/s, 10 % with photos, 200 live pages and officers acting: memory slope per process, log
  errors, p99 drift, outbox lag, then every acknowledged petition checked), with ``--json``; its own
  ports, state directory ``var/prod-soak`` and database ``petitions_prod_soak``.

Sizes (explicit flags win):

| size | intake | search | live | fanout | office | schemathesis | soak |
|---|---|---|---|---|---|---|---|
| small (default) | 10 s, 8 connections | 2,000 cases | 20 updates | 200 sockets, 20 notes | 10,000 cases | 25 examples per operation | 5 minutes |
| medium | 30 s, 16 connections | 20,000 cases | 100 updates | 1,000 sockets, 50 notes | 100,000 cases | 100 examples per operation | 15 minutes |

Writes ``bench/results/bench-<UTC timestamp>.json`` (git-ignored; ``--out`` to choose) with the
machine (cores, memory, Python, Java, PostgreSQL, Redis, wrk and Chromium versions, load average), each
benchmark's command, exit status, duration and results, and exits 1 if any benchmark failed.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from common import git_revision, loadavg, memory_gib

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
PYTHON = ROOT / ".venv" / "bin" / "python"
RESULTS = BENCH / "results"
POSTGRES = "postgres://postgres@127.0.0.1:5432"
REDIS_URL = "redis://127.0.0.1:6379/8"
BENCHMARKS = ("intake", "search", "live", "fanout", "office", "schemathesis", "soak")
#: The live fan-out's clients run in a venv of their own (``websockets`` is not a dependency).
WS_VENV = Path("/tmp/wsvenv")  # noqa: S108 (a throwaway venv of ours)
WEBSOCKETS = "websockets==17.4"

SIZES: dict[str, dict[str, Any]] = {
    "small": {
        "intake_duration": 10,
        "intake_connections": 8,
        "search_cases": 2000,
        "search_extra": [
            "--runs=50",
            "--monitor-runs=20",
            "--db-runs=10",
            "--time-limit=10",
            "--db-time-limit=10",
            "--warmup=5",
            "--pure-bulk-docs=2000",
        ],
        "live_updates": 20,
        "fanout_sockets": 200,
        "fanout_updates": 20,
        "office_cases": 10000,
        "schemathesis_examples": 25,
        "soak_duration": 300,
    },
    "medium": {
        "intake_duration": 30,
        "intake_connections": 16,
        "search_cases": 20000,
        "search_extra": ["--runs=200", "--monitor-runs=50", "--db-runs=20", "--pure-bulk-docs=10000"],
        "live_updates": 100,
        "fanout_sockets": 1000,
        "fanout_updates": 50,
        "office_cases": 100000,
        "schemathesis_examples": 100,
        "soak_duration": 900,
    },
}

LIVE_COUNTS = re.compile(r"updates: (\d+), shown: (\d+), missed: (\d+)")
LIVE_LATENCY = re.compile(r"median (\d+), p90 (\d+), p99 (\d+), max (\d+)")


@dataclass
class Run:
    name: str
    command: list[str]
    json_file: Path | None
    timeout: float
    env: dict[str, str]


def command_output(command: list[str]) -> str:
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=20, check=False)  # noqa: S603
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    lines = (done.stdout or done.stderr).strip().splitlines()
    return lines[0].strip() if lines else "unknown"


def postgres_version() -> str:
    try:
        import psycopg

        with psycopg.connect(
            f"{POSTGRES.replace('postgres://', 'postgresql://')}/postgres", connect_timeout=5
        ) as conn:
            row = conn.execute("SHOW server_version").fetchone()
            return str(row[0]) if row else "unknown"
    except Exception as exc:  # recorded, not fatal: the benchmarks say what went wrong
        return f"unknown ({type(exc).__name__})"


def redis_version() -> str:
    try:
        import redis

        client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
        try:
            return str(client.info("server").get("redis_version", "unknown"))
        finally:
            client.close()
    except Exception as exc:  # recorded, not fatal
        return f"unknown ({type(exc).__name__})"


def machine() -> dict[str, Any]:
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        "unknown",
    )
    return {
        "cores": os.cpu_count(),
        "cpu": model,
        "memory_gib": memory_gib(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "postgresql": postgres_version(),
        "redis": redis_version(),
        "wrk": command_output([shutil.which("wrk") or "wrk", "-v"]),
        "chromium": command_output(["/usr/bin/chromium", "--version"]),
        "java": command_output([shutil.which("java") or "java", "-version"]),
        "git": git_revision(),
        "load_average_start": loadavg(),
    }


def parse_live(stdout: str) -> dict[str, Any] | None:
    counts, latency = LIVE_COUNTS.search(stdout), LIVE_LATENCY.search(stdout)
    if counts is None:
        return None
    result: dict[str, Any] = dict(zip(("updates", "shown", "missed"), map(int, counts.groups()), strict=True))
    if latency is not None:
        result["latency_ms"] = dict(
            zip(("median", "p90", "p99", "max"), map(int, latency.groups()), strict=True)
        )
    return result


def pick(explicit: Any, default: Any) -> Any:
    """An explicit flag wins over the size's value (0 included)."""
    return default if explicit is None else explicit


def plan(args: argparse.Namespace, size: dict[str, Any], workdir: Path) -> list[Run]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    python = str(PYTHON)
    runs = {
        "intake": Run(
            "intake",
            [
                python,
                str(BENCH / "intake.py"),
                f"--duration={pick(args.intake_duration, size['intake_duration'])}",
                f"--connections={pick(args.intake_connections, size['intake_connections'])}",
                f"--json={workdir / 'intake.json'}",
                *(["--no-helpdesk"] if args.intake_no_helpdesk else []),
            ],
            workdir / "intake.json",
            args.timeout,
            env,
        ),
        "search": Run(
            "search",
            [
                python,
                str(BENCH / "search_scale.py"),
                f"--cases={pick(args.search_cases, size['search_cases'])}",
                f"--database-url={POSTGRES}/petitions_bench_all_search_{pick(args.search_cases, size['search_cases'])}",
                *size["search_extra"],
                f"--json={workdir / 'search.json'}",
            ],
            workdir / "search.json",
            args.timeout,
            env,
        ),
        "live": Run(
            "live",
            [
                python,
                str(BENCH / "live_latency.py"),
                f"--updates={pick(args.live_updates, size['live_updates'])}",
            ],
            None,
            args.timeout,
            {**env, "REDIS_URL": REDIS_URL},
        ),
        "fanout": Run(
            "fanout",
            [
                python,
                str(BENCH / "live_fanout.py"),
                f"--sockets={pick(args.fanout_sockets, size['fanout_sockets'])}",
                "--cases=10",
                f"--updates={size['fanout_updates']}",
                f"--client-python={WS_VENV / 'bin' / 'python'}",
                f"--json={workdir / 'fanout.json'}",
            ],
            workdir / "fanout.json",
            args.timeout,
            env,
        ),
        "office": Run(
            "office",
            [
                python,
                str(BENCH / "backoffice_scale.py"),
                f"--cases={pick(args.office_cases, size['office_cases'])}",
                f"--database-url={POSTGRES}/petitions_bench_office_all_{pick(args.office_cases, size['office_cases'])}",
                "--runs=10",
                "--defer-drain",
                f"--json={workdir / 'office.json'}",
            ],
            workdir / "office.json",
            args.timeout,
            env,
        ),
        "schemathesis": Run(
            "schemathesis",
            [
                python,
                str(BENCH / "schemathesis_run.py"),
                f"--max-examples={pick(args.schemathesis_examples, size['schemathesis_examples'])}",
                f"--json={workdir / 'schemathesis.json'}",
            ],
            workdir / "schemathesis.json",
            args.timeout,
            env,
        ),
        "soak": Run(
            "soak",
            [
                python,
                str(BENCH / "soak.py"),
                f"--duration={pick(args.soak_duration, size['soak_duration'])}",
                f"--json={workdir / 'soak.json'}",
            ],
            workdir / "soak.json",
            max(args.timeout, pick(args.soak_duration, size["soak_duration"]) + 1200),
            env,
        ),
    }
    return [runs[name] for name in args.only]


def execute(run: Run) -> dict[str, Any]:
    """Run one benchmark in its own process group, echoing its output; stop the group on timeout."""
    print(f"== {run.name}: {' '.join(run.command[1:])}", flush=True)
    started = time.monotonic()
    record: dict[str, Any] = {"command": run.command[1:]}
    process = subprocess.Popen(  # noqa: S603 (our own scripts)
        run.command,
        cwd=ROOT,
        env=run.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    timed_out = threading.Event()

    def stop() -> None:
        timed_out.set()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)

    timer = threading.Timer(run.timeout, stop)
    timer.start()
    lines: list[str] = []
    try:
        assert process.stdout is not None
        for line in process.stdout:
            sys.stdout.write(line)
            sys.stdout.flush()
            lines.append(line)
        returncode: int | None = process.wait()
    finally:
        timer.cancel()
    if timed_out.is_set():
        record["timed_out_after_seconds"] = run.timeout
        returncode = None
    record["seconds"] = round(time.monotonic() - started, 1)
    record["returncode"] = returncode
    output = "".join(lines)
    result: dict[str, Any] | None = None
    if run.json_file is not None:
        if run.json_file.exists():
            result = json.loads(run.json_file.read_text())
    else:
        result = parse_live(output)
    record["result"] = result
    ok = returncode == 0 and result is not None
    if run.name == "live" and result is not None:
        ok = ok and result["shown"] > 0 and result["missed"] == 0
    record["ok"] = ok
    if not ok:
        record["output_tail"] = output.splitlines()[-40:]
    print(f"== {run.name}: {'ok' if ok else 'FAILED'} in {record['seconds']:.0f} s", flush=True)
    return record


def ensure_ws_venv() -> None:
    """The fan-out's client venv, made once (``websockets`` pinned; the registry is reachable)."""
    if (WS_VENV / "bin" / "python").exists():
        return
    subprocess.run([sys.executable, "-m", "venv", str(WS_VENV)], check=True)  # noqa: S603
    subprocess.run(  # noqa: S603
        [str(WS_VENV / "bin" / "pip"), "install", "--quiet", WEBSOCKETS], check=True
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=sorted(SIZES), default="small")
    parser.add_argument(
        "--only",
        type=lambda value: [name.strip() for name in value.split(",") if name.strip()],
        default=list(BENCHMARKS),
        help=f"comma-separated subset of {','.join(BENCHMARKS)}",
    )
    parser.add_argument("--intake-duration", type=float, help="seconds of each intake measurement")
    parser.add_argument("--intake-connections", type=int)
    parser.add_argument(
        "--intake-no-helpdesk", action="store_true", help="intake without django-helpdesk's phase"
    )
    parser.add_argument("--search-cases", type=int)
    parser.add_argument("--live-updates", type=int)
    parser.add_argument("--fanout-sockets", type=int)
    parser.add_argument("--office-cases", type=int)
    parser.add_argument("--schemathesis-examples", type=int, help="examples per operation and phase")
    parser.add_argument("--soak-duration", type=float, help="seconds of the soak's load")
    parser.add_argument(
        "--timeout", type=float, default=1800, help="seconds per benchmark before it is stopped"
    )
    parser.add_argument(
        "--out", type=Path, help="result file (default bench/results/bench-<UTC timestamp>.json)"
    )
    args = parser.parse_args(argv)
    unknown = [name for name in args.only if name not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(unknown)}")

    started = dt.datetime.now(dt.UTC)
    out = args.out or RESULTS / f"bench-{started:%Y%m%dT%H%M%SZ}.json"
    size = SIZES[args.size]
    report: dict[str, Any] = {
        "started_at": started.isoformat(timespec="seconds"),
        "size": args.size,
        "parameters": {
            "intake_duration": pick(args.intake_duration, size["intake_duration"]),
            "intake_connections": pick(args.intake_connections, size["intake_connections"]),
            "intake_helpdesk": not args.intake_no_helpdesk,
            "search_cases": pick(args.search_cases, size["search_cases"]),
            "live_updates": pick(args.live_updates, size["live_updates"]),
            "fanout_sockets": pick(args.fanout_sockets, size["fanout_sockets"]),
            "office_cases": pick(args.office_cases, size["office_cases"]),
            "schemathesis_examples": pick(args.schemathesis_examples, size["schemathesis_examples"]),
            "soak_duration": pick(args.soak_duration, size["soak_duration"]),
            "only": args.only,
        },
        "machine": machine(),
        "benchmarks": {},
    }
    if "fanout" in args.only:
        ensure_ws_venv()
    with tempfile.TemporaryDirectory(prefix="bench-all-") as tmp:
        for run in plan(args, size, Path(tmp)):
            report["benchmarks"][run.name] = execute(run)
    report["machine"]["load_average_end"] = loadavg()
    report["seconds"] = round((dt.datetime.now(dt.UTC) - started).total_seconds(), 1)
    failed = [name for name, record in report["benchmarks"].items() if not record["ok"]]
    report["ok"] = not failed
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2, ensure_ascii=False, default=str) + "\n")
    print(f"results written to {out}")
    if failed:
        print(f"FAILED: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
