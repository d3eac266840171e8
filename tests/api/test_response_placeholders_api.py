"""The API's case actions refuse a response with unfilled template placeholders, like the back office."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.auth.models import User
from rest_framework.test import APIClient

from routing.models import Case, CaseState
from tests.conftest import Cast, advance, fresh

Clients = Callable[[User], APIClient]
DRAFT = "Đơn vị đã chuyển nội dung đến [cơ quan]. Dự kiến hoàn thành trước ngày [ngày]."


def act(client: APIClient, case: Case, action: str, **data: Any) -> Any:
    data.setdefault("version", fresh(case).version)
    return client.post(f"/api/v1/cases/{case.pk}/{action.replace('_', '-')}/", data, format="json")


def test_submitting_a_response_with_placeholders_is_refused_naming_them(
    client_for: Clients, cast: Cast, case: Case
) -> None:
    advance(case, "in_progress", cast)
    response = act(client_for(cast.officer), case, "submit_response", text=DRAFT)
    assert response.status_code == 400, response.json()
    error = response.json()["error"]
    assert error["code"] == "validation_failed"
    (message,) = error["fields"]["text"]
    assert "[cơ quan], [ngày]" in message
    assert fresh(case).state == CaseState.IN_PROGRESS


def test_approving_a_draft_with_placeholders_is_refused(client_for: Clients, cast: Cast, case: Case) -> None:
    advance(case, "pending_approval", cast)
    Case.objects.filter(pk=case.pk).update(response_text=DRAFT)
    response = act(client_for(cast.leader), case, "approve")
    assert response.status_code == 400, response.json()
    (message,) = response.json()["error"]["fields"]["non_field_errors"]
    assert "[cơ quan], [ngày]" in message
    assert fresh(case).state == CaseState.PENDING_APPROVAL
