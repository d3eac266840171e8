"""Links that leave the page name the site's public address: PUBLIC_BASE_URL, else the one the browser used."""

from __future__ import annotations

import json
from typing import Any

from config.public_url import public_base_url
from notifications.models import Notification
from portal.forms import sign_started


def _form(tree: Any, category: Any) -> dict[str, str]:
    return {
        "category": str(category.pk),
        "province": tree.hanoi.code,
        "commune": tree.hoan_kiem.code,
        "title": "Cống thoát nước bị tắc",
        "text": "Cống thoát nước trước số 5 bị tắc, mưa xuống là ngập.",
        "submitter_name": "Lê Thị Hoa",
        "phone": "0912 345 678",
        "started": sign_started(),
    }


def test_without_public_base_url_the_receipt_and_its_sms_name_the_port_the_site_was_reached_on(
    client: Any, tree: Any, category: Any, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    """``make run PORT=8101`` sent tracking links for port 8000."""
    settings.PUBLIC_BASE_URL = ""
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/submit/", _form(tree, category), HTTP_HOST="127.0.0.1:8101")
    assert response.status_code == 302
    receipt = client.get(response["Location"], HTTP_HOST="127.0.0.1:8101").content.decode()
    assert 'id="tracking-link">http://127.0.0.1:8101/t/' in receipt
    [sms] = Notification.objects.filter(channel="sms")
    assert "http://127.0.0.1:8101/t/" in sms.body


def test_without_public_base_url_open311_and_the_api_schema_name_the_address_used(
    client: Any, db: Any, settings: Any
) -> None:
    settings.PUBLIC_BASE_URL = ""
    settings.ALLOWED_HOSTS = ["192.168.1.20", "127.0.0.1"]
    discovery = json.loads(client.get("/open311/discovery.json", HTTP_HOST="192.168.1.20:8101").content)
    assert discovery["endpoints"][0]["url"] == "http://192.168.1.20:8101/open311/v2"
    schema = json.loads(client.get("/api/schema/?format=json", HTTP_HOST="192.168.1.20:8101").content)
    assert schema["servers"] == [{"url": "http://192.168.1.20:8101"}]


def test_a_set_public_base_url_wins_over_the_request(client: Any, db: Any, settings: Any) -> None:
    settings.PUBLIC_BASE_URL = "https://gopy.example.vn/"
    discovery = json.loads(client.get("/open311/discovery.json", HTTP_HOST="127.0.0.1:8101").content)
    assert discovery["endpoints"][0]["url"] == "https://gopy.example.vn/open311/v2"


def test_a_host_outside_allowed_hosts_never_becomes_a_link(client: Any, db: Any, settings: Any) -> None:
    settings.PUBLIC_BASE_URL = ""
    response = client.get("/open311/discovery.json", HTTP_HOST="evil.example")
    assert response.status_code == 400


def test_outside_a_request_it_is_this_machine_at_port(settings: Any) -> None:
    settings.PUBLIC_BASE_URL = ""
    settings.PORT = 8101
    assert public_base_url() == "http://127.0.0.1:8101"
    settings.PUBLIC_BASE_URL = "https://gopy.example.vn/"
    assert public_base_url() == "https://gopy.example.vn"
