"""``bench/prod_local.py run``: how long the supervisor waits before starting a process again."""

from __future__ import annotations

import importlib
from typing import Any

prod_local = importlib.import_module("bench.prod_local")


def test_a_process_that_keeps_exiting_waits_twice_as_long_each_time_up_to_a_minute() -> None:
    delays, delay = [], 0.0
    for _ in range(8):
        delay = prod_local.restart_delay(delay, ran_for=1.0)
        delays.append(delay)
    assert delays == [2.0, 4.0, 8.0, 16.0, 32.0, 60.0, 60.0, 60.0]


def test_a_process_that_ran_steadily_before_exiting_is_started_again_at_once() -> None:
    assert prod_local.restart_delay(0.0, ran_for=prod_local.RESTART_STEADY) == 0.0
    assert (
        prod_local.restart_delay(32.0, ran_for=prod_local.RESTART_STEADY - 1) == prod_local.RESTART_DELAY_MAX
    )
    assert prod_local.restart_delay(32.0, ran_for=prod_local.RESTART_STEADY) == 0.0


def _exits_at_once(state, name: str = "flaky"):
    return prod_local.spawn(state, name, ["sh", "-c", "echo starting; exit 3"], {"PATH": "/usr/bin:/bin"})


def _wait_exited(state, name: str = "flaky") -> None:
    import time

    proc = next(p for p in state.processes() if p.name == name)
    for _ in range(200):
        if not proc.alive():
            return
        time.sleep(0.02)
    raise AssertionError(f"{name} did not exit")


class Flaky:
    """A process that exits as soon as it starts, recorded in a state directory, and a supervisor
    on a clock of the test's."""

    def __init__(self, directory: Any) -> None:
        self.state = prod_local.State(directory)
        self.state.logs.mkdir()
        self.now = 1000.0
        self.supervisor = prod_local.Supervisor(self.state, {"PATH": "/usr/bin:/bin"}, clock=lambda: self.now)
        _exits_at_once(self.state)
        _wait_exited(self.state)

    def tick(self, after: float = 0.0) -> list[str]:
        self.now += after
        lines: list[str] = self.supervisor.tick()
        return lines


def test_the_supervisor_starts_a_process_that_keeps_exiting_again_later_each_time(tmp_path) -> None:
    flaky = Flaky(tmp_path)
    assert len(flaky.tick()) == 1  # its first exit: started again at once
    _wait_exited(flaky.state)
    assert flaky.tick(1) == []  # exited within 10 s of that start: waits 2 s
    [line] = flaky.tick(2)
    assert "after 2 s" in line
    _wait_exited(flaky.state)
    assert flaky.tick(3) == []  # then 4 s, from when its exit was seen
    assert flaky.tick(3) == []
    assert "after 4 s" in flaky.tick(1)[0]


def test_a_process_started_again_by_someone_else_is_not_held_to_the_supervisor_s_delay(tmp_path) -> None:
    flaky = Flaky(tmp_path)
    flaky.tick()
    _wait_exited(flaky.state)
    assert flaky.tick(1) == []  # waiting out its 2 s
    _exits_at_once(flaky.state)  # a drill starts it again meanwhile, and it exits
    _wait_exited(flaky.state)
    [line] = flaky.tick()  # a first exit for this supervisor: at once, no delay
    assert "after" not in line
