"""Request bodies: over the cap a 413 before the body is read, and bodies Django will not read
answered in each interface's own format (the API's envelope, Open311's errors, a translated page)."""

from __future__ import annotations

import asyncio
import json
import xml.etree.ElementTree as ET
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.core.handlers.asgi import ASGIHandler
from django.test import Client

from config.bodies import RequestBodyLimit, cap_daphne_request_bodies
from petitions.attachments import MAX_ATTACHMENTS
from petitions.images import MAX_UPLOAD_BYTES

CAP = 64 * 1024


@pytest.fixture(autouse=True)
def _small_cap(settings: Any) -> None:
    settings.REQUEST_BODY_MAX_BYTES = CAP


def _call(path: str, messages: list[dict[str, Any]], headers: list[tuple[bytes, bytes]]) -> dict[str, Any]:
    """One request through the ASGI stack as served (``RequestBodyLimit`` around Django)."""
    taken: list[dict[str, Any]] = []
    sent: list[dict[str, Any]] = []
    handed_on = [0]

    async def receive() -> dict[str, Any]:
        if messages:
            taken.append(messages.pop(0))
            return taken[-1]
        await asyncio.sleep(3600)  # the client keeps the connection open
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"localhost"), *headers],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }
    django = ASGIHandler()

    async def spy(scope: Any, receive: Any, send: Any) -> None:
        async def counted() -> Any:
            message = await receive()
            handed_on[0] += len(message.get("body", b""))
            return message

        await django(scope, counted, send)

    app = RequestBodyLimit(spy, max_bytes=CAP)
    asyncio.run(asyncio.wait_for(app(scope, receive, send), timeout=30))
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return {
        "status": start["status"],
        "headers": {name.decode().lower(): value.decode() for name, value in start["headers"]},
        "body": body,
        # What Django was given of the body (the rest the client sends is dropped).
        "body_bytes_read": handed_on[0],
    }


def _chunks(total: int, size: int = 16 * 1024) -> list[dict[str, Any]]:
    count = total // size
    return [{"type": "http.request", "body": b"x" * size, "more_body": i < count - 1} for i in range(count)]


def _check_format(path: str, answer: dict[str, Any]) -> str:
    """The message of an error answer in the format of ``path``'s interface."""
    content_type = answer["headers"]["content-type"]
    if path.startswith("/api/"):
        error = json.loads(answer["body"])["error"]
        assert content_type.startswith("application/json")
        assert error["code"] == ("payload_too_large" if answer["status"] == 413 else "validation_failed")
        return str(error["message"])
    if path.endswith(".json"):
        [error] = json.loads(answer["body"])
        assert error["code"] == answer["status"]
        return str(error["description"])
    if path.startswith("/open311/"):
        assert content_type.startswith("text/xml")
        root = ET.fromstring(answer["body"])  # noqa: S314 (our own answer)
        assert root.tag == "errors" and root.findtext("error/code") == str(answer["status"])
        return str(root.findtext("error/description"))
    assert content_type.startswith("text/html")
    return answer["body"].decode()


PATHS = [
    "/api/v1/petitions/",
    "/open311/v2/requests.json",
    "/open311/v2/requests.xml",
    "/submit/",
    "/en/submit/",
]


@pytest.mark.parametrize("path", PATHS)
def test_a_declared_length_over_the_cap_is_refused_with_413_without_reading_the_body(path: str) -> None:
    declared = [
        (b"content-length", str(CAP + 1).encode()),
        (b"content-type", b"multipart/form-data; boundary=x"),
    ]
    answer = _call(path, _chunks(CAP + 16 * 1024), declared)
    assert answer["status"] == 413
    assert answer["body_bytes_read"] == 0
    assert answer["headers"]["connection"] == "close"
    message = _check_format(path, answer)
    if path.startswith("/en/"):
        assert "The request is too large: at most 0 MB can be sent at once." in message
    elif not path.startswith("/api/"):
        assert "Yêu cầu quá lớn" in message


@pytest.mark.parametrize("path", PATHS)
def test_a_streamed_body_is_cut_at_the_cap_and_refused_with_413(path: str) -> None:
    # No Content-Length (chunked): counted as it arrives, and not read on past the cap.
    messages = _chunks(CAP * 4)
    answer = _call(path, messages, [(b"content-type", b"application/x-www-form-urlencoded")])
    assert answer["status"] == 413
    assert answer["body_bytes_read"] <= CAP
    _check_format(path, answer)


def test_a_body_within_the_cap_is_handed_on_whole() -> None:
    answer = _call("/open311/unknown.json", _chunks(CAP), [(b"content-length", str(CAP).encode())])
    assert answer["status"] == 404
    assert answer["body_bytes_read"] == CAP


def test_daphne_keeps_no_byte_past_the_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    from daphne import http_protocol

    monkeypatch.setattr(http_protocol, "WebRequest", http_protocol.WebRequest)
    cap_daphne_request_bodies(100)
    request_class = http_protocol.WebRequest

    kept: list[bytes] = []
    stored = request_class.uncapped
    monkeypatch.setattr(stored, "gotLength", lambda self, length: kept.clear())
    monkeypatch.setattr(stored, "handleContentChunk", lambda self, data: kept.append(data))
    request = request_class.__new__(request_class)
    request.gotLength(None)  # chunked: up to one byte past the cap, for the application to see it
    for _ in range(10):
        request.handleContentChunk(b"y" * 30)
    assert sum(map(len, kept)) == 101
    request.gotLength(1000)  # declared over the cap: nothing at all
    request.handleContentChunk(b"y" * 30)
    assert kept == []


def test_daphne_leaves_form_bodies_to_django(monkeypatch: pytest.MonkeyPatch) -> None:
    # Twisted parsed every multipart body into request.args (unused by daphne) with email.parser,
    # at about ten times the body's size in memory, before the application ran.
    from types import SimpleNamespace

    from daphne import http_protocol
    from twisted.web import http
    from twisted.web.test.requesthelper import DummyChannel

    monkeypatch.setattr(http_protocol, "WebRequest", http_protocol.WebRequest)
    cap_daphne_request_bodies(1024)
    monkeypatch.setattr(http, "_getMultiPartArgs", lambda *a: pytest.fail("Twisted parsed the form"))
    monkeypatch.setattr(http, "parse_qs", lambda *a, **k: pytest.fail("Twisted parsed the form"))
    channel: Any = DummyChannel()
    channel.factory = SimpleNamespace(server=SimpleNamespace(protocol_connected=lambda request: None))
    processed: list[bool] = []
    for content_type, body in (
        (
            b"multipart/form-data; boundary=x",
            b'--x\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--x--\r\n',
        ),
        (b"application/x-www-form-urlencoded", b"a=1"),
    ):
        request = http_protocol.WebRequest(channel)
        monkeypatch.setattr(request, "process", lambda: processed.append(True))
        request.requestHeaders.setRawHeaders(b"content-type", [content_type])
        request.gotLength(len(body))
        request.handleContentChunk(body)
        request.requestReceived(b"POST", b"/submit/", b"HTTP/1.1")
        assert request.args == {}
        assert request.content.read() == body  # left whole for the application
    assert processed == [True, True]


def test_the_cap_holds_the_whole_submit_form() -> None:
    allowance = MAX_ATTACHMENTS * MAX_UPLOAD_BYTES + django_settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    from config import settings as configured

    assert allowance < configured.REQUEST_BODY_MAX_BYTES
    # Uploaded photos go to temporary files, not memory.
    assert configured.FILE_UPLOAD_MAX_MEMORY_SIZE <= 1024 * 1024


# --- bodies Django will not read ------------------------------------------------------------

FIELDS_OVER = "&".join(f"f{i}=1" for i in range(django_settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1))
FORM_OVER = "a=" + "x" * (django_settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)
URLENCODED = "application/x-www-form-urlencoded"
BROKEN = [
    ("too large", FORM_OVER, URLENCODED, 413),
    ("too many fields", FIELDS_OVER, URLENCODED, 400),
    ("no boundary", b"--x\r\n", "multipart/form-data", 400),
    ("bad boundary", b"--x\r\n", "multipart/form-data; boundary=\x01\x02", 400),
]


@pytest.fixture
def big_cap(settings: Any) -> None:
    settings.REQUEST_BODY_MAX_BYTES = 53 * 1024 * 1024


def _answer(response: Any) -> dict[str, Any]:
    return {
        "status": response.status_code,
        "headers": {"content-type": response["Content-Type"]},
        "body": response.content,
    }


def test_the_api_answers_a_json_body_over_the_field_limit_in_its_format(big_cap: None, db: Any) -> None:
    body = json.dumps({"title": "x" * (django_settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)})
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    response = client.post("/api/v1/petitions/", body, content_type="application/json")
    assert response.status_code == 413
    assert response.json()["error"] == {
        "code": "payload_too_large",
        "message": "The request body is too large: at most 2.5 MB of fields can be sent.",
    }


@pytest.mark.parametrize(("name", "body", "content_type", "status"), BROKEN)
@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_open311_answers_bodies_it_cannot_read_in_its_format(
    big_cap: None, db: Any, name: str, body: Any, content_type: str, status: int, fmt: str
) -> None:
    path = f"/open311/v2/requests.{fmt}"
    response = Client(HTTP_ACCEPT_LANGUAGE="en").post(path, body, content_type=content_type)
    assert response.status_code == status, name
    assert "request" in _check_format(path, _answer(response)).lower()
    assert response["Content-Language"] == "en"
    vietnamese = Client().post(path + "?locale=vi", body, content_type=content_type)
    assert "yêu cầu" in _check_format(path, _answer(vietnamese)).lower()


@pytest.mark.parametrize(("name", "body", "content_type", "status"), BROKEN)
@pytest.mark.parametrize("path", ["/submit/", "/en/submit/", "/office/login/", "/track/"])
def test_the_portal_and_back_office_answer_bodies_they_cannot_read_with_a_translated_page(
    big_cap: None, db: Any, name: str, body: Any, content_type: str, status: int, path: str
) -> None:
    response = Client().post(path, body, content_type=content_type)
    assert response.status_code == status, name
    page = response.content.decode()
    assert '<html lang="' + ("en" if path.startswith("/en/") else "vi") in page
    assert ("Nothing was received" if path.startswith("/en/") else "Chưa có gì được tiếp nhận") in page
    assert "Bad Request (400)" not in page
