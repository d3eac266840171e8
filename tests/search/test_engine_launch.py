"""The launcher of the tests' search engine: it refuses an engine whose analysis does not fold."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from search.engine import launch


@pytest.fixture
def engine_without_folding() -> Iterator[str]:
    """An HTTP server answering ``_analyze`` as an engine without the analysis module would: unfolded."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["Content-Length"]))
            body = json.dumps({"tokens": [{"token": "đường"}]}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def test_an_engine_that_does_not_fold_tone_marks_is_refused(engine_without_folding: str) -> None:
    with pytest.raises(launch.EngineFailed, match="asciifolding"):
        launch.check_analysis(engine_without_folding)


def test_an_engine_that_does_not_answer_is_refused() -> None:
    with pytest.raises(launch.EngineFailed, match="does not answer"):
        launch.check_analysis(f"http://127.0.0.1:{launch.free_port()}")


def test_the_runs_engine_folds_vietnamese(search_engine_url: str) -> None:
    launch.check_analysis(search_engine_url)  # raises unless đường → duong, keeping the original


def test_the_engine_is_built_and_its_classpath_names_opensearch_2_19() -> None:
    classpath = launch.build()
    assert "opensearch-2.19.6.jar" in classpath and "analysis-common-2.19.6.jar" in classpath


def test_an_engine_that_does_not_start_in_time_is_stopped_and_its_pid_was_written_at_once(tmp_path) -> None:
    import os

    with pytest.raises(launch.EngineFailed, match="did not start within"):
        launch.start(home=tmp_path, heap="64m", timeout=0.3)
    pid = int((tmp_path / "engine.pid").read_text())  # written before the engine was ready
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)  # stopped and reaped, not left running
