"""Partners with API keys, and helpers to call Open311 the way a partner's application does."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from typing import Any
from urllib.parse import urlencode

import pytest

from petitions.models import Partner, PartnerKey

BASE = "/open311/v2"

#: What the citizen gives: none of it may ever come back from the API.
PERSONAL = ("Nguyễn", "Văn An", "0912345678", "912345678", "an.nguyen@example.com")


def make_key(partner: Partner, label: str = "") -> str:
    raw = PartnerKey.generate()
    key = PartnerKey(partner=partner, label=label)
    key.set_key(raw)
    key.save()
    return raw


@pytest.fixture
def partner(db: Any) -> Partner:
    return Partner.objects.create(
        name="Ứng dụng Phố Xanh", contact_email="dev@phoxanh.example", rate_limit="1000/h"
    )


@pytest.fixture
def api_key(partner: Partner) -> str:
    return make_key(partner, "mobile app")


@pytest.fixture
def other_partner(db: Any) -> Partner:
    return Partner.objects.create(
        name="Cổng dịch vụ Tỉnh", contact_email="it@tinh.example", rate_limit="1000/h"
    )


@pytest.fixture
def other_key(other_partner: Partner) -> str:
    return make_key(other_partner)


def parse(response: Any, fmt: str) -> Any:
    """The body as Python data; XML is parsed with a standard parser, so it must be well-formed."""
    if fmt == "json":
        assert response["Content-Type"] == "application/json; charset=utf-8"
        return json.loads(response.content.decode("utf-8"))
    assert response["Content-Type"] == "text/xml; charset=utf-8"
    assert response.content.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    return ET.fromstring(response.content)  # noqa: S314 - our own output


def errors(response: Any, fmt: str) -> list[tuple[int, str]]:
    """The specification's error list as (code, description) pairs, from JSON or XML."""
    data = parse(response, fmt)
    if fmt == "json":
        assert isinstance(data, list)
        return [(item["code"], item["description"]) for item in data]
    assert data.tag == "errors"
    return [(int(error.findtext("code")), error.findtext("description")) for error in data.findall("error")]


def xml_items(root: ET.Element, tag: str = "request") -> list[dict[str, str]]:
    """Each child ``tag`` of ``root`` as {field: text}, empty elements as ""."""
    return [{child.tag: child.text or "" for child in item} for item in root.findall(tag)]


def request_data(tree: Any, key: str, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "api_key": key,
        "jurisdiction_id": "petitions.example.vn",
        "service_code": "environment",
        "attribute[commune]": tree.hoan_kiem.code,
        "attribute[province]": tree.hanoi.code,
        "lat": "21.028511",
        "long": "105.852020",
        "address_string": "12 Hàng Bông",
        "first_name": "Văn An",
        "last_name": "Nguyễn",
        "phone": "0912 345 678",
        "email": "an.nguyen@example.com",
        "description": "Rác thải sinh hoạt không được thu gom ba ngày nay trên phố Hàng Bông.",
        "media_url": "https://cdn.phoxanh.example/photos/1.jpg",
    }
    for name, value in overrides.items():
        if value is None:
            data.pop(name, None)
        else:
            data[name] = value
    return data


def post_request(client: Any, data: dict[str, Any], fmt: str = "json", **headers: Any) -> Any:
    """POST form-encoded, as the specification says clients send."""
    return client.post(
        f"{BASE}/requests.{fmt}",
        urlencode(data, doseq=True),
        content_type="application/x-www-form-urlencoded; charset=utf-8",
        headers=headers,
    )


@pytest.fixture
def file_request(client: Any, tree: Any, category: Any, api_key: str) -> Any:
    """File a request through Open311 with the partner's key; returns its service_request_id."""

    def _file(key: str | None = None, **overrides: Any) -> str:
        response = post_request(client, request_data(tree, key or api_key, **overrides))
        assert response.status_code == 201, response.content
        return str(parse(response, "json")[0]["service_request_id"])

    return _file
