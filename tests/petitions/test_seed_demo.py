"""``manage.py seed_demo`` and ``petitions.demo``.

These tests load the real register of units (about a second), so they use the
plain ``db`` fixture, not the small ``tree`` of tests/conftest.py whose codes
would collide with it.
"""

from __future__ import annotations

import io
import unicodedata
from collections.abc import Iterator
from typing import Any

import phonenumbers
import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from petitions.demo import DEMO_PASSWORD, DemoSetupError, build_demo
from petitions.demo import content as demo
from petitions.demo.content import AGENCIES, DEMO_STAFF, MOBILE_PREFIXES, PETITION_TEMPLATES
from petitions.models import Category, Petition
from routing.models import Case, CaseEvent, CaseState, Membership, Role

DEMO_PETITIONS = 40


@pytest.fixture
def seeded(db: Any) -> str:
    """The database after one ``seed_demo --petitions 40``; returns what the command printed."""
    out = io.StringIO()
    call_command("seed_demo", petitions=DEMO_PETITIONS, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def demo_cases() -> Any:
    return Case.objects.filter(petition__idempotency_key__startswith="demo-2026-")


def test_seed_demo_creates_the_demo_accounts_with_memberships_at_their_units(seeded: str) -> None:
    memberships = {m.user.username: m for m in Membership.objects.select_related("user", "unit")}
    expected = {
        "demo.officer": ("W00070", Role.OFFICER),
        "demo.officer2": ("W00070", Role.OFFICER),
        "demo.leader": ("W00070", Role.LEADER),
        "demo.province.officer": ("P01", Role.OFFICER),
        "demo.province.leader": ("P01", Role.LEADER),
        "demo.central.officer": ("TW", Role.OFFICER),
        "demo.central.leader": ("TW", Role.LEADER),
        "demo.admin": ("TW", Role.ADMIN),
    }
    for username, (unit_code, role) in expected.items():
        assert (memberships[username].unit.code, memberships[username].role) == (unit_code, role)
    assert memberships["demo.officer"].unit.name == "Phường Hoàn Kiếm"
    assert memberships["demo.hcm.officer"].unit.code == "P79"
    assert {s.username for s in DEMO_STAFF} <= memberships.keys()

    admin = User.objects.get(username="demo.admin")
    assert admin.is_staff and admin.is_superuser
    assert admin.check_password(DEMO_PASSWORD)


def test_demo_officers_can_browse_cases_in_the_admin_without_being_superusers(seeded: str) -> None:
    officer = User.objects.get(username="demo.officer")
    assert officer.is_staff and not officer.is_superuser
    assert officer.check_password(DEMO_PASSWORD)
    assert officer.has_perms(
        ["routing.view_case", "routing.view_caseevent", "petitions.view_petition", "routing.view_unit"]
    )
    assert not officer.has_perm("routing.change_case")


def test_seed_demo_drives_the_petitions_through_the_lifecycle(seeded: str) -> None:
    cases = demo_cases()
    assert cases.count() == DEMO_PETITIONS
    assert len(set(cases.values_list("state", flat=True))) >= 6
    assert set(cases.values_list("state", flat=True)) <= set(CaseState.values)
    assert cases.filter(unit__code="W00070").exists(), "the demo officer's ward has an inbox"
    assert cases.exclude(unit__code="W00070").exists()


def test_every_demo_case_has_events_in_the_past_that_start_at_its_submission(seeded: str) -> None:
    now = timezone.now()
    cases = demo_cases()
    assert not cases.filter(events__isnull=True).exists()
    for case in cases.prefetch_related("events"):
        events = sorted(case.events.all(), key=lambda e: e.pk)
        assert events[0].kind == "submitted"
        assert events[0].created_at == case.submitted_at == case.petition.submitted_at
        times = [e.created_at for e in events if e.kind != "overdue"]
        assert times == sorted(times)
        assert times[-1] <= now
    assert CaseEvent.objects.filter(case__in=cases).count() > DEMO_PETITIONS


def test_running_seed_demo_again_creates_no_petitions_or_users(seeded: str) -> None:
    petitions, users, events = Petition.objects.count(), User.objects.count(), CaseEvent.objects.count()
    out = io.StringIO()

    call_command("seed_demo", petitions=DEMO_PETITIONS, stdout=out, stderr=io.StringIO())

    assert (Petition.objects.count(), User.objects.count()) == (petitions, users)
    assert CaseEvent.objects.count() == events
    assert f"0 created, {DEMO_PETITIONS} already there" in out.getvalue()


def test_seed_demo_prints_the_accounts_with_the_shared_password(seeded: str) -> None:
    assert DEMO_PASSWORD in seeded
    assert "demo.officer" in seeded and "Phường Hoàn Kiếm" in seeded
    assert f"{DEMO_PETITIONS} created" in seeded


def test_build_demo_refuses_clearly_when_the_units_are_not_loaded(db: Any) -> None:
    with pytest.raises(DemoSetupError, match="load_units"):
        build_demo(petitions=1)


def test_seed_demo_rejects_a_negative_count(db: Any) -> None:
    with pytest.raises(CommandError):
        call_command("seed_demo", petitions=-1, stdout=io.StringIO())


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(key)
            yield from _strings(item)
    elif isinstance(value, tuple | list | frozenset):
        for item in value:
            yield from _strings(item)


def test_demo_templates_cover_every_category_with_at_least_eight_texts(db: Any) -> None:
    assert set(PETITION_TEMPLATES) == set(Category.objects.values_list("code", flat=True))
    assert set(AGENCIES) == set(PETITION_TEMPLATES)
    for templates in PETITION_TEMPLATES.values():
        assert len({t.title for t in templates}) >= 8
        assert len({t.text for t in templates}) >= 8
        assert len({t.response for t in templates}) >= 8


def test_every_demo_text_is_nfc_normalised() -> None:
    texts = [text for name in dir(demo) if name.isupper() for text in _strings(getattr(demo, name))]
    assert len(texts) > 500
    assert [t for t in texts if not unicodedata.is_normalized("NFC", t)] == []


@pytest.mark.parametrize("prefix", MOBILE_PREFIXES)
def test_demo_phone_prefixes_give_valid_vietnamese_mobile_numbers(prefix: str) -> None:
    for digit in "0123456789":
        assert phonenumbers.is_valid_number(phonenumbers.parse(f"0{prefix}{digit}234567", "VN"))


def test_every_demo_unit_offers_response_templates_to_start_a_draft_from(seeded: str) -> None:
    from routing.models import ResponseTemplate
    from routing.selectors import response_templates_for

    assert ResponseTemplate.objects.filter(unit__code="W00070", is_active=True).exists()
    case = demo_cases().filter(unit__code="W00070").select_related("unit", "petition").first()
    assert case is not None and response_templates_for(case).exists()
    before = ResponseTemplate.objects.count()
    call_command("seed_demo", petitions=DEMO_PETITIONS, stdout=io.StringIO(), stderr=io.StringIO())
    assert ResponseTemplate.objects.count() == before  # idempotent


def test_seed_demo_refuses_production_unless_told(db: Any, settings: Any) -> None:
    settings.PRODUCTION_MODE = True
    with pytest.raises(CommandError, match="i-know-this-is-production"):
        call_command("seed_demo", petitions=0, stdout=io.StringIO())
    assert not User.objects.filter(username="demo.admin").exists()


def test_demo_petitions_lie_within_their_wards_radius(seeded: str) -> None:
    from routing.geodata import distance_km, spread_km

    located = 0
    for petition in Petition.objects.filter(idempotency_key__startswith="demo-2026-").select_related(
        "commune"
    ):
        if petition.latitude is None:
            continue
        located += 1
        ward = petition.commune
        assert ward.latitude is not None and ward.longitude is not None
        km = distance_km(
            float(ward.latitude), float(ward.longitude), float(petition.latitude), float(petition.longitude)
        )
        # The radius of a disc as large as the ward, and 6-decimal rounding (~0.1 m).
        assert km <= spread_km(ward.area_km2) + 0.0005, (petition.tracking_code, km)
    # About two in three have a point, the rest none (as citizens without a map do).
    assert DEMO_PETITIONS // 3 <= located < DEMO_PETITIONS


def test_a_demo_duplicate_is_reported_beside_its_original(seeded: str) -> None:
    """As a real duplicate is: the desk's "nearby open cases" finds the original within 100 m."""
    from routing.geodata import distance_km

    pairs = 0
    for case in (
        demo_cases().filter(duplicate_of__isnull=False).select_related("petition", "duplicate_of__petition")
    ):
        assert case.duplicate_of is not None
        duplicate, original = case.petition, case.duplicate_of.petition
        if original.latitude is None or duplicate.latitude is None:
            continue
        pairs += 1
        km = distance_km(
            float(original.latitude),
            float(original.longitude),
            float(duplicate.latitude),
            float(duplicate.longitude),
        )
        assert km <= 0.0805, (duplicate.tracking_code, original.tracking_code, km)
    assert pairs >= 1


def test_the_demo_shows_two_way_handling_and_documents(seeded: str) -> None:
    from petitions.models import Document
    from routing.models import EventKind

    cases = demo_cases()
    kinds = set(CaseEvent.objects.filter(case__in=cases).values_list("kind", flat=True).distinct())
    assert {EventKind.ASK_CITIZEN, EventKind.CITIZEN_ANSWER, EventKind.CITIZEN_INFO} <= kinds
    documents = list(Document.objects.filter(petition__case__in=cases).select_related("event"))
    where = {document.event.kind if document.event else "filed" for document in documents}
    # With the petition, with the citizen's words, and the unit's signed reply once approved.
    assert {"filed", EventKind.APPROVE} <= where and where & {
        EventKind.CITIZEN_ANSWER,
        EventKind.CITIZEN_INFO,
    }
    assert all(document.pages == 1 and document.size < 2000 for document in documents)
    assert not Document.objects.filter(petition__isnull=True).exists()  # nothing left staged
    # Every question is answered, or its case still waits for the citizen.
    for case in cases.filter(events__kind=EventKind.ASK_CITIZEN).distinct():
        answered = case.events.filter(kind=EventKind.CITIZEN_ANSWER).exists()
        assert answered or case.state == CaseState.AWAITING_CITIZEN, case.petition.tracking_code
