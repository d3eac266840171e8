"""The case page's snapshot (``track/<code>/live.json``): same grant, same fragments as the page."""

from __future__ import annotations

from typing import Any

from django.test import Client
from django.urls import reverse

from routing import services
from routing.models import CaseState
from tests.conftest import advance


def _live_url(case: Any) -> str:
    return reverse("portal:portal-case-live", args=[case.petition.tracking_code])


def _follow(client: Client, case: Any) -> None:
    response = client.post("/track/", {"code": case.petition.tracking_code, "phone": "0912345678"})
    assert response.status_code == 302


def test_the_snapshot_needs_the_grant(client, case, submit):
    assert client.get(_live_url(case)).status_code == 404
    other = submit(phone="0987 654 321")
    assert client.get(f"/t/{other.token}/").status_code == 302
    # A grant for another petition opens that petition only.
    assert client.get(_live_url(other.petition.case)).status_code == 200
    assert client.get(_live_url(case)).status_code == 404


def test_the_snapshot_follows_the_case_as_it_changes(client, case, cast):
    _follow(client, case)
    first = client.get(_live_url(case)).json()
    assert (first["version"], first["state"]) == (1, CaseState.SUBMITTED)
    assert sorted(first["html"]) == ["add_info", "answer", "response", "status", "timeline", "withdraw"]
    assert "feedback" not in first["html"]["response"]

    services.case_accept(case_id=case.pk, actor=cast.officer)
    services.case_add_note(case_id=case.pk, actor=cast.officer, text="Ghi chú nội bộ bí mật", is_public=False)
    services.case_submit_response(case_id=case.pk, actor=cast.officer, text="Đã thay bóng đèn mới.")
    drafted = client.get(_live_url(case)).json()
    assert (drafted["version"], drafted["state"]) == (4, CaseState.PENDING_APPROVAL)
    assert "Ghi chú nội bộ bí mật" not in str(drafted)
    assert "Đã thay bóng đèn mới." not in str(drafted)  # a draft is not the response

    services.case_approve(case_id=case.pk, actor=cast.leader)
    responded = client.get(_live_url(case)).json()
    assert responded["state"] == CaseState.RESPONDED
    assert "Đã thay bóng đèn mới." in responded["html"]["response"]
    assert 'id="feedback"' in responded["html"]["response"]
    assert responded["html"]["timeline"].count("<li>") == 3  # received, accepted, published


def test_the_page_is_made_of_the_snapshots_fragments(client, case, cast):
    advance(case, CaseState.IN_PROGRESS, cast)
    _follow(client, case)
    page = client.get(reverse("portal:portal-case", args=[case.petition.tracking_code])).content.decode()
    snapshot = client.get(_live_url(case)).json()
    # The fragments without forms are byte for byte what the page shows (forms carry fresh CSRF tokens).
    for name in ("status", "timeline"):
        assert snapshot["html"][name].strip() in page, name
    for name in ("response", "add_info", "withdraw"):
        assert f'data-live-fragment="{name}"' in page


def test_fragments_holding_forms_keep_their_key_while_their_forms_stay(client, case, cast):
    """The script swaps a fragment only when its key changes: a half-written form survives a public note."""
    advance(case, CaseState.RESPONDED, cast)
    _follow(client, case)
    before = client.get(_live_url(case)).json()
    services.case_add_note(case_id=case.pk, actor=cast.officer, text="Chúng tôi đã kiểm tra.", is_public=True)
    after = client.get(_live_url(case)).json()

    def key(html: str) -> str:
        return html.split('data-live-key="', 1)[1].split('"', 1)[0]

    assert key(before["html"]["response"]) == key(after["html"]["response"])
    assert key(before["html"]["withdraw"]) == key(after["html"]["withdraw"])
    assert key(before["html"]["add_info"]) == key(after["html"]["add_info"])
    assert key(before["html"]["timeline"]) != key(after["html"]["timeline"])


def test_the_snapshot_is_never_cached_and_its_query_count_is_bounded(
    client, case, cast, django_assert_max_num_queries
):
    advance(case, CaseState.RESPONDED, cast)
    for n in range(5):
        services.case_add_note(case_id=case.pk, actor=cast.officer, text=f"Cập nhật {n}", is_public=True)
    _follow(client, case)
    with django_assert_max_num_queries(6):
        response = client.get(_live_url(case))
    assert response.status_code == 200
    assert "no-cache" in response["Cache-Control"]


def test_the_snapshot_speaks_the_pages_language(client, case):
    _follow(client, case)
    english = client.get("/en" + _live_url(case)).json()
    assert "Awaiting triage" in english["html"]["status"]
