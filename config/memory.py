"""Where a process's memory grows: a diagnosis, off unless ``PYTHONTRACEMALLOC`` is set.

With ``PYTHONTRACEMALLOC=<frames>`` in its environment Python traces every allocation from the
start (slower, and more memory: a diagnosis, never production's normal state). Then each
``SIGUSR2`` makes the process write, to ``<DJANGO_VAR_DIR>/memory/<pid>-<n>.txt``, its traced
total and the allocation sites that grew most since its first dump (``bench/soak.py
--tracemalloc`` sends it after the warm-up and at the end).
"""

from __future__ import annotations

import os
import signal
import tracemalloc
from pathlib import Path
from types import FrameType

from django.conf import settings

TOP = 25
_first: tracemalloc.Snapshot | None = None
_dumps = 0


def install() -> bool:
    """Dump on SIGUSR2 when tracing (main thread only); whether it was installed."""
    if not tracemalloc.is_tracing():
        return False
    signal.signal(signal.SIGUSR2, _on_signal)
    return True


def _on_signal(signum: int, frame: FrameType | None) -> None:
    dump()


def dump(directory: Path | None = None) -> Path:
    """Write the traced total and the sites grown most since the first dump; the file written."""
    global _first, _dumps
    snapshot = tracemalloc.take_snapshot().filter_traces(
        (
            tracemalloc.Filter(False, tracemalloc.__file__),
            tracemalloc.Filter(False, "<frozen importlib._bootstrap*"),
        )
    )
    _dumps += 1
    target = directory or Path(settings.VAR_DIR) / "memory"
    target.mkdir(parents=True, exist_ok=True)
    path = target / f"{os.getpid()}-{_dumps}.txt"
    current, peak = tracemalloc.get_traced_memory()
    lines = [f"pid {os.getpid()} dump {_dumps}: traced {current / 2**20:.1f} MiB (peak {peak / 2**20:.1f})"]
    if _first is None:
        _first = snapshot
        lines.append("first dump: the next ones compare with this one")
        stats = snapshot.statistics("traceback")[:TOP]
        for stat in stats:
            lines.append(f"\n{stat.size / 1024:.1f} KiB in {stat.count} blocks")
            lines.extend(f"  {line}" for line in stat.traceback.format())
    else:
        for diff in snapshot.compare_to(_first, "traceback")[:TOP]:
            lines.append(
                f"\n{diff.size_diff / 1024:+.1f} KiB ({diff.count_diff:+} blocks), now {diff.size / 1024:.1f} KiB"
            )
            lines.extend(f"  {line}" for line in diff.traceback.format())
    path.write_text("\n".join(lines) + "\n")
    return path
