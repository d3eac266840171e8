"""Browsers and PWAs may call the public APIs (/api/, /open311/) from any origin, without credentials."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

ORIGIN = "https://app.example.org"
PATHS = ["/api/v1/categories/", "/open311/v2/services.json"]


def header_set(value: str) -> set[str]:
    return {item.strip().lower() for item in value.split(",")}


@pytest.mark.parametrize("path", PATHS)
def test_a_preflight_from_any_origin_is_allowed_with_the_apis_headers(
    client: Client, db: Any, path: str
) -> None:
    response = client.options(
        path,
        HTTP_ORIGIN=ORIGIN,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="content-type, x-api-key, idempotency-key",
    )
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == "*"
    assert "POST" in header_set(response["Access-Control-Allow-Methods"]) | {
        m.upper() for m in header_set(response["Access-Control-Allow-Methods"])
    }
    assert {
        "authorization",
        "content-type",
        "idempotency-key",
        "x-tracking-token",
        "x-api-key",
        "accept-language",
        "x-request-id",
    } <= header_set(response["Access-Control-Allow-Headers"])
    # The APIs authenticate by header, never by cookie: no credentials are allowed.
    assert "Access-Control-Allow-Credentials" not in response


@pytest.mark.parametrize("path", PATHS)
def test_a_simple_get_is_shared_with_any_origin_and_exposes_the_apis_headers(
    client: Client, db: Any, path: str
) -> None:
    response = client.get(path, HTTP_ORIGIN=ORIGIN)
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == "*"
    assert {"retry-after", "content-language", "x-request-id"} <= header_set(
        response["Access-Control-Expose-Headers"]
    )
    assert "Access-Control-Allow-Credentials" not in response


def test_a_throttled_answer_from_another_origin_is_readable(client: Client, tree: Any, settings: Any) -> None:
    settings.PORTAL_RATES = {**settings.PORTAL_RATES, "submit_ip": "1/h"}
    client.post("/api/v1/petitions/", {}, content_type="application/json", HTTP_ORIGIN=ORIGIN)
    response = client.post("/api/v1/petitions/", {}, content_type="application/json", HTTP_ORIGIN=ORIGIN)
    assert response.status_code == 429
    assert response["Access-Control-Allow-Origin"] == "*"
    assert "retry-after" in header_set(response["Access-Control-Expose-Headers"])


@pytest.mark.parametrize("path", ["/", "/track/", "/admin/login/", "/healthz"])
def test_the_sites_own_pages_send_no_cors_headers(client: Client, db: Any, path: str) -> None:
    response = client.get(path, HTTP_ORIGIN=ORIGIN)
    assert "Access-Control-Allow-Origin" not in response
    preflight = client.options(path, HTTP_ORIGIN=ORIGIN, HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST")
    assert "Access-Control-Allow-Origin" not in preflight
