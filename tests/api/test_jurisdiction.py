"""Every API endpoint that returns a case answers 404 to another unit's token: existence never leaks.

``CASE_ENDPOINTS`` lists every case URL of ``api.urls`` with a request that works for the
case's own staff (``test_the_table_requests_work_for_the_handling_unit`` proves it), so the
404s below are the jurisdiction rule speaking, never a malformed request.
``test_every_case_endpoint_is_in_the_table`` fails for a new case URL until it is added.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLPattern
from rest_framework.test import APIClient

from api import urls as api_urls
from petitions.attachments import document_stage
from petitions.models import Document
from routing.models import Case
from tests.conftest import Cast, advance, fresh
from tests.petitions.test_pdfs import pdf

#: Staff of other units who must never learn that a Hoàn Kiếm case exists.
FOREIGN = ["other_officer", "other_commune_leader", "other_province_leader", "other_province_officer"]


def body_for(name: str, case: Case, cast: Cast, original: Case) -> dict[str, Any]:
    version = {"version": case.version}
    return {
        "api-case-note": {"text": "Ghi chú"},
        "api-case-accept": {**version, "assignee": cast.leader.pk},
        "api-case-reject": {**version, "reason": "Ngoài phạm vi"},
        "api-case-mark-duplicate": {**version, "original": original.petition.tracking_code},
        "api-case-escalate": {**version, "reason": "Vượt thẩm quyền"},
        "api-case-transfer": {
            **version,
            "unit": original.unit.parent.children.exclude(pk=case.unit_id).first().pk,
            "reason": "Đúng địa bàn phường bên cạnh",
        },
        "api-case-return-down": {**version, "unit": 0, "reason": "x"},
        "api-case-refer": {**version, "agency": "Sở Xây dựng", "due": "2099-01-01"},
        "api-case-ask-citizen": {**version, "question": "Xin gửi ảnh hiện trường."},
        "api-case-agency-replied": {**version, "note": "Đã trả lời"},
        "api-case-reassign": {**version, "officer": cast.officer2.pk},
        "api-case-extend": {**version, "days": 3, "reason": "Cần thêm thời gian"},
        "api-case-submit-response": {**version, "text": "Trả lời"},
        "api-case-approve": version,
        "api-case-send-back": {**version, "note": "Sửa lại"},
    }.get(name, {})


#: URL name → (method, state the case must be in for the handling unit's leader to succeed).
CASE_ENDPOINTS: dict[str, tuple[str, str]] = {
    "api-case": ("get", "submitted"),
    "api-case-note": ("post", "submitted"),
    "api-case-accept": ("post", "submitted"),
    "api-case-reject": ("post", "submitted"),
    "api-case-mark-duplicate": ("post", "submitted"),
    "api-case-escalate": ("post", "submitted"),
    "api-case-transfer": ("post", "submitted"),
    "api-case-refer": ("post", "in_progress"),
    "api-case-agency-replied": ("post", "awaiting_agency"),
    "api-case-ask-citizen": ("post", "in_progress"),
    "api-case-reassign": ("post", "in_progress"),
    "api-case-extend": ("post", "in_progress"),
    "api-case-submit-response": ("post", "in_progress"),
    "api-case-approve": ("post", "pending_approval"),
    "api-case-send-back": ("post", "pending_approval"),
    "api-case-document": ("get", "submitted"),
}
#: Only possible above the commune level: refused for this commune case by its state, not its unit.
NOT_FOR_A_COMMUNE = {"api-case-return-down": ("post", "submitted")}


def test_every_case_endpoint_is_in_the_table() -> None:
    names = {
        p.name
        for p in api_urls.urlpatterns
        if isinstance(p, URLPattern) and p.name and "<int:pk>" in str(p.pattern)
    }
    assert names == set(CASE_ENDPOINTS) | set(NOT_FOR_A_COMMUNE)


def request(client: APIClient, name: str, case: Case, cast: Cast, original: Case) -> Any:
    method, _ = {**CASE_ENDPOINTS, **NOT_FOR_A_COMMUNE}[name]
    segment = {"api-case": "", "api-case-note": "notes/"}.get(name, name.removeprefix("api-case-") + "/")
    if name == "api-case-document":
        segment = f"documents/{document_of(case)}/"
    path = f"/api/v1/cases/{case.pk}/{segment}"
    if method == "get":
        return client.get(path)
    return client.post(path, body_for(name, case, cast, original), format="json")


def document_of(case: Case) -> int:
    """A PDF of the case's petition (one is added the first time)."""
    found = Document.objects.filter(petition_id=case.petition_id).first()
    if found is None:
        upload = SimpleUploadedFile("bien-ban.pdf", pdf(), content_type="application/pdf")
        found = document_stage(upload=upload, session_key="jurisdiction")
        Document.objects.filter(pk=found.pk).update(petition_id=case.petition_id)
    return int(found.pk)


@pytest.fixture
def world(cast: Cast, submit: Any) -> Callable[[str], tuple[Case, Case]]:
    def build(state: str) -> tuple[Case, Case]:
        original = submit(phone="0987 111 222").petition.case
        return advance(submit().petition.case, state, cast), original

    return build


@pytest.mark.parametrize("name", sorted(CASE_ENDPOINTS))
def test_the_table_requests_work_for_the_handling_unit(
    client_for: Callable[[User], APIClient], cast: Cast, world: Any, name: str
) -> None:
    case, original = world(CASE_ENDPOINTS[name][1])
    response = request(client_for(cast.leader), name, case, cast, original)
    assert response.status_code in (200, 201), response.json()


@pytest.mark.parametrize("who", FOREIGN)
@pytest.mark.parametrize("name", sorted({**CASE_ENDPOINTS, **NOT_FOR_A_COMMUNE}))
def test_another_units_token_gets_404_and_changes_nothing(
    client_for: Callable[[User], APIClient], cast: Cast, world: Any, name: str, who: str
) -> None:
    case, original = world({**CASE_ENDPOINTS, **NOT_FOR_A_COMMUNE}[name][1])
    before = fresh(case).version
    response = request(client_for(getattr(cast, who)), name, case, cast, original)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert case.petition.tracking_code not in response.content.decode()
    assert fresh(case).version == before


@pytest.mark.parametrize("name", sorted({**CASE_ENDPOINTS, **NOT_FOR_A_COMMUNE}))
def test_a_404_for_a_foreign_case_looks_like_a_404_for_no_case(
    client_for: Callable[[User], APIClient], cast: Cast, world: Any, name: str
) -> None:
    case, original = world({**CASE_ENDPOINTS, **NOT_FOR_A_COMMUNE}[name][1])
    client = client_for(cast.other_officer)
    foreign = request(client, name, case, cast, original)
    # The same request for an id that does not exist.
    missing_case = Case(pk=case.pk + 10_000, unit=case.unit, petition=case.petition, version=case.version)
    missing = request(client, name, missing_case, cast, original)
    assert (foreign.status_code, foreign.json()) == (missing.status_code, missing.json())
