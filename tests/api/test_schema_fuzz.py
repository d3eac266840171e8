"""Property-based fuzzing of the API against its own OpenAPI document (schemathesis, in-process WSGI).

Every operation, public and staff, gets generated requests (valid and invalid by the
schema), sent with a leader's staff token; the public operations once more with a
partner's API key. Every answer goes through every check schemathesis applies to one
request (no server error; status, content type, headers and body as the schema says;
schema-valid input accepted and invalid input refused; authentication enforced; the
methods the schema does not list refused). The exceptions are those of the bench run,
read from ``bench/schemathesis.toml``, where each one says why. Half of the generated
case ids and tracking codes are swapped for real ones, so the action forms and services
are reached, not only the 404s.

``max_examples`` is small so that the whole run stays well under a minute on two cores;
``bench/schemathesis_run.py`` runs every phase at a larger size against a real server.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from jsonschema import Draft202012Validator
from rest_framework.authtoken.models import Token
from schemathesis import checks
from schemathesis.core.parameters import ParameterLocation

from petitions.models import Partner, PartnerKey
from tests.conftest import Cast, advance

#: The documented answers a check's default does not expect, each with its reason (bench run's file).
BENCH_CONFIG = tomllib.loads(
    (Path(__file__).resolve().parents[2] / "bench" / "schemathesis.toml").read_text()
)

CONFIG = schemathesis.Config.from_dict(
    {
        "operations": BENCH_CONFIG["operations"],
        "phases": {
            "examples": {"enabled": True},
            # The coverage phase (every boundary value of every parameter) passes too, but takes
            # about 30 s here; run it by hand when the schema changes much.
            "coverage": {"enabled": False},
            "fuzzing": {"enabled": True},
            "stateful": {"enabled": False},
        },
        "generation": {"max-examples": 10, "database": "none"},
    }
)


@pytest.fixture(autouse=True)
def _no_rate_limits(settings: Any) -> None:
    # The fuzzer sends many requests from one address: rate limits would answer 429 to most of them.
    settings.PORTAL_RATES = {name: "100000/h" for name in settings.PORTAL_RATES}
    settings.API_RATES = {name: "100000/h" for name in settings.API_RATES}


@pytest.fixture(autouse=True)
def _keep_the_test_connection() -> Iterator[None]:
    """Requests end with ``close_old_connections``, which would close the test's transaction on PostgreSQL.

    Django's test client unhooks it the same way; the fuzzer calls the real WSGI application.
    """
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def world(cast: Cast, submit: Any) -> dict[str, Any]:
    """A leader's token at Hoàn Kiếm, a partner's key, and cases there in several states to act on."""
    token = Token.objects.create(user=cast.leader)
    partner = Partner.objects.create(
        name="Fuzz partner", contact_email="fuzz@example.com", rate_limit="100000/h"
    )
    partner_key = PartnerKey.generate()
    key = PartnerKey(partner=partner)
    key.set_key(partner_key)
    key.save()
    submitted = submit()
    in_progress = advance(submit().petition.case, "in_progress", cast)
    pending = advance(submit().petition.case, "pending_approval", cast)
    tracked = submit()
    return {
        "token": token.key,
        "partner_key": partner_key,
        "case_ids": [submitted.petition.case.pk, in_progress.pk, pending.pk],
        "tracking": (tracked.petition.tracking_code, tracked.token),
    }


# Loaded at collection (the schema view touches no database). Lazy loading through a fixture
# (schemathesis.pytest.from_fixture) does not work with pytest 9: it rewrites a node attribute
# that pytest 9 no longer has.
schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", get_wsgi_application(), config=CONFIG)


def with_real_references(case: Any, world: dict[str, Any]) -> None:
    path = case.path_parameters or {}
    if isinstance(path.get("id"), int) and path["id"] % 2 == 0:
        path["id"] = world["case_ids"][path["id"] // 2 % len(world["case_ids"])]
    if (
        "code" in path
        and case.operation.path.startswith("/api/v1/track/")
        and len(str(path["code"])) % 2 == 0
    ):
        code, token = world["tracking"]
        path["code"] = code
        case.headers = {**(case.headers or {}), "X-Tracking-Token": token}


# The fixtures are the world the requests act on: sharing it between examples is the point.
FUZZ_SETTINGS = hypothesis_settings(
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow], deadline=None
)


def credentials(case: Any, headers: dict[str, str]) -> dict[str, str] | None:
    """The world's credentials for a case, unless the case spoils its headers on purpose.

    A negative case may leave out the Authorization header its operation requires, beside other
    invalid input (unknown query parameters): sending the token anyway made the request valid
    but for what the API ignores, and its 200 read as invalid data accepted.
    """
    if case.meta is not None and case.meta.is_negative_at(ParameterLocation.HEADER):
        return None
    return headers


@schema.parametrize()
@FUZZ_SETTINGS
def test_api_answers_match_the_schema_and_never_fail(case: Any, world: dict[str, Any]) -> None:
    with_real_references(case, world)
    # Every check enabled in CONFIG (all of them; the stateful ones need a sequence and do nothing here).
    case.call_and_validate(headers=credentials(case, {"Authorization": f"Token {world['token']}"}))


@schema.include(tag="public").parametrize()
@FUZZ_SETTINGS
def test_public_answers_with_a_partner_key_match_the_schema(case: Any, world: dict[str, Any]) -> None:
    with_real_references(case, world)
    case.call_and_validate(headers=credentials(case, {"X-API-Key": world["partner_key"]}))


def strictly_valid(path: str, response: Any) -> None:
    """The answer against its schema by a plain JSON Schema 2020-12 validator, which knows no `nullable`."""
    document = schema.raw_schema
    body_schema = document["paths"][path]["get"]["responses"][str(response.status_code)]["content"][
        "application/json"
    ]["schema"]
    Draft202012Validator({**document, **body_schema}).validate(response.json())


def call_and_check(path: str, token: str | None = None, **parameters: Any) -> Any:
    """One request by the schema's own operation, its answer checked against the schema for its status."""
    case = schema[path]["GET"].Case(**parameters)
    response = case.call_and_validate(
        headers={"Authorization": f"Token {token}"} if token else None,
        checks=[checks.status_code_conformance, checks.response_schema_conformance],
    )
    strictly_valid(path, response)
    return response


def test_null_references_match_the_schema(world: dict[str, Any], cast: Cast, submit: Any) -> None:
    """A case nobody took (assignee null), a petition with no response and no original (both null)."""
    submitted_id = world["case_ids"][0]
    detail = call_and_check("/api/v1/cases/{id}/", world["token"], path_parameters={"id": submitted_id})
    assert detail.status_code == 200
    assert detail.json()["assignee"] is None
    listed = call_and_check("/api/v1/cases/", world["token"], query={"state": ["submitted"]})
    assert listed.status_code == 200
    assert None in {row["assignee"] for row in listed.json()["results"]}
    code, token = world["tracking"]
    tracked = call_and_check("/api/v1/track/{code}/", path_parameters={"code": code})
    assert tracked.status_code == 404  # no tracking token sent: still the documented 404
    public = call_and_check(
        "/api/v1/track/{code}/", path_parameters={"code": code}, headers={"X-Tracking-Token": token}
    )
    assert public.status_code == 200
    assert (public.json()["response"], public.json()["original"]) == (None, None)
    # A duplicate: the original is there, and its response is null.
    duplicate = submit()
    advance(duplicate.petition.case, "duplicate", cast)
    joined = call_and_check(
        "/api/v1/track/{code}/",
        path_parameters={"code": duplicate.petition.tracking_code},
        headers={"X-Tracking-Token": duplicate.token},
    )
    assert joined.json()["original"] is not None and joined.json()["original"]["response"] is None
    assert joined.json()["response"] is None
