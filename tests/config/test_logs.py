"""Logs: one JSON object per line with the request id, and no personal data whatever a request carries."""

from __future__ import annotations

import contextlib
import copy
import io
import json
import logging
import logging.config
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.http import HttpResponse

from config.logs import redact
from portal.forms import sign_started


@pytest.fixture
def json_log() -> Iterator[io.StringIO]:
    """The project's logging configuration in production form (JSON), writing to a buffer."""
    stream = io.StringIO()
    config: dict[str, Any] = copy.deepcopy(django_settings.LOGGING)
    config["handlers"]["console"]["formatter"] = "json"
    config["handlers"]["console"]["stream"] = stream
    config["root"]["level"] = "INFO"
    logging.config.dictConfig(config)
    try:
        yield stream
    finally:
        logging.config.dictConfig(django_settings.LOGGING)


def lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


def test_redaction_hides_tokens_phones_and_emails_but_keeps_ids():
    assert redact("Not Found: /t/Zx8_kQ2mN5pL7rT9/") == "Not Found: /t/[token]/"
    # The signed link of the question and response messages (portal.links) as well.
    assert redact("Method Not Allowed: /t/s/1.1xaBq4.KgOVIslcJKwwKZ5uRRbA76W/") == (
        "Method Not Allowed: /t/s/[token]/"
    )
    assert (
        redact("GET /ws/track/PA-7K2M9Q/?token=Zx8_kQ2m&x=1") == "GET /ws/track/PA-7K2M9Q/?token=[token]&x=1"
    )
    assert redact("SMS to +84912345678 failed") == "SMS to [phone] failed"
    assert redact("gọi 0912 345 678 hoặc 0912.345.678") == "gọi [phone] hoặc [phone]"
    assert redact("from an.nguyen+pa@example.com.vn") == "from [email]"
    assert redact("notification 1234 failed for case 98765 (PA-7K2M9Q)") == (
        "notification 1234 failed for case 98765 (PA-7K2M9Q)"
    )


def test_requests_log_json_lines_with_their_request_id_and_no_personal_data(
    client, tree, category, json_log, settings
):
    settings.SMS_BACKEND = "notifications.transports.sms.ConsoleSmsBackend"
    personal = ["Nguyễn Thị Hoa", "0987654321", "987654321", "hoa.nguyen@example.com"]
    response = client.post(
        "/submit/",
        {
            "category": str(category.pk),
            "province": tree.hanoi.code,
            "commune": tree.hoan_kiem.code,
            "address": "12 Hàng Bông",
            "title": "Đèn đường hỏng",
            "text": "Ba cột đèn không sáng.",
            "submitter_name": "Nguyễn Thị Hoa",
            "phone": "0987 654 321",
            "email": "hoa.nguyen@example.com",
            "started": sign_started(),
            "website": "",
        },
        HTTP_X_REQUEST_ID="0123456789abcdef0123456789abcdef",
    )
    assert response.status_code == 302
    secret = "Qw3rTy-uIoP_aSdFgHjKl"
    assert client.get(f"/t/{secret}/").status_code == 404  # Django logs "Not Found: <path>"
    logging.getLogger("portal").warning("citizen %s wrote from %s", "hoa.nguyen@example.com", "+84987654321")

    records = lines(json_log)
    assert records, "nothing was logged"
    for record in records:
        assert {"time", "level", "logger", "message", "request_id"} <= set(record)
    text = json_log.getvalue()
    for value in [*personal, secret]:
        assert value not in text
    not_found = [r for r in records if r["message"].startswith("Not Found")]
    assert not_found and not_found[0]["message"] == "Not Found: /t/[token]/"
    assert not_found[0]["request_id"] and len(not_found[0]["request_id"]) == 32
    # The proxy's request id is kept (and sent back) so one request can be followed across services.
    assert response["X-Request-ID"] == "0123456789abcdef0123456789abcdef"


def test_json_lines_carry_utc_times_and_the_worker_logs_the_same_way(json_log):
    logging.getLogger("routing").info("case %s escalated", 42)
    [record] = [r for r in lines(json_log) if r["message"] == "case 42 escalated"]
    assert record["time"].endswith("+00:00") and "T" in record["time"]
    # Celery asks for its logging set-up through a signal: the project's configuration answers.
    from celery.signals import setup_logging

    from config import celery  # noqa: F401 (connects the receiver)

    receivers = [receiver for _key, receiver in setup_logging.receivers]
    assert any("_log_like_the_web" in repr(r) for r in receivers)


def test_search_requests_and_their_bodies_stay_out_of_the_log(json_log, elastic) -> None:
    """The engine clients log each request (and opensearch-py its body as curl) at INFO: not kept."""
    from search.base import Scope, SearchQuery

    elastic.search(SearchQuery(scope=Scope(path_prefix="/"), text="ngập lụt phố Huế"))
    logged = json_log.getvalue()
    assert "ngập" not in logged and "_search" not in logged and "curl" not in logged
    logging.getLogger("opensearch").warning("kept")
    assert "kept" in json_log.getvalue()


def test_a_refused_page_logs_one_line_without_a_traceback_under_make_run(client, cast, settings, caplog):
    """`make run` is DEBUG: Django's own console handler for "django" was printing each 403 a second time."""
    from django.utils.log import configure_logging

    settings.DEBUG = True
    stream = io.StringIO()
    with contextlib.redirect_stderr(stream):  # the handlers are built now, writing to this buffer
        configure_logging(settings.LOGGING_CONFIG, django_settings.LOGGING)
    logging.getLogger().addHandler(caplog.handler)  # the configuration replaced the root's handlers
    try:
        client.force_login(cast.officer)
        with caplog.at_level(logging.INFO):
            assert client.get("/office/dashboard/").status_code == 403  # leaders only
    finally:
        configure_logging(settings.LOGGING_CONFIG, django_settings.LOGGING)
    [record] = [r for r in caplog.records if r.name == "django.request"]
    assert record.levelno == logging.WARNING and record.status_code == 403
    written = stream.getvalue()
    assert written.count("Forbidden (Permission denied): /office/dashboard/") == 1, written
    assert "Traceback" not in written and "PermissionDenied" not in written
    assert len([line for line in written.splitlines() if "dashboard" in line]) == 1


def test_server_errors_keep_their_traceback(json_log, rf):
    from django.utils.log import log_response

    try:
        raise RuntimeError("boom")
    except RuntimeError as exc:
        response = HttpResponse(status=500)
        log_response(
            "Internal Server Error: %s", "/x/", response=response, request=rf.get("/x/"), exception=exc
        )
    [record] = [r for r in lines(json_log) if r["message"].startswith("Internal Server Error")]
    assert "RuntimeError: boom" in record["exc_info"]
