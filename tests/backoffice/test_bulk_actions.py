"""Bulk actions from the inbox: each case through its own service call, with a result per case."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import translation

from backoffice.bulk import MAX_CASES
from routing import services
from routing.models import Case, CaseEvent, CaseState
from tests.conftest import advance, fresh, make_staff


@pytest.fixture(autouse=True)
def _no_language_left_active():
    """Requests under /en/ activate English for the whole thread: leave none behind for the next test."""
    yield
    translation.deactivate()


def _url(name: str = "backoffice:backoffice-bulk") -> str:
    with translation.override("en"):
        return reverse(name)


def _ticked(*cases):
    """The checkbox values the inbox would show now: ``<pk>:<version>``."""
    return [f"{c.pk}:{fresh(c).version}" for c in cases]


def _post(client, cases, action, **fields):
    data = {"cases": cases if cases and isinstance(cases[0], str) else _ticked(*cases), "action": action}
    data.update(fields)
    return client.post(_url(), data)


def _rows(response):
    """{tracking code or #pk: (done | conflict | refused, reason)} from the results table."""
    body = response.content.decode()
    rows = re.findall(
        r'<tr class="outcome-(\w+)">\s*<th scope="row">(?:<a [^>]*>|<span class="code">)([^<]+)<.*?'
        r'<td class="outcome">.*?</span> ([^<]+)</td>\s*<td>([^<]*)</td>',
        body,
        flags=re.S,
    )
    return {code: (result, reason) for result, code, _label, reason in rows}


def _snapshot(*cases):
    return [
        (c.pk, c.state, c.version, c.unit_id, c.assignee_id)
        for c in Case.objects.filter(pk__in=[c.pk for c in cases]).order_by("pk")
    ]


# --- each action ---------------------------------------------------------------------------


def test_an_officer_accepts_several_submitted_cases_for_themself(client, submit, cast):
    cases = [submit().petition.case for _ in range(3)]
    client.force_login(cast.officer)
    response = _post(client, cases, "assign", assignee=cast.officer.pk)
    assert response.status_code == 200
    for case in cases:
        case = fresh(case)
        assert case.state == CaseState.IN_PROGRESS and case.assignee == cast.officer
    rows = _rows(response)
    assert {rows[c.petition.tracking_code][0] for c in cases} == {"done"}
    assert "Accept and assign, or reassign: done for all 3 cases." in response.content.decode()


def test_a_leader_accepts_submitted_cases_and_reassigns_cases_in_progress(client, submit, cast):
    waiting = submit().petition.case
    working = advance(submit().petition.case, "in_progress", cast)  # assigned to cast.officer
    client.force_login(cast.leader)
    response = _post(client, [waiting, working], "assign", assignee=cast.officer2.pk)
    assert response.status_code == 200
    assert fresh(waiting).state == CaseState.IN_PROGRESS and fresh(waiting).assignee == cast.officer2
    assert fresh(working).assignee == cast.officer2
    assert CaseEvent.objects.filter(case=working, kind="reassign").count() == 1
    assert CaseEvent.objects.filter(case=waiting, kind="accept").count() == 1


def test_escalating_sends_each_case_up_with_the_reason_for_the_citizen(client, submit, cast, tree):
    waiting = submit().petition.case
    working = advance(submit().petition.case, "in_progress", cast)
    client.force_login(cast.officer)
    response = _post(client, [waiting, working], "escalate", reason="Vượt thẩm quyền của phường")
    assert response.status_code == 200
    for case in (waiting, working):
        case = fresh(case)
        assert case.unit == tree.hanoi and case.state == CaseState.SUBMITTED
        event = CaseEvent.objects.get(case=case, kind="escalate")
        assert event.note == "Vượt thẩm quyền của phường" and event.is_public
    body = response.content.decode()
    # The cases left the unit: their codes are listed, not linked to a desk the officer can no longer open.
    assert reverse("backoffice:backoffice-case", args=[waiting.pk]) not in body


def test_marking_duplicates_points_every_case_at_the_original(client, submit, cast):
    original = submit().petition.case
    copies = [submit(phone="0987654321").petition.case for _ in range(2)]
    client.force_login(cast.officer)
    code = f"  {original.petition.tracking_code.lower()} "  # as typed: spaces and lower case
    response = _post(client, copies, "mark_duplicate", original=code, reason="Cùng một điểm rác")
    assert response.status_code == 200
    for case in copies:
        case = fresh(case)
        assert case.state == CaseState.DUPLICATE and case.duplicate_of_id == original.pk
    assert fresh(original).state == CaseState.SUBMITTED


# --- failures, one case at a time ------------------------------------------------------------


def test_a_mix_reports_each_case_and_one_failure_does_not_stop_the_others(client, submit, cast):
    drafted = advance(submit().petition.case, "pending_approval", cast)  # escalate does not apply
    stale = submit().petition.case
    ok_first = submit().petition.case
    ok_last = submit().petition.case
    ticked = _ticked(drafted, stale, ok_first) + _ticked(ok_last)
    services.case_add_note(case_id=stale.pk, actor=cast.officer2, text="Đang xác minh", is_public=False)
    client.force_login(cast.officer)
    response = _post(client, ticked, "escalate", reason="Cần cấp trên xử lý")
    assert response.status_code == 200
    rows = _rows(response)
    assert rows[drafted.petition.tracking_code] == (
        "refused",
        "This action is not possible for the case in its current state.",
    )
    assert rows[stale.petition.tracking_code][0] == "conflict"
    assert rows[ok_first.petition.tracking_code] == ("done", "—")
    assert rows[ok_last.petition.tracking_code] == ("done", "—")
    assert fresh(drafted).state == CaseState.PENDING_APPROVAL
    assert "done for 2 of 4 cases" in response.content.decode()
    assert "message-warning" in response.content.decode()


def test_a_case_changed_since_the_page_was_shown_is_a_conflict_and_left_alone(client, case, cast):
    ticked = _ticked(case)
    services.case_accept(case_id=case.pk, actor=cast.officer2)  # someone acted first
    before = _snapshot(case)
    client.force_login(cast.officer)
    response = _post(client, ticked, "escalate", reason="Vượt thẩm quyền")
    assert response.status_code == 200
    assert _rows(response)[case.petition.tracking_code] == (
        "conflict",
        "Someone else updated this case a moment ago. Review its current state and try again.",
    )
    assert _snapshot(case) == before
    assert not CaseEvent.objects.filter(case=case, kind="escalate").exists()


def test_an_officer_assigning_a_colleague_is_refused_case_by_case(client, submit, cast):
    waiting = submit().petition.case
    working = advance(submit().petition.case, "in_progress", cast)
    before = _snapshot(waiting, working)
    client.force_login(cast.officer)
    response = _post(client, [waiting, working], "assign", assignee=cast.officer2.pk)
    assert response.status_code == 200
    rows = _rows(response)
    assert rows[waiting.petition.tracking_code] == (
        "refused",
        "Officers can only accept a case for themselves.",
    )
    assert rows[working.petition.tracking_code] == ("refused", "You are not allowed to do this on this case.")
    assert _snapshot(waiting, working) == before


def test_cases_of_another_unit_are_refused_without_naming_them_and_left_alone(client, submit, cast, tree):
    own = submit().petition.case
    elsewhere = submit(commune=tree.cua_nam).petition.case
    before = _snapshot(elsewhere)
    client.force_login(cast.officer)
    response = _post(client, [elsewhere, own], "escalate", reason="Vượt thẩm quyền")
    assert response.status_code == 200
    rows = _rows(response)
    assert rows[f"#{elsewhere.pk}"][0] == "refused"
    assert rows[own.petition.tracking_code][0] == "done"
    assert elsewhere.petition.tracking_code not in response.content.decode()
    assert _snapshot(elsewhere) == before


def test_a_province_leader_sees_the_commune_cases_named_but_cannot_act_on_them(client, case, cast):
    before = _snapshot(case)
    client.force_login(cast.province_leader)
    response = _post(client, [case], "escalate", reason="Thử")
    assert response.status_code == 200
    assert _rows(response)[case.petition.tracking_code] == (
        "refused",
        "This case is not at your unit (any more): you cannot act on it.",
    )
    assert _snapshot(case) == before


def test_anonymous_users_are_sent_to_sign_in(client, case):
    response = _post(client, [case], "escalate", reason="Thử")
    assert response.status_code == 302
    assert reverse("backoffice:backoffice-login") in response["Location"]
    assert fresh(case).version == 1


def test_accounts_without_a_unit_are_refused(client, case, cast):
    client.force_login(cast.outsider)
    assert _post(client, [case], "escalate", reason="Thử").status_code == 403
    assert fresh(case).version == 1


@pytest.mark.parametrize("who", ["other_officer", "other_commune_leader", "other_province_leader"])
@pytest.mark.parametrize(
    ("action", "fields"),
    [("assign", {}), ("escalate", {"reason": "Thử"}), ("mark_duplicate", {})],
)
def test_staff_of_other_units_change_nothing(client, submit, cast, tree, who, action, fields):
    target = submit().petition.case
    theirs = submit(commune=tree.cua_nam if who != "other_province_leader" else tree.ben_thanh).petition.case
    actor = getattr(cast, who)
    if action == "assign":
        fields = {"assignee": actor.pk}
    if action == "mark_duplicate":
        fields = {"original": theirs.petition.tracking_code}
    before = _snapshot(target)
    client.force_login(actor)
    response = _post(client, [target], action, **fields)
    assert response.status_code == 200
    rows = _rows(response)
    assert list(rows) == [f"#{target.pk}"] and rows[f"#{target.pk}"][0] == "refused"
    assert target.petition.tracking_code not in response.content.decode()
    assert _snapshot(target) == before
    assert CaseEvent.objects.filter(case=target).count() == 1  # only its submission


# --- the form itself ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"action": ""}, "This field is required."),
        ({"action": "launch"}, "Select a valid choice."),
        ({"action": "escalate"}, "Give the reason for escalating: the citizen sees it."),
        ({"action": "escalate", "reason": "   "}, "Give the reason for escalating: the citizen sees it."),
        ({"action": "assign"}, "Choose who to assign the cases to."),
        ({"action": "mark_duplicate"}, "Enter the tracking code of the original petition."),
        (
            {"action": "mark_duplicate", "original": "PA-26-NOSUCH"},
            "No case you can see has that tracking code.",
        ),
        ({"action": "escalate", "reason": "Thử", "cases": []}, "Select at least one case."),
        ({"action": "escalate", "reason": "Thử", "cases": ["12"]}, "The selection could not be read."),
        ({"action": "escalate", "reason": "Thử", "cases": ["1:x"]}, "The selection could not be read."),
    ],
)
def test_an_invalid_bulk_form_is_a_400_and_changes_nothing(client, submit, cast, fields, error):
    cases = [submit().petition.case for _ in range(2)]
    before = _snapshot(*cases)
    client.force_login(cast.officer)
    data = {"cases": _ticked(*cases), **fields}
    response = client.post(_url(), data)
    assert response.status_code == 400
    assert error in response.content.decode()
    assert _snapshot(*cases) == before
    assert CaseEvent.objects.filter(case__in=cases).count() == 2


def test_more_cases_than_the_cap_are_refused_with_a_clear_error(client, case, cast):
    client.force_login(cast.officer)
    ticked = [f"{case.pk + n}:1" for n in range(MAX_CASES + 1)]
    response = _post(client, ticked, "escalate", reason="Thử")
    assert response.status_code == 400
    assert f"Select at most {MAX_CASES} cases at a time (you selected {MAX_CASES + 1})." in (
        response.content.decode()
    )
    assert fresh(case).version == 1


def test_the_400_page_keeps_the_selection_so_the_officer_can_fix_and_resend(client, submit, cast, tree):
    own = submit().petition.case
    elsewhere = submit(commune=tree.cua_nam).petition.case
    client.force_login(cast.officer)
    ticked = _ticked(own, elsewhere)
    response = _post(client, ticked, "escalate", reason="")
    body = response.content.decode()
    assert response.status_code == 400
    assert f'value="{own.pk}:1" checked' in body and own.petition.tracking_code in body
    assert elsewhere.petition.tracking_code not in body and f'value="{elsewhere.pk}:1"' not in body
    assert 'aria-invalid="true"' in body and 'href="#bulk_reason"' in body


def test_the_results_link_back_to_the_inbox_with_its_query_string(client, case, cast):
    client.force_login(cast.officer)
    response = _post(client, [case], "escalate", reason="Thử", query="tab=open&sort=newest&page=2")
    assert 'href="/en/office/?tab=open&amp;sort=newest&amp;page=2"' in response.content.decode()
    response = _post(client, [case], "escalate", reason="Thử", query="//evil.example/")
    assert 'href="//evil' not in response.content.decode()


# --- the inbox ------------------------------------------------------------------------------


def test_the_inbox_has_a_labelled_checkbox_per_case_carrying_its_version(client, submit, cast):
    case = advance(submit().petition.case, "in_progress", cast)
    client.force_login(cast.officer)
    body = client.get(_url("backoffice:backoffice-inbox") + "?tab=open").content.decode()
    assert f'action="{_url()}"' in body
    assert f'name="cases" value="{case.pk}:{case.version}" id="select-{case.pk}"' in body
    assert f'<span class="visually-hidden">Select {case.petition.tracking_code}</span>' in body
    for name in ("action", "assignee", "original", "reason"):
        assert f'<label for="bulk_{name}">' in body
    assert 'name="query" value="tab=open"' in body


def test_the_inbox_offers_officers_themselves_and_leaders_every_active_officer(client, case, cast, tree):
    gone = make_staff(tree.hoan_kiem, username="gone")
    User.objects.filter(pk=gone.pk).update(is_active=False)
    url = _url("backoffice:backoffice-inbox")

    def offered(user):
        client.force_login(user)
        body = client.get(url).content.decode()
        select = re.search(r'<select name="assignee".*?</select>', body, flags=re.S)
        assert select is not None
        return {int(pk) for pk in re.findall(r'<option value="(\d+)"', select[0])}

    assert offered(cast.officer) == {cast.officer.pk}
    assert offered(cast.leader) == {cast.officer.pk, cast.officer2.pk, cast.leader.pk}


def test_a_bulk_action_sent_from_the_inbox_page_itself_works(client, submit, cast):
    for _ in range(3):
        submit()
    client.force_login(cast.officer)
    body = client.get(_url("backoffice:backoffice-inbox")).content.decode()
    ticked = re.findall(r'name="cases" value="([0-9]+:[0-9]+)"', body)
    assert len(ticked) == 3
    response = _post(client, ticked, "assign", assignee=cast.officer.pk)
    assert response.status_code == 200
    assert set(Case.objects.values_list("state", flat=True)) == {CaseState.IN_PROGRESS}


def test_the_inbox_with_sixty_cases_keeps_a_bounded_number_of_queries(
    client, submit, cast, django_assert_max_num_queries
):
    for n in range(60):
        submit(title=f"Phản ánh số {n}")
    for user in (cast.officer, cast.leader):
        client.force_login(user)
        with django_assert_max_num_queries(12):
            response = client.get(_url("backoffice:backoffice-inbox"))
        assert response.status_code == 200
        assert response.content.decode().count('name="cases"') == 25


def _titles(response):
    """{tracking code or #pk: title cell} from the results table."""
    return dict(
        re.findall(
            r'<th scope="row">(?:<a [^>]*>|<span class="code">)([^<]+)<.*?<td class="title">([^<]*)</td>',
            response.content.decode(),
            flags=re.S,
        )
    )


def test_the_results_name_each_case_by_its_code_and_title(client, submit, cast, tree):
    first = submit(title="Đèn đường hỏng ở ngõ 5").petition.case
    second = submit(title="Cống thoát nước bị tắc").petition.case
    elsewhere = submit(commune=tree.cua_nam, title="Vỉa hè bị lấn chiếm").petition.case
    client.force_login(cast.officer)
    response = _post(client, [first, second, elsewhere], "assign", assignee=cast.officer.pk)
    assert response.status_code == 200
    titles = _titles(response)
    assert titles[first.petition.tracking_code] == "Đèn đường hỏng ở ngõ 5"
    assert titles[second.petition.tracking_code] == "Cống thoát nước bị tắc"
    # A case the officer may not see stays anonymous: no code, no title.
    assert titles[f"#{elsewhere.pk}"] == "—"
    assert "Vỉa hè bị lấn chiếm" not in response.content.decode()


def test_a_case_the_user_may_read_but_not_act_on_is_named_with_its_title(client, case, cast):
    client.force_login(cast.province_leader)
    response = _post(client, [case], "escalate", reason="Thử")
    assert _titles(response)[case.petition.tracking_code] == case.petition.title
