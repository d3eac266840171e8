"""The OpenAPI document is valid and warning-free, and its docs page works under the site's CSP."""

from __future__ import annotations

import json
from collections.abc import Iterator
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.contrib.staticfiles import finders
from django.core.management import call_command
from django.test import Client
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate

from routing.models import CaseState
from tests.conftest import Tree


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
                # Public: nothing, or a partner's key.
                assert security == [{"partnerKey": []}, {}], path


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


def served_schema(client: Client, query: str = "") -> dict[str, Any]:
    return json.loads(client.get(f"/api/schema/?format=json{query}").content)


@pytest.mark.parametrize("query", ["", "&lang=en"])
def test_openapi_spec_validator_accepts_the_schema(client: Client, query: str) -> None:
    """What partners' tools run first; it rejected a default that failed its own pattern."""
    validate(served_schema(client, query))


def walk(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from walk(value)


def test_nullable_references_are_one_of_the_reference_or_null(client: Client) -> None:
    schema = served_schema(client)
    assert schema["openapi"] == "3.1.0"
    components = schema["components"]["schemas"]
    for component, field, target in (
        ("CaseSummary", "assignee", "UserRef"),
        ("CaseDetail", "assignee", "UserRef"),
        ("PublicCase", "response", "PublicResponse"),
        ("PublicCase", "original", "OriginalPetition"),
    ):
        nullable = components[component]["properties"][field]
        assert nullable["oneOf"] == [{"$ref": f"#/components/schemas/{target}"}, {"type": "null"}]
    # No OpenAPI 3.0 leftovers that 3.1 validators ignore or refuse.
    assert not [node for node in walk(schema) if "nullable" in node]
    assert not [node for node in walk(schema) if "default" in node and "pattern" in node]


def test_every_post_documents_415(client: Client) -> None:
    schema = served_schema(client)
    posts = [(path, ops["post"]) for path, ops in schema["paths"].items() if "post" in ops]
    assert len(posts) > 10
    for path, operation in posts:
        response = operation["responses"]["415"]
        examples = response["content"]["application/json"]["examples"]
        assert [e["value"]["error"]["code"] for e in examples.values()] == ["unsupported_media_type"], path


def test_each_error_status_has_an_example_of_its_own_code(client: Client) -> None:
    codes = {
        "400": {"validation_failed"},
        "401": {"not_authenticated"},
        "403": {"permission_denied"},
        "404": {"not_found"},
        "409": {"conflict", "transition_not_allowed"},
        "415": {"unsupported_media_type"},
        "429": {"throttled"},
    }
    schema = served_schema(client)
    error = Draft202012Validator({**schema, "$ref": "#/components/schemas/Error"})
    for path, operations in schema["paths"].items():
        for operation in operations.values():
            for status, response in operation["responses"].items():
                if status not in codes:
                    continue
                examples = response["content"]["application/json"]["examples"].values()
                assert {e["value"]["error"]["code"] for e in examples} == codes[status], (path, status)
                for example in examples:
                    error.validate(example["value"])


def test_the_petition_example_files_a_petition_and_the_retry_example_says_so(
    client: Client, tree: Tree
) -> None:
    operation = served_schema(client)["paths"]["/api/v1/petitions/"]["post"]
    (example,) = operation["requestBody"]["content"]["application/json"]["examples"].values()
    body = example["value"]
    assert body["category"] == "environment" and body["commune"] == "W00070" and body["phone"]
    response = client.post("/api/v1/petitions/", body, content_type="application/json")
    assert response.status_code == 201, response.json()
    (retry,) = operation["responses"]["200"]["content"]["application/json"]["examples"].values()
    assert (retry["value"]["created"], retry["value"]["token"]) == (False, None)
    (filed,) = operation["responses"]["201"]["content"]["application/json"]["examples"].values()
    assert set(filed["value"]) == set(response.json())


def test_the_document_describes_the_essentials_and_its_server(client: Client, settings: Any) -> None:
    settings.PUBLIC_BASE_URL = "https://gopy.example.gov.vn"
    schema = served_schema(client)
    description = schema["info"]["description"]
    assert "docs/api.md" not in description
    for essential in (
        "X-API-Key",
        "Authorization: Token",
        "Accept-Language",
        "Idempotency-Key",
        "429",
        "415",
    ):
        assert essential in description
    assert schema["servers"] == [{"url": "https://gopy.example.gov.vn"}]
    assert schema["components"]["securitySchemes"]["partnerKey"] == {
        "type": "apiKey",
        "in": "header",
        "name": "X-API-Key",
        "description": "A partner's API key: optional; the call then counts against the partner's rate.",
    }


def test_the_schema_states_the_ranges_the_server_enforces(client: Client) -> None:
    schema = json.loads(client.get("/api/schema/?format=json").content)
    [page_size] = [
        p for p in schema["paths"]["/api/v1/cases/"]["get"]["parameters"] if p["name"] == "page_size"
    ]
    assert (page_size["schema"]["minimum"], page_size["schema"]["maximum"]) == (1, 100)
    days = schema["components"]["schemas"]["ExtendActionRequest"]["properties"]["days"]
    assert (days["minimum"], days["maximum"]) == (1, 32767)
    assert "SLA policy" in days["description"]


def test_the_schema_says_the_search_text_may_not_hold_a_nul(
    client: Client, client_for: Any, cast: Any
) -> None:
    """Found by bench/schemathesis_run.py: ``q`` with a NUL was valid by the schema, and a 400."""
    schema = json.loads(client.get("/api/schema/?format=json").content)
    [q] = [p for p in schema["paths"]["/api/v1/cases/"]["get"]["parameters"] if p["name"] == "q"]
    validator = Draft202012Validator(q["schema"])
    assert not validator.is_valid("Rác\x00")
    assert validator.is_valid("Rác thải PA-26 ñ 🌧")
    assert validator.is_valid("") and not validator.is_valid("x" * 201)
    answer = client_for(cast.officer).get("/api/v1/cases/", {"q": "Rác\x00"})
    assert answer.status_code == 400
    assert list(answer.json()["error"]["fields"]) == ["q"]
