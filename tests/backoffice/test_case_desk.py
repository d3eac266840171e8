"""The case desk: actions from the FSM, validation, conflicts, notes; the inbox page."""

from __future__ import annotations

from django.urls import reverse

from routing import services
from routing.models import Case, CaseEvent, CaseState


def _act(client, case, action, **fields):
    data = {f"{action}-{k}": v for k, v in fields.items()}
    data.setdefault(f"{action}-version", str(Case.objects.get(pk=case.pk).version))
    return client.post(reverse("backoffice:backoffice-case-act", args=[case.pk, action]), data)


def test_the_desk_offers_the_actions_the_fsm_allows(client, case, cast):
    client.force_login(cast.officer)
    body = client.get(reverse("backoffice:backoffice-case", args=[case.pk])).content.decode()
    for action in ("accept", "reject", "mark_duplicate", "escalate"):
        assert f'id="action-{action}"' in body
    assert 'id="action-transfer"' not in body  # leaders only
    assert case.petition.phone in body  # the handling unit sees the contact details
    client.force_login(cast.leader)
    assert (
        'id="action-transfer"'
        in client.get(reverse("backoffice:backoffice-case", args=[case.pk])).content.decode()
    )


def test_officer_accepts_drafts_and_leader_approves(client, case, cast):
    client.force_login(cast.officer)
    assert _act(client, case, "accept", assignee=cast.officer.pk).status_code == 302
    assert _act(client, case, "submit_response", text="Đã sửa xong đèn đường.").status_code == 302
    client.force_login(cast.leader)
    assert _act(client, case, "approve").status_code == 302
    case.refresh_from_db()
    assert case.state == CaseState.RESPONDED and case.response_text == "Đã sửa xong đèn đường."


def test_a_validation_error_is_shown_in_the_form_and_changes_nothing(client, case, cast):
    client.force_login(cast.officer)
    response = _act(client, case, "reject", reason="")
    assert response.status_code == 400
    assert 'open id="action-reject"' in response.content.decode()
    case.refresh_from_db()
    assert case.state == CaseState.SUBMITTED and case.version == 1


def test_an_officer_cannot_assign_a_colleague(client, case, cast):
    client.force_login(cast.officer)
    response = _act(client, case, "accept", assignee=cast.officer2.pk)
    assert response.status_code == 400
    assert Case.objects.get(pk=case.pk).state == CaseState.SUBMITTED


def test_a_concurrent_change_gives_a_clear_conflict_and_the_fresh_state(client, case, cast):
    client.force_login(cast.officer)
    services.case_accept(case_id=case.pk, actor=cast.officer2)  # someone else acted first
    response = client.post(
        reverse("backoffice:backoffice-case-act", args=[case.pk, "accept"]),
        {"accept-version": "1", "accept-assignee": str(cast.officer.pk)},
    )
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "message-warning" in page
    assert CaseEvent.objects.filter(case=case, kind="accept").count() == 1
    assert Case.objects.get(pk=case.pk).assignee == cast.officer2


def test_a_stale_version_is_refused_even_if_the_state_still_allows_it(client, case, cast):
    client.force_login(cast.officer)
    services.case_add_note(case_id=case.pk, actor=cast.officer2, text="Đang xác minh", is_public=False)
    response = _act(client, case, "reject", reason="Ngoài phạm vi", version="1")
    assert response.status_code == 302
    assert Case.objects.get(pk=case.pk).state == CaseState.SUBMITTED


def test_an_officer_cannot_run_a_leader_action(client, case, cast, tree):
    client.force_login(cast.officer)
    response = _act(client, case, "transfer", unit=tree.cua_nam.pk, reason="Sai địa bàn")
    assert response.status_code == 302  # refused with a message; nothing changed
    assert Case.objects.get(pk=case.pk).unit == tree.hoan_kiem


def test_notes_are_internal_or_public(client, case, cast):
    client.force_login(cast.officer)
    url = reverse("backoffice:backoffice-case-note", args=[case.pk])
    client.post(url, {"note-text": "Chỉ cán bộ xem", "note-is_public": "0"})
    client.post(url, {"note-text": "Người dân xem được", "note-is_public": "1"})
    notes = {e.note: e.is_public for e in CaseEvent.objects.filter(case=case, kind="note")}
    assert notes == {"Chỉ cán bộ xem": False, "Người dân xem được": True}
    body = client.get(reverse("backoffice:backoffice-case", args=[case.pk])).content.decode()
    assert "Chỉ cán bộ xem" in body
    assert 'class="internal"' in body and 'class="public"' in body


def test_the_inbox_lists_cases_with_deadline_words_and_bounded_queries(
    client, submit, cast, django_assert_max_num_queries
):
    for n in range(30):
        submit(title=f"Phản ánh số {n}")
    client.force_login(cast.officer)
    with django_assert_max_num_queries(11):
        response = client.get("/en" + reverse("backoffice:backoffice-inbox"))
    body = response.content.decode()
    assert response.status_code == 200
    assert "due in 3 working days" in body
    assert "Page 1 of 2" in body


def test_a_duplicate_links_to_the_case_it_duplicates_only_while_the_reader_may_see_it(
    client, submit, cast, tree
):
    original = submit(title="Đèn đường hỏng ngõ 5 Hàng Bông").petition.case
    copy = submit(title="Đèn đường ngõ 5 không sáng").petition.case
    services.case_mark_duplicate(case_id=copy.pk, actor=cast.officer, original_id=original.pk)
    desk = reverse("backoffice:backoffice-case", args=[copy.pk])
    link = reverse("backoffice:backoffice-case", args=[original.pk])
    client.force_login(cast.officer)
    body = client.get("/en" + desk).content.decode()
    assert "Duplicate of" in body
    assert f'<a class="code" href="/en{link}">{original.petition.tracking_code}</a>' in body

    # The original moved to another commune: its code and title are no longer this officer's to read.
    Case.objects.filter(pk=original.pk).update(unit=tree.cua_nam)
    body = client.get("/en" + desk).content.decode()
    assert "Duplicate of" in body and "another case" in body
    assert original.petition.tracking_code not in body
    assert original.petition.title not in body
    assert f'href="/en{link}"' not in body
    # A leader above both communes still sees it.
    client.force_login(cast.province_leader)
    assert original.petition.tracking_code in client.get(desk).content.decode()


def test_a_case_that_is_no_duplicate_says_nothing_about_one(client, case, cast):
    client.force_login(cast.officer)
    body = client.get("/en" + reverse("backoffice:backoffice-case", args=[case.pk])).content.decode()
    assert "Duplicate of" not in body
