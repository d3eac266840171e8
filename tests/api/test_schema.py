"""The OpenAPI document is valid and warning-free, and its docs page works under the site's CSP."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path
from typing import Any

import yaml
from django.contrib.staticfiles import finders
from django.core.management import call_command
from django.test import Client

from routing.models import CaseState


def test_spectacular_validates_the_schema_without_a_warning(tmp_path: Path) -> None:
    target = tmp_path / "schema.yaml"
    # --fail-on-warn raises SchemaGenerationError on any warning or error of the generator.
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target), stderr=StringIO())
    schema = yaml.safe_load(target.read_text())
    assert schema["openapi"].startswith("3.")
    assert all(path.startswith("/api/v1/") for path in schema["paths"])


def test_the_schema_is_served_as_json_and_yaml(client: Client) -> None:
    as_json = client.get("/api/schema/?format=json")
    assert as_json.status_code == 200
    schema = json.loads(as_json.content)
    assert client.get("/api/schema/").status_code == 200
    states = schema["components"]["schemas"]["CaseStateEnum"]["enum"]
    assert states == list(CaseState.values)
    assert schema["components"]["schemas"]["ErrorDetail"]["properties"]["code"]["allOf"] == [
        {"$ref": "#/components/schemas/ErrorCodeEnum"}
    ]
    assert set(schema["components"]["schemas"]["ErrorCodeEnum"]["enum"]) >= {
        "not_authenticated",
        "permission_denied",
        "not_found",
        "conflict",
        "throttled",
        "validation_failed",
        "transition_not_allowed",
    }


def test_staff_operations_need_the_token_and_public_ones_nothing(client: Client) -> None:
    schema: dict[str, Any] = json.loads(client.get("/api/schema/?format=json").content)
    for path, operations in schema["paths"].items():
        for operation in operations.values():
            security = operation.get("security")
            if path.startswith("/api/v1/cases/") or path == "/api/v1/me/":
                assert security == [{"tokenAuth": []}], path
                assert "401" in operation["responses"], path
            else:
                assert security == [{}], path


def test_every_case_operation_documents_404(client: Client) -> None:
    schema: dict[str, Any] = json.loads(client.get("/api/schema/?format=json").content)
    for path, operations in schema["paths"].items():
        if path.startswith("/api/v1/cases/{id}/"):
            for operation in operations.values():
                assert "404" in operation["responses"], path


def test_the_docs_page_loads_only_our_own_scripts_and_styles(client: Client) -> None:
    response = client.get("/api/docs/")
    assert response.status_code == 200
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "style-src 'self'" in csp and "unsafe-inline" not in csp
    html = response.content.decode()
    assert "<script>" not in html and "<style" not in html and "style=" not in html
    assert "cdn" not in html.lower() and "http" not in html
    for asset in (
        "drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js",
        "drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-standalone-preset.js",
        "drf_spectacular_sidecar/swagger-ui-dist/swagger-ui.css",
        "api/docs.css",
    ):
        assert f"/static/{asset}" in html
        assert finders.find(asset), asset
    script = client.get("/api/docs/?script=")
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert b"/api/schema/" in script.content
