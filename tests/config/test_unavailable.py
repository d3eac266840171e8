"""The database unreachable: 503 in each interface's format, at once while it stays away, and
service again as soon as it answers (config.unavailable). The PostgreSQL restart itself is
drilled by bench/drills.py (--only postgres)."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from config import unavailable
from tests.config import unavailable_urls

pytestmark = pytest.mark.urls("tests.config.unavailable_urls")


@pytest.fixture(autouse=True)
def _fresh_mark():
    unavailable.MARK.clear()
    unavailable_urls.CALLS.clear()
    yield
    unavailable.MARK.clear()


@pytest.fixture
def client_keeping_errors(db) -> Client:
    return Client(raise_request_exception=False)


def test_a_lost_database_is_a_503_with_retry_after_in_each_interface_s_format(client_keeping_errors):
    api = client_keeping_errors.get("/api/v1/lost/", HTTP_ACCEPT_LANGUAGE="en")
    assert api.status_code == 503 and api["Retry-After"] == str(unavailable.RETRY_AFTER)
    assert json.loads(api.content)["error"]["code"] == "unavailable"
    assert "not received" in json.loads(api.content)["error"]["message"]

    unavailable.MARK.clear()
    open311 = client_keeping_errors.get("/open311/lost.json?locale=vi")
    assert open311.status_code == 503 and open311["Content-Language"] == "vi"
    assert json.loads(open311.content)[0]["code"] == 503

    unavailable.MARK.clear()
    page = client_keeping_errors.get("/lost/")
    assert page.status_code == 503 and page["Cache-Control"] == "no-store"
    text = page.content.decode()
    assert "chưa được tiếp nhận" in text and "not</strong> received" in text


def test_an_operational_error_while_the_database_answers_is_a_503_that_marks_nothing(client_keeping_errors):
    # A deadlock, a lock or statement timeout, SQLite's "database is locked": the database is there.
    assert client_keeping_errors.get("/lost/").status_code == 503
    assert unavailable.MARK.down_since is None
    assert client_keeping_errors.get("/fine/").status_code == 200


def test_while_marked_down_requests_are_refused_at_once_and_the_first_probe_that_answers_clears_it(
    client_keeping_errors,
):
    unavailable.MARK.set_down()  # as server_error does when its probe finds no database
    assert client_keeping_errors.get("/lost/").status_code == 503
    # Within the probe interval: refused without running the view (no wait for the pool).
    assert client_keeping_errors.get("/fine/").status_code == 503
    assert unavailable_urls.CALLS == []
    # The interval passed: one request tries the database (here it answers) and is served.
    unavailable.MARK.probed_at -= unavailable.PROBE_EVERY
    response = client_keeping_errors.get("/fine/")
    assert response.status_code == 200 and unavailable.MARK.down_since is None
    assert unavailable_urls.CALLS == ["/fine/"]


@pytest.fixture
def marked_down(monkeypatch):
    """Down, and no probe due during the test (it lasts more than PROBE_EVERY on a slow machine)."""
    monkeypatch.setattr(unavailable, "PROBE_EVERY", 3600.0)
    unavailable.MARK.set_down()


def test_a_refusal_while_marked_down_has_cors_headers_and_the_request_s_language(
    client_keeping_errors, marked_down
):
    """A partner's web page calling the API reads the 503 (not a CORS error), in its language."""
    api = client_keeping_errors.get(
        "/api/v1/lost/", HTTP_ORIGIN="https://partner.example.vn", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert api.status_code == 503 and api["Access-Control-Allow-Origin"] == "*"
    assert "Retry-After" in api["Access-Control-Expose-Headers"] and api["X-Request-ID"]
    assert "not received" in json.loads(api.content)["error"]["message"]
    vietnamese = client_keeping_errors.get("/api/v1/lost/", HTTP_ACCEPT_LANGUAGE="vi")
    assert "not received" not in json.loads(vietnamese.content)["error"]["message"]
    assert unavailable_urls.CALLS == []


def test_refusals_are_counted_by_status_in_the_metrics(client_keeping_errors, marked_down):
    from django_prometheus.middleware import Metrics

    by_status = Metrics.get_instance().responses_by_status.labels(status="503")
    before = by_status._value.get()
    for _ in range(3):
        assert client_keeping_errors.get("/fine/").status_code == 503
    assert by_status._value.get() == before + 3


def test_a_503_from_an_error_in_a_view_is_counted_once(client_keeping_errors):
    from django_prometheus.middleware import Metrics

    by_status = Metrics.get_instance().responses_by_status.labels(status="503")
    before = by_status._value.get()
    assert client_keeping_errors.get("/lost/").status_code == 503
    assert by_status._value.get() == before + 1


def test_refusals_are_logged_as_warnings_not_errors(client_keeping_errors, marked_down, caplog):
    """An alert on ERROR lines must not fire once per refused request in an outage it already knows."""
    with caplog.at_level("INFO"):
        for _ in range(3):
            assert client_keeping_errors.get("/fine/").status_code == 503
    refusals = [r for r in caplog.records if "503 for GET /fine/" in r.getMessage()]
    assert len(refusals) == 3 and {r.levelname for r in refusals} == {"WARNING"}
    assert not [r for r in caplog.records if r.levelno >= 40]


def test_an_operational_error_while_the_database_answers_is_logged_as_an_error_with_its_traceback(
    client_keeping_errors, caplog
):
    """A deadlock or a statement timeout is a bug or a capacity problem: it must page someone."""
    with caplog.at_level("INFO"):
        assert client_keeping_errors.get("/lost/").status_code == 503
    [error] = [r for r in caplog.records if r.levelno >= 40]
    assert error.name == "django.request" and error.exc_info is not None
    assert not [r for r in caplog.records if "the database is unavailable" in r.getMessage()]


def test_other_errors_stay_a_500_and_mark_nothing(client_keeping_errors):
    response = client_keeping_errors.get("/bug/")
    assert response.status_code == 500 and "Retry-After" not in response
    assert unavailable.MARK.down_since is None
