"""The memory diagnosis (config.memory): where a traced process's memory grew."""

from __future__ import annotations

import tracemalloc

import pytest

from config import memory


@pytest.fixture
def tracing(monkeypatch):
    monkeypatch.setattr(memory, "_first", None)
    monkeypatch.setattr(memory, "_dumps", 0)
    tracemalloc.start(5)
    yield
    tracemalloc.stop()


def test_it_stays_off_unless_the_process_traces():
    assert not tracemalloc.is_tracing() and memory.install() is False


def test_the_second_dump_names_the_site_that_grew(tracing, tmp_path):
    first = memory.dump(tmp_path)
    assert "first dump" in first.read_text()
    kept = [bytearray(4096) for _ in range(500)]  # 2 MiB held on this line
    second = memory.dump(tmp_path).read_text()
    assert kept and second.splitlines()[0].endswith(")") and "test_memory.py" in second
    top = second.split("\n\n")[1]
    assert top.startswith("+") and "test_memory.py" in top
