"""A soak of the local production topology: steady load for an hour; memory, errors, p99, outbox lag.

    .venv/bin/python bench/soak.py [--duration 3600] [--rate 5] [--photo-share 0.1] [--sockets 200]
        [--json out.json] [--url http://127.0.0.1:8280] [--keep] [--tracemalloc FRAMES]

It starts ``bench/prod_local.py``'s topology (nginx, two daphne replicas, the Celery worker and
beat, Redis, OpenSearch, PostgreSQL, the SMS and SMTP stubs) on ports, a state directory and a
database of its own (the defaults below), unless ``--url`` names one already running, and puts on it
the load of ``bench/drills.py`` (its citizens, officers, live pages and probes, all through nginx),
at a steady rate and with nothing taken away: ``--rate`` petitions per second, ``--form-share`` of
them from the portal's form (the rest through the API), ``--photo-share`` of all of them with one or
two photos (the form's), one officer per commune (``--communes``) acting every ``--officer-every``
seconds, ``--sockets`` live pages on ``--watched`` cases.

Every ``--sample`` seconds it records, per process of the topology (its whole process group: the
worker's pool, nginx's workers; PostgreSQL's postmaster with its backends), the proportional set
size (PSS, so that pages shared by a pool are counted once) and the CPU time; and, from the
database, how long the oldest notification and search-index row still waiting has waited.
``/metrics`` is scraped every 4 s (``portal_outbox_oldest_due_seconds``, what an operator alerts
on). Requests are cut into windows of ``--window`` seconds with their p99 per kind.

PASS when, after ``--warmup`` seconds (20 % of the run unless given):

- memory is flat: for each of the portal's processes (the web replicas, the worker, beat) and
  nginx, the least-squares slope of its PSS, over the samples after the warm-up, projected over
  that span, is within ``--max-growth`` of its median size or ``--max-growth-mb`` (whichever is
  larger); Redis, the search engine's JVM, PostgreSQL and the stubs are reported, not judged (their
  memory grows with what they hold);
- over the whole run, warm-up included: no ERROR or CRITICAL line in any of the topology's logs
  (nginx's ``[error]`` and ``[crit]`` included), no process exited (also while the end state is
  checked) (the supervisor of ``drills.py`` would start it again: a finding),
  no request answered 5xx, a connection error or a timeout, no submission refused;
- p99 stable: for the submissions (form and API POSTs), the officers' actions, the live pages'
  snapshot fetches and the live delivery (officer's answer → the page holds the new version), the
  median of the windows' p99 in the last third of the run is at most ``--max-p99-ratio`` × that of
  the first third after the warm-up, plus ``--p99-slack`` ms (the machine is shared: absolute
  numbers are reported, only the drift is judged);
- the outboxes never behind by more than ``--max-lag`` seconds (60), warm-up included: the oldest
  waiting row, at every sample, and ``portal_outbox_oldest_due_seconds`` at every scrape;
- the live pages never disconnected, and every officer action on a watched case reached every page
  on it;
- at the end, with the load stopped and the outboxes empty, the end state of ``drills.py``: every
  acknowledged petition there once with its photos, its receipt SMS and its search document, every
  notification sent, every officer action with its event.

``--tracemalloc N`` starts the topology with ``PYTHONTRACEMALLOC=N`` (every Python process traces
its allocations: slower, a diagnosis) and asks the web replicas (``config.memory``, SIGUSR2) for
their allocation sites after the warm-up and at the end; the sites that grew most are printed and
kept in ``--json``.

``make bench`` runs a 5-minute version (``run_all.py``'s ``soak``). Exit status 0 on PASS; ``--json``
writes everything recorded (samples, windows, slopes, the final checks).
"""

from __future__ import annotations

import argparse
import bisect
import collections
import contextlib
import datetime as dt
import json
import os
import signal
import statistics
import sys
import threading
import time
from pathlib import Path
from typing import Any

from common import cpu_seconds, percentile
from drills import (
    DrillResult,
    Drills,
    Req,
    Topology,
    busy,
    now,
    summarise,
)
from prod_local import ROOT

DEFAULT_STATE_DIR = ROOT / "var" / "prod-soak"
#: The processes whose memory must stay flat (the others hold data that legitimately grows).
JUDGED = ("web-1", "web-2", "worker", "scheduler", "nginx")
KINDS = ("submit", "officer", "snapshot")


# --- processes ------------------------------------------------------------------------------------


def _stat(pid: int) -> list[str] | None:
    """Fields of /proc/<pid>/stat after the command (state is [0], ppid [1], pgrp [2])."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None


def all_pids() -> list[int]:
    return [int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit()]


def pss_kb(pid: int) -> int:
    """Proportional set size (kB): shared pages divided between the processes that map them."""
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


def postmaster_pid(pg_port: int) -> int | None:
    """The PostgreSQL server listening on ``pg_port`` (its data directory's postmaster.pid)."""
    for pidfile in Path("/var/lib/postgresql").glob("*/*/postmaster.pid"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            lines = pidfile.read_text().splitlines()
            if int(lines[3]) == pg_port:
                return int(lines[0])
    return None


def groups(topology: Topology, pg_port: int) -> dict[str, list[int]]:
    """Each process of the topology with its process group's members; PostgreSQL with its children."""
    stats = {pid: s for pid in all_pids() if (s := _stat(pid)) is not None}
    by_group: dict[int, list[int]] = collections.defaultdict(list)
    by_parent: dict[int, list[int]] = collections.defaultdict(list)
    for pid, fields in stats.items():
        by_group[int(fields[2])].append(pid)
        by_parent[int(fields[1])].append(pid)
    found = {p.name: by_group.get(p.pid, [p.pid]) for p in topology.state.processes() if p.alive()}
    postmaster = postmaster_pid(pg_port)
    if postmaster is not None and postmaster in stats:
        found["postgresql"] = [postmaster, *by_parent.get(postmaster, [])]
    return found


def slope_per_second(points: list[tuple[float, float]]) -> float:
    """Least-squares slope of (t, y)."""
    if len(points) < 3:
        return 0.0
    mean_t = statistics.fmean(t for t, _ in points)
    mean_y = statistics.fmean(y for _, y in points)
    spread = sum((t - mean_t) ** 2 for t, _ in points)
    if spread == 0:
        return 0.0
    return sum((t - mean_t) * (y - mean_y) for t, y in points) / spread


# --- the soak -------------------------------------------------------------------------------------


class Soak(Drills):
    """The drills' load and end-state checks, with nothing taken away, sampled as it goes."""

    def __init__(self, args: argparse.Namespace, topology: Topology) -> None:
        super().__init__(args, topology)
        self.samples: list[dict[str, Any]] = []
        self.sampling = threading.Event()
        self.load_started = 0.0

    def oldest_waiting(self) -> dict[str, float]:
        """Seconds the oldest notification and index row still waiting (due or not) has waited."""
        from django.db import connection
        from django.db.models import Min

        from notifications.models import Notification, Status
        from search.models import IndexQueue

        try:
            moment = dt.datetime.now(dt.UTC)
            ages = {}
            for name, oldest in (
                (
                    "notifications",
                    Notification.objects.filter(status__in=[Status.PENDING, Status.SENDING]).aggregate(
                        m=Min("created_at")
                    )["m"],
                ),
                ("search", IndexQueue.objects.aggregate(m=Min("requested_at"))["m"]),
            ):
                ages[name] = round((moment - oldest).total_seconds(), 1) if oldest else 0.0
            return ages
        finally:
            connection.close()

    def sample(self) -> dict[str, Any]:
        record: dict[str, Any] = {"at": now(), "pss_mb": {}, "cpu_s": {}}
        for name, pids in groups(self.topology, self.args.pg_port).items():
            record["pss_mb"][name] = round(sum(pss_kb(pid) for pid in pids) / 1024, 1)
            record["cpu_s"][name] = round(sum(cpu_seconds(pid) for pid in pids), 2)
            record.setdefault("pids", {})[name] = len(pids)
        record["waiting_s"] = self.oldest_waiting()
        with self.recorder.lock:
            record["acknowledged"] = sum(1 for s in self.recorder.submissions if s.acked)
        return record

    def sample_loop(self) -> None:
        while not self.sampling.is_set():
            try:
                self.samples.append(self.sample())
            except Exception as exc:  # a bug of this script: recorded, sampling goes on
                self.samples.append({"at": now(), "error": repr(exc)[:200]})
            self.sampling.wait(self.args.sample)

    def run(self) -> DrillResult:
        a = self.args
        marks = self.log_marks()
        self.start_load()
        self.load_started = now()
        sampler = threading.Thread(target=self.sample_loop, daemon=True, name="sampler")
        sampler.start()
        end = self.load_started + a.duration
        next_report = self.load_started + a.report_every
        dumped = False
        while now() < end:
            time.sleep(min(5.0, max(end - now(), 0)))
            if now() >= next_report:
                next_report += a.report_every
                self.progress()
            if a.tracemalloc and not dumped and now() >= self.load_started + a.warmup:
                dumped = self.ask_for_memory()
        load_ended = now()
        if a.tracemalloc:
            self.ask_for_memory()
        self.sampling.set()
        sampler.join(timeout=60)
        self.stop_load()
        result = self.final()  # load stopped, outboxes emptied, the end state checked
        result.name = "soak"
        exited = [p.name for p in self.topology.state.processes() if not p.alive()]
        if exited:
            result.failures.append(f"exited while the end state was checked: {exited}")
        result.timeline.update(
            load_started=self.load_started,
            load_ended=load_ended,
            seconds=round(load_ended - self.load_started),
        )
        self.judge(result, marks, load_ended)
        if a.tracemalloc:
            result.checks["memory_sites"] = self.memory_sites()
        result.result = "FAIL" if result.failures else "PASS"
        return result

    def ask_for_memory(self) -> bool:
        """SIGUSR2 to each web replica: it writes its allocation sites (``config.memory``)."""
        for proc in self.topology.state.processes():
            if proc.name.startswith("web-") and proc.alive():
                os.kill(proc.pid, signal.SIGUSR2)
        return True

    def memory_sites(self) -> dict[str, str]:
        """The web replicas' last dumps (the growth since the first), by file name."""
        time.sleep(5)  # a snapshot of a traced process takes a few seconds
        found: dict[str, str] = {}
        for path in sorted((self.args.state_dir / "memory").glob("*-2.txt")):
            found[path.name] = path.read_text()[:20000]
        return found

    def progress(self) -> None:
        last = self.samples[-1] if self.samples else {}
        with self.recorder.lock:
            recent = [r for r in self.recorder.requests if r.at >= now() - 60]
        bad = sum(1 for r in recent if not r.status.isdigit() or r.status.startswith("5"))
        posts = [r.ms for r in recent if r.what in ("POST form", "POST api")]
        p99 = f"{percentile(posts, 0.99):.0f}" if posts else "-"
        pss = " ".join(f"{n}={v:.0f}" for n, v in sorted(last.get("pss_mb", {}).items()))
        print(
            f"  +{now() - self.load_started:5.0f} s: {last.get('acknowledged', 0)} acknowledged, "
            f"last minute {len(posts)} submissions p99 {p99} ms, {bad} errors; "
            f"waiting {last.get('waiting_s')}; PSS MB {pss}",
            flush=True,
        )

    # judging

    def windows(self, start: float, end: float) -> list[dict[str, Any]]:
        with self.recorder.lock:
            requests = [r for r in self.recorder.requests if start <= r.at < end]
        delivery = self.deliveries(start, end)
        out = []
        t = start
        while end - t >= self.args.window / 2:  # a last sliver of a window is left out
            w_end = min(t + self.args.window, end)
            inside = [r for r in requests if t <= r.at < w_end]
            row: dict[str, Any] = {"start": round(t - self.load_started), "requests": len(inside)}
            for kind in KINDS:
                values = [r.ms for r in inside if kind_of(r) == kind and r.status.isdigit()]
                row[kind] = {"n": len(values), "p99": round(percentile(values, 0.99)) if values else None}
            lags = [ms for at, ms in delivery if t <= at < w_end and ms != float("inf")]
            row["delivery"] = {"n": len(lags), "p99": round(percentile(lags, 0.99)) if lags else None}
            row["errors"] = sum(1 for r in inside if not r.status.isdigit() or r.status.startswith("5"))
            out.append(row)
            t = w_end
        return out

    def deliveries(self, start: float, end: float) -> list[tuple[float, float]]:
        """(the action's answer, ms until each page on its case held its version) for watched cases;
        an action whose version never reached a page gives ``inf``."""
        pages_of: dict[int, list[Any]] = collections.defaultdict(list)
        for page in self.pages:
            pages_of[page.case_id].append(page)
        seen: dict[str, tuple[list[float], list[int]]] = {}
        for page in self.pages:
            snaps = [(e.at, int(e.detail.split()[-1])) for e in list(page.events) if e.what == "snapshot"]
            seen[page.name] = ([at for at, _ in snaps], [v for _, v in snaps])
        with self.recorder.lock:
            actions = [a for a in self.recorder.actions if a.version is not None and start <= a.at < end]
        out = []
        for action in actions:
            for page in pages_of.get(action.case_id, []):
                times, versions = seen[page.name]
                i = bisect.bisect_left(times, action.started)
                reached = next(
                    (times[j] for j in range(i, len(times)) if versions[j] >= (action.version or 0)), None
                )
                lag = max(reached - action.at, 0.0) * 1000 if reached is not None else float("inf")
                out.append((action.at, lag))
        return out

    def judge(self, result: DrillResult, marks: dict[str, int], load_ended: float) -> None:
        a, fail = self.args, result.failures.append
        warm_until = self.load_started + a.warmup
        good = [s for s in self.samples if "error" not in s]
        result.notes += [f"sampler: {s['error']}" for s in self.samples if "error" in s][:3]

        # Memory: slope after the warm-up, per process.
        memory: dict[str, Any] = {}
        measured = [s for s in good if s["at"] >= warm_until]
        if len(measured) < 3:
            fail(f"only {len(measured)} samples after the warm-up: memory not judged (--warmup, --sample)")
        span = (measured[-1]["at"] - measured[0]["at"]) if len(measured) > 1 else 0.0
        names = sorted({n for s in good for n in s["pss_mb"]})
        for name in names:
            points = [(s["at"], s["pss_mb"][name]) for s in measured if name in s["pss_mb"]]
            if not points:
                continue
            slope = slope_per_second(points)
            median = statistics.median(y for _, y in points)
            growth = slope * span
            allowed = max(a.max_growth * median, a.max_growth_mb)
            first = next((s["pss_mb"][name] for s in good if name in s["pss_mb"]), 0.0)
            memory[name] = {
                "start_mb": first,
                "after_warmup_mb": points[0][1],
                "end_mb": points[-1][1],
                "median_mb": round(median, 1),
                "slope_mb_per_hour": round(slope * 3600, 2),
                "growth_over_span_mb": round(growth, 1),
                "allowed_mb": round(allowed, 1),
                "judged": name in JUDGED,
            }
            if name in JUDGED and growth > allowed:
                fail(
                    f"{name}'s memory grew {growth:.1f} MB over {span / 60:.0f} min after the warm-up "
                    f"({slope * 3600:.1f} MB/h; allowed {allowed:.1f} MB)"
                )
        # CPU per acknowledged submission, per process (over the whole load).
        if len(good) > 1 and good[-1]["acknowledged"] > good[0]["acknowledged"]:
            count = good[-1]["acknowledged"] - good[0]["acknowledged"]
            result.checks["cpu_ms_per_submission"] = {
                n: round((good[-1]["cpu_s"][n] - good[0]["cpu_s"].get(n, 0.0)) * 1000 / count, 1)
                for n in good[-1]["cpu_s"]
            }
        result.checks["memory"] = memory

        # Errors: the logs, the processes, the answers.
        errors = self.log_errors(marks)
        result.logs = errors
        if errors:
            fail(f"ERROR lines in the logs: { {n: e['top'][:2] for n, e in errors.items()} }")
        if self.supervisor.restarts:
            fail(f"processes exited: {[(r['process'], r['last_error']) for r in self.supervisor.restarts]}")
        with self.recorder.lock:
            requests = [r for r in self.recorder.requests if r.at >= self.load_started]
            refused = [s.refused for s in self.recorder.submissions if s.refused]
        result.requests = summarise(requests)
        bad = [r for r in requests if not r.status.isdigit() or r.status.startswith("5")]
        if bad:
            top = collections.Counter(f"{r.what}: {r.status} {r.error}"[:120] for r in bad).most_common(3)
            fail(f"{len(bad)} requests answered with a server error or none: {top}")
        if refused:
            fail(f"{len(refused)} submissions refused, e.g. {refused[:2]}")

        # p99 stability, per kind, first third vs last third of the windows after the warm-up.
        windows = self.windows(self.load_started, load_ended)
        result.checks["windows"] = windows
        after = [w for w in windows if w["start"] + self.load_started >= warm_until]
        stability = {}
        if len(after) < 3:
            fail(f"only {len(after)} windows after the warm-up: p99 not judged (--warmup, --window)")
        for kind in (*KINDS, "delivery"):
            series = [w[kind]["p99"] for w in after if w[kind]["p99"] is not None]
            if len(series) < 3:
                continue
            third = max(1, len(series) // 3)
            head = statistics.median(series[:third])
            tail = statistics.median(series[-third:])
            stability[kind] = {
                "first_third_p99_ms": head,
                "last_third_p99_ms": tail,
                "worst_window_p99_ms": max(series),
                "median_window_p99_ms": statistics.median(series),
            }
            if tail > a.max_p99_ratio * head + a.p99_slack:
                fail(f"{kind} p99 drifted: {head} ms in the first third, {tail} ms in the last")
        result.checks["p99"] = stability
        lost = [ms for _at, ms in self.deliveries(self.load_started, load_ended - 30) if ms == float("inf")]
        if lost:
            fail(f"{len(lost)} officer actions never reached a live page on their case")

        # Outbox lag.
        lag = {
            name: max((s["waiting_s"].get(name, 0.0) for s in good), default=0.0)
            for name in ("notifications", "search")
        }
        with self.recorder.lock:
            scrapes = [
                p for p in self.recorder.probes if p["what"] == "metrics" and p["at"] >= self.load_started
            ]
        due = {
            name: max(
                (
                    p["values"].get(f'portal_outbox_oldest_due_seconds{{outbox="{name}"}}', 0.0)
                    for p in scrapes
                ),
                default=0.0,
            )
            for name in ("notifications", "search")
        }
        result.checks["outbox_lag_s"] = {"oldest_waiting_max": lag, "oldest_due_max_metrics": due}
        for name in lag:
            worst = max(lag[name], due[name])
            if worst > a.max_lag:
                fail(f"the {name} outbox fell {worst:.0f} s behind (allowed {a.max_lag:.0f} s)")
        failed_scrapes = sum(1 for p in scrapes if p["status"] != "200")
        if failed_scrapes:
            fail(f"{failed_scrapes} /metrics scrapes failed")

        # Live pages.
        disconnects = sum(page.disconnects(self.load_started, load_ended) for page in self.pages)
        result.websockets = {"pages": len(self.pages), "disconnects": disconnects}
        if disconnects:
            fail(f"live pages disconnected {disconnects} times")


def kind_of(r: Req) -> str:
    if r.what in ("POST form", "POST api"):
        return "submit"
    if r.who == "officer" and not r.what.startswith("GET"):
        return "officer"
    if r.what == "GET snapshot":
        return "snapshot"
    return "other"


def print_summary(r: DrillResult) -> None:
    print(f"\n=== soak: {r.result} ({r.timeline.get('seconds')} s of load) ===")
    for failure in r.failures:
        print(f"  FAIL: {failure}")
    print(f"  submissions: {r.citizens}")
    print("  memory (PSS MB: after warm-up → end, slope MB/h):")
    for name, m in sorted(r.checks.get("memory", {}).items()):
        mark = "" if m["judged"] else " (reported)"
        print(
            f"    {name:<14} {m['after_warmup_mb']:>8.1f} → {m['end_mb']:>8.1f}  "
            f"{m['slope_mb_per_hour']:>+7.1f}/h{mark}"
        )
    print(f"  p99 (ms): {json.dumps(r.checks.get('p99', {}))}")
    print(f"  outbox lag (s): {r.checks.get('outbox_lag_s')}")
    print(f"  CPU ms per submission: {r.checks.get('cpu_ms_per_submission')}")
    print(f"  live pages: {r.websockets}; log errors: {r.logs or 'none'}")
    for name, text in r.checks.get("memory_sites", {}).items():
        print(f"  where {name.split('-')[0]} grew since the warm-up:")
        print("    " + "\n    ".join(text.splitlines()[:40]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    add = parser.add_argument
    add("--duration", type=float, default=3600, help="seconds of load (default 3600)")
    add("--rate", type=float, default=5.0, help="petitions per second (default 5)")
    add("--form-share", type=float, default=0.3, help="of them from the portal's form (0.3)")
    add("--photo-share", type=float, default=0.1, help="of all petitions with photos (0.1)")
    add("--officer-every", type=float, default=5.0, help="seconds between an officer's actions (5)")
    add("--communes", type=int, default=10, help="communes the load files in, one officer each (10)")
    add("--watched", type=int, default=20, help="cases watched by live pages (20)")
    add("--sockets", type=int, default=200, help="live pages (WebSocket clients) (200)")
    add("--warmup", type=float, help="seconds not judged at the start (default 20 %% of --duration)")
    add("--sample", type=float, help="seconds between samples (default --duration / 120, 5 to 30)")
    add("--window", type=float, help="seconds per p99 window (default 60; 30 under 10 minutes)")
    add("--report-every", type=float, default=60, help="seconds between progress lines (60)")
    add("--max-growth", type=float, default=0.05, help="memory growth allowed, share of median (0.05)")
    add("--max-growth-mb", type=float, default=10.0, help="… or this many MB, the larger (10)")
    add("--max-p99-ratio", type=float, default=1.5, help="last third's p99 / first third's (1.5)")
    add("--p99-slack", type=float, default=50.0, help="ms added to that bound (50)")
    add("--max-lag", type=float, default=60.0, help="seconds an outbox may fall behind (60)")
    add("--give-up", type=float, default=240, help="seconds a citizen keeps retrying (240)")
    add("--drain-timeout", type=float, default=600, help="seconds for the outboxes to empty at the end")
    add("--url", help="a topology already running (its --state-dir); not started nor stopped")
    add("--keep", action="store_true", help="leave the topology running at the end")
    add("--state-dir", type=Path, default=DEFAULT_STATE_DIR, help="default var/prod-soak")
    add("--port", type=int, default=8280, help="nginx (default 8280)")
    add("--web-port", type=int, default=8261, help="the replicas: PORT and PORT+1 (8261)")
    add("--redis-port", type=int, default=6392)
    add("--search-port", type=int, default=9252)
    add("--sms-port", type=int, default=8192)
    add("--smtp-port", type=int, default=8126)
    add("--database", default="petitions_prod_soak")
    add("--pg-port", type=int, default=5432, help="PostgreSQL (default 5432, the project's)")
    add("--pg-cluster", default="15/main", help="its pg_ctlcluster name, started if down (15/main)")
    add("--json", type=Path, help="write everything recorded here")
    add("--tracemalloc", type=int, default=0, help="frames per allocation traced (a diagnosis; 0: off)")
    add("--wait-quiet", type=float, default=1200, help="wait while .ci/run or backoffice_scale.py run (1200)")
    args = parser.parse_args(argv)
    if not 0 < args.form_share <= 1 or not 0 <= args.photo_share <= args.form_share:
        parser.error("--photo-share must be within --form-share (photos come through the form)")
    args.state_dir = args.state_dir.resolve()
    args.url_default = f"http://127.0.0.1:{args.port}"
    # What drills.py's load reads.
    args.form_rate = args.rate * args.form_share
    args.api_rate = args.rate - args.form_rate
    args.photo_share = args.photo_share / args.form_share  # of the form's submissions
    args.supervise = True
    args.warmup = args.warmup if args.warmup is not None else 0.2 * args.duration
    args.sample = args.sample or min(30.0, max(5.0, args.duration / 120))
    args.window = args.window or (60.0 if args.duration >= 600 else 30.0)

    waited = time.monotonic()
    while (others := busy()) and time.monotonic() - waited < args.wait_quiet:
        print(f"waiting for {others} to finish ({time.monotonic() - waited:.0f} s)", flush=True)
        time.sleep(30)

    if args.tracemalloc:
        if args.url:
            print("note: --tracemalloc needs a topology this script starts; the running one is not traced")
        os.environ["PYTHONTRACEMALLOC"] = str(args.tracemalloc)  # inherited by prod_local's processes
        with contextlib.suppress(FileNotFoundError):
            for old in (args.state_dir / "memory").glob("*.txt"):
                old.unlink()
    topology = Topology(args)
    soak = Soak(args, topology)
    started = now()
    result = DrillResult("soak", notes=["not finished"])
    try:
        topology.start()
        soak.django()
        soak.setup()
        print(
            f"soak: {args.duration:.0f} s at {args.rate:g} petitions/s, warm-up {args.warmup:.0f} s, "
            f"samples every {args.sample:.0f} s, windows of {args.window:.0f} s",
            flush=True,
        )
        result = soak.run()
    finally:
        with contextlib.suppress(Exception):
            soak.sampling.set()
            soak.stop_load()
        topology.stop()
    print_summary(result)
    print(f"{result.result} in {now() - started:.0f} s")
    if args.json:
        report = {
            "started": dt.datetime.fromtimestamp(started, dt.UTC).isoformat(),
            "arguments": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
            "machine": {"cores": os.cpu_count(), "load_average_end": [round(x, 2) for x in os.getloadavg()]},
            "result": result.__dict__,
            "samples": soak.samples,
        }
        args.json.write_text(json.dumps(report, indent=2, ensure_ascii=False, default=str) + "\n")
    return 0 if result.result == "PASS" else 1


if __name__ == "__main__":
    sys.exit(main())
