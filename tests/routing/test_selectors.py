"""Scoped reads: who sees which cases and events, and which actions they are offered."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser, User

from routing import services
from routing.actors import SYSTEM
from routing.models import Case, CaseEvent, Level, Role, Unit
from routing.selectors import (
    case_available_actions,
    case_events_visible_to,
    case_for_user,
    cases_actionable_by,
    cases_visible_to,
)
from tests.conftest import advance, citizen_of, fresh, make_staff


@pytest.fixture
def cases(submit: Any, tree: Any) -> dict[str, Case]:
    """One case at each kind of place in the tree."""
    return {
        "hoan_kiem": submit().petition.case,
        "cua_nam": submit(commune=tree.cua_nam).petition.case,
        "ben_thanh": submit(commune=tree.ben_thanh).petition.case,
        "hanoi": submit(category="misconduct").petition.case,
        "hcm": submit(category="misconduct", commune=tree.ben_thanh).petition.case,
        "central": submit(target_level=Level.CENTRAL).petition.case,
    }


ALL = {"hoan_kiem", "cua_nam", "ben_thanh", "hanoi", "hcm", "central"}


def _visible(user: Any, cases: dict[str, Case]) -> set[str]:
    ids = set(cases_visible_to(user).values_list("pk", flat=True))
    return {label for label, case in cases.items() if case.pk in ids}


def test_fixture_cases_sit_where_expected(cases, tree):
    assert cases["hoan_kiem"].unit == tree.hoan_kiem
    assert cases["cua_nam"].unit == tree.cua_nam
    assert cases["ben_thanh"].unit == tree.ben_thanh
    assert cases["hanoi"].unit == tree.hanoi
    assert cases["hcm"].unit == tree.hcm
    assert cases["central"].unit == tree.central


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("officer", {"hoan_kiem"}),
        ("officer2", {"hoan_kiem"}),
        ("leader", {"hoan_kiem"}),
        ("other_officer", {"cua_nam"}),
        ("other_commune_leader", {"cua_nam"}),
        ("province_officer", {"hanoi"}),
        ("province_leader", {"hoan_kiem", "cua_nam", "hanoi"}),
        ("other_province_officer", {"hcm"}),
        ("other_province_leader", {"ben_thanh", "hcm"}),
        ("central_officer", ALL),
        ("central_leader", ALL),
        ("superuser", ALL),
        ("outsider", set()),
    ],
)
def test_cases_visible_to_each_member_of_the_cast(cast, cases, who, expected):
    assert _visible(getattr(cast, who), cases) == expected


def test_officer_sees_only_cases_of_own_unit(cast, cases):
    visible = cases_visible_to(cast.officer)
    assert visible.count() == 1
    assert all(case.unit_id == cast.officer.membership.unit_id for case in visible)


def test_officer_of_another_commune_sees_nothing_of_hoan_kiem(cast, cases, tree):
    assert not cases_visible_to(cast.other_officer).filter(unit=tree.hoan_kiem).exists()
    assert case_for_user(user=cast.other_officer, case_id=cases["hoan_kiem"].pk) is None


def test_commune_leader_sees_own_unit_only(cast, cases, tree):
    units = set(cases_visible_to(cast.leader).values_list("unit_id", flat=True))
    assert units == {tree.hoan_kiem.pk}


def test_province_leader_sees_the_whole_province_subtree_but_not_another_province(cast, cases, tree):
    visible = cases_visible_to(cast.province_leader)
    assert all(case.unit.is_within(tree.hanoi) for case in visible)
    assert not visible.filter(unit__in=[tree.hcm, tree.ben_thanh, tree.central]).exists()
    assert visible.count() == 3


def test_province_leader_keeps_seeing_a_case_escalated_from_a_commune(cast, cases, tree):
    services.case_escalate(case_id=cases["hoan_kiem"].pk, actor=cast.officer, reason="Vượt thẩm quyền.")
    assert _visible(cast.province_leader, cases) == {"hoan_kiem", "cua_nam", "hanoi"}
    # The commune no longer handles it, so its staff no longer see it.
    assert _visible(cast.officer, cases) == set()
    assert _visible(cast.leader, cases) == set()
    assert _visible(cast.province_officer, cases) == {"hoan_kiem", "hanoi"}


def test_new_cases_appear_for_central_level_and_superuser(cast, cases, submit, tree):
    extra = submit(commune=tree.cua_nam).petition.case
    for user in (cast.central_officer, cast.central_leader, cast.superuser):
        assert cases_visible_to(user).filter(pk=extra.pk).exists()
        assert cases_visible_to(user).count() == Case.objects.count()


def test_user_without_membership_sees_nothing(cast, cases):
    assert not cases_visible_to(cast.outsider).exists()


@pytest.mark.parametrize("role", [Role.OFFICER, Role.LEADER, Role.ADMIN])
def test_inactive_staff_user_sees_nothing(cases, tree, role):
    for unit in (tree.hoan_kiem, tree.hanoi, tree.central):
        user = make_staff(unit, role, is_active=False)
        assert not cases_visible_to(user).exists()
        assert case_for_user(user=user, case_id=cases["hoan_kiem"].pk) is None
        assert not case_events_visible_to(user).exists()
        assert not cases_actionable_by(user).exists()


def test_inactive_superuser_sees_nothing(cases):
    root = User.objects.create_superuser(username="root-off", password="x-Strong-pass-42")
    root.is_active = False
    root.save()
    assert not cases_visible_to(root).exists()


def test_anonymous_user_sees_nothing(cases):
    assert not cases_visible_to(AnonymousUser()).exists()
    assert case_for_user(user=AnonymousUser(), case_id=cases["hoan_kiem"].pk) is None
    assert not case_events_visible_to(AnonymousUser()).exists()


def test_citizen_and_system_actors_see_nothing_through_the_staff_selector(cases):
    case = cases["hoan_kiem"]
    assert not cases_visible_to(citizen_of(case)).exists()
    assert not cases_visible_to(SYSTEM).exists()


def test_admin_role_at_a_province_reads_the_subtree_like_a_leader(cases, tree):
    admin = make_staff(tree.hcm, Role.ADMIN)
    assert _visible(admin, cases) == {"ben_thanh", "hcm"}


# --- case_for_user ---------------------------------------------------------------------------


def test_case_for_user_returns_a_case_in_jurisdiction(cast, cases):
    case = case_for_user(user=cast.officer, case_id=cases["hoan_kiem"].pk)
    assert case is not None
    assert case.pk == cases["hoan_kiem"].pk
    assert case.petition.category.code == "environment"


def test_case_for_user_returns_a_subtree_case_to_the_province_leader(cast, cases):
    assert case_for_user(user=cast.province_leader, case_id=cases["cua_nam"].pk) is not None


@pytest.mark.parametrize(
    ("who", "label"),
    [
        ("officer", "cua_nam"),
        ("officer", "hanoi"),
        ("leader", "hanoi"),
        ("province_officer", "hoan_kiem"),
        ("province_leader", "ben_thanh"),
        ("province_leader", "central"),
        ("other_province_leader", "hoan_kiem"),
        ("outsider", "hoan_kiem"),
    ],
)
def test_case_for_user_returns_none_outside_jurisdiction(cast, cases, who, label):
    assert case_for_user(user=getattr(cast, who), case_id=cases[label].pk) is None


def test_case_for_user_returns_none_for_a_missing_case(cast, cases):
    missing = max(case.pk for case in cases.values()) + 1000
    assert case_for_user(user=cast.superuser, case_id=missing) is None


# --- events ----------------------------------------------------------------------------------


def test_case_events_visible_to_does_not_leak_other_units_events(cast, cases):
    services.case_accept(case_id=cases["cua_nam"].pk, actor=cast.other_officer)
    services.case_add_note(
        case_id=cases["cua_nam"].pk, actor=cast.other_officer, text="Nội bộ.", is_public=False
    )
    services.case_accept(case_id=cases["hoan_kiem"].pk, actor=cast.officer)

    events = case_events_visible_to(cast.officer)
    assert set(events.values_list("case_id", flat=True)) == {cases["hoan_kiem"].pk}
    assert events.count() == CaseEvent.objects.filter(case=cases["hoan_kiem"]).count() == 2

    other = case_events_visible_to(cast.other_officer)
    assert set(other.values_list("case_id", flat=True)) == {cases["cua_nam"].pk}
    assert other.count() == 3


def test_case_events_visible_to_province_leader_cover_the_subtree_only(cast, cases):
    case_ids = set(case_events_visible_to(cast.province_leader).values_list("case_id", flat=True))
    assert case_ids == {cases["hoan_kiem"].pk, cases["cua_nam"].pk, cases["hanoi"].pk}


def test_case_events_visible_to_central_include_everything(cast, cases):
    assert case_events_visible_to(cast.central_officer).count() == CaseEvent.objects.count()


# --- actions offered -------------------------------------------------------------------------


def _actions(case: Case, user: Any) -> list[str]:
    return sorted(case_available_actions(case=fresh(case), user=user))


def test_officer_at_the_unit_gets_triage_actions_for_a_submitted_case(cast, case):
    assert _actions(case, cast.officer) == ["accept", "escalate", "mark_duplicate", "reject"]


def test_leader_at_the_unit_additionally_gets_transfer(cast, case):
    assert _actions(case, cast.leader) == ["accept", "escalate", "mark_duplicate", "reject", "transfer"]


@pytest.mark.parametrize(
    "who",
    ["province_leader", "province_officer", "central_leader", "central_officer", "superuser"],
)
def test_upper_levels_get_no_actions_on_a_commune_case(cast, case, who):
    assert _actions(case, getattr(cast, who)) == []


def test_province_leader_reads_a_commune_case_but_may_not_act_on_it(cast, case):
    assert case_for_user(user=cast.province_leader, case_id=case.pk) is not None
    assert _actions(case, cast.province_leader) == []


@pytest.mark.parametrize(
    "who", ["other_officer", "other_commune_leader", "other_province_leader", "outsider"]
)
def test_outsiders_get_no_actions(cast, case, who):
    assert _actions(case, getattr(cast, who)) == []


def test_anonymous_and_citizen_get_no_staff_actions(case):
    assert _actions(case, AnonymousUser()) == []
    assert _actions(case, citizen_of(case)) == []


def test_commune_leader_at_an_in_progress_case(cast, case):
    case = advance(case, "in_progress", cast)
    assert _actions(case, cast.leader) == [
        "ask_citizen",
        "escalate",
        "extend",
        "reassign",
        "refer",
        "submit_response",
    ]


def test_officer_at_an_in_progress_case(cast, case):
    case = advance(case, "in_progress", cast)
    assert _actions(case, cast.officer) == ["ask_citizen", "escalate", "refer", "submit_response"]
    # Asking the citizen is the assignee's (or a leader's), not any colleague's.
    assert _actions(case, cast.officer2) == ["escalate", "refer", "submit_response"]


def test_extend_is_offered_once_per_unit(cast, case):
    case = advance(case, "in_progress", cast)
    services.case_extend(case_id=case.pk, actor=cast.leader, days=5, reason="Cần xác minh thêm.")
    assert "extend" not in _actions(case, cast.leader)


def test_pending_approval_actions(cast, case):
    case = advance(case, "pending_approval", cast)
    assert _actions(case, cast.leader) == ["approve", "extend", "send_back"]
    assert _actions(case, cast.officer) == []


@pytest.mark.parametrize("state", ["closed", "rejected", "withdrawn"])
def test_final_states_offer_nothing(cast, case, state):
    case = advance(case, state, cast)
    assert _actions(case, cast.leader) == []
    assert _actions(case, cast.officer) == []


def test_province_leader_gets_province_actions_on_a_province_case(cast, submit):
    case = submit(category="misconduct").petition.case
    assert _actions(case, cast.province_leader) == [
        "accept",
        "escalate",
        "mark_duplicate",
        "reject",
        "return_down",
        "transfer",
    ]
    assert _actions(case, cast.leader) == []


def test_central_leader_cannot_escalate_a_central_case(cast, submit):
    case = submit(target_level=Level.CENTRAL).petition.case
    actions = _actions(case, cast.central_leader)
    assert "escalate" not in actions
    assert "return_down" in actions
    assert "accept" in actions


def test_actions_follow_the_case_after_escalation(cast, case):
    services.case_escalate(case_id=case.pk, actor=cast.officer, reason="Vượt thẩm quyền.")
    assert _actions(case, cast.officer) == []
    assert "accept" in _actions(case, cast.province_officer)


# --- materialised path prefixes ------------------------------------------------------------


@pytest.fixture
def lookalike(tree: Any, submit: Any) -> dict[str, Any]:
    """A province whose code starts with Hà Nội's code (P01X), with a commune and cases."""
    province = Unit.objects.create(
        code="P01X", name="Tỉnh Giả Định", level=Level.PROVINCE, parent=tree.central
    )
    commune = Unit.objects.create(code="W00070X", name="Xã Giả Định", level=Level.COMMUNE, parent=province)
    assert commune.path.startswith("/TW/P01X/")
    assert commune.path.startswith(tree.hanoi.path.rstrip("/"))
    return {
        "province": province,
        "commune": commune,
        "commune_case": submit(commune=commune).petition.case,
        "province_case": submit(commune=commune, target_level=Level.PROVINCE).petition.case,
    }


def test_province_leader_does_not_see_cases_of_a_unit_whose_code_extends_theirs(cast, lookalike):
    visible = cases_visible_to(cast.province_leader)
    assert not visible.filter(pk=lookalike["commune_case"].pk).exists()
    assert not visible.filter(pk=lookalike["province_case"].pk).exists()
    assert case_for_user(user=cast.province_leader, case_id=lookalike["commune_case"].pk) is None


def test_events_of_a_lookalike_unit_do_not_leak(cast, lookalike):
    case_ids = set(case_events_visible_to(cast.province_leader).values_list("case_id", flat=True))
    assert lookalike["commune_case"].pk not in case_ids
    assert lookalike["province_case"].pk not in case_ids


def test_leader_of_the_lookalike_province_sees_only_its_own_subtree(lookalike, cases):
    leader = make_staff(lookalike["province"], Role.LEADER)
    ids = set(cases_visible_to(leader).values_list("pk", flat=True))
    assert ids == {lookalike["commune_case"].pk, lookalike["province_case"].pk}


def test_commune_leader_does_not_see_a_commune_whose_code_extends_theirs(tree, submit):
    # W00070X under Hà Nội: its path /TW/P01/W00070X/ starts with "/TW/P01/W00070".
    sibling = Unit.objects.create(
        code="W00070X", name="Phường Giả Định", level=Level.COMMUNE, parent=tree.hanoi
    )
    case = submit(commune=sibling).petition.case
    leader = make_staff(tree.hoan_kiem, Role.LEADER)
    assert not cases_visible_to(leader).filter(pk=case.pk).exists()
    province_leader = make_staff(tree.hanoi, Role.LEADER)
    assert cases_visible_to(province_leader).filter(pk=case.pk).exists()


def test_unit_paths_end_with_a_slash(tree):
    for unit in Unit.objects.all():
        assert unit.path.endswith(f"/{unit.code}/")


# --- cases_actionable_by -------------------------------------------------------------------


def test_cases_actionable_by_is_own_unit_only_even_for_leaders(cast, cases):
    assert set(cases_actionable_by(cast.province_leader).values_list("pk", flat=True)) == {cases["hanoi"].pk}
    assert set(cases_actionable_by(cast.central_leader).values_list("pk", flat=True)) == {cases["central"].pk}
    assert not cases_actionable_by(cast.superuser).exists()
    assert not cases_actionable_by(cast.outsider).exists()
