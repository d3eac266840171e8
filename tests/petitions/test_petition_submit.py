"""petition_submit: validation, normalisation, routing, tracking code and token, idempotency."""

from __future__ import annotations

import datetime as dt
import re
import threading
import unicodedata
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from petitions.models import Category, Channel, Petition
from petitions.services import SubmissionResult
from routing.deadlines import add_working_days
from routing.models import (
    ActorKind,
    Case,
    CaseEvent,
    CaseState,
    EventKind,
    Level,
    Role,
    Unit,
)
from tests.conftest import build_tree, file_petition, make_staff, requires_postgres

TRACKING_CODE_RE = re.compile(r"^PA-\d{2}-[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{6}$")


def _counts() -> tuple[int, int, int]:
    return Petition.objects.count(), Case.objects.count(), CaseEvent.objects.count()


@contextmanager
def _writes_nothing() -> Iterator[None]:
    before = _counts()
    yield
    assert _counts() == before


def _nfd(value: str) -> str:
    decomposed = unicodedata.normalize("NFD", value)
    assert decomposed != value, "the sample must contain precomposed characters"
    return decomposed


def _errors_of(submit: Callable[..., SubmissionResult], **overrides: Any) -> dict[str, list[str]]:
    """Submit, expect a ValidationError that wrote nothing, return its messages per field."""
    with _writes_nothing(), pytest.raises(ValidationError) as excinfo:
        submit(**overrides)
    return excinfo.value.message_dict


# --- a valid submission ------------------------------------------------------------


def test_valid_submission_creates_one_petition_one_case_and_one_public_event(submit, tree, category):
    now = timezone.now()
    before = _counts()

    result = submit(now=now)

    assert _counts() == (before[0] + 1, before[1] + 1, before[2] + 1)
    assert result.created is True
    petition = Petition.objects.get(pk=result.petition.pk)
    assert petition.category == category
    assert petition.commune == tree.hoan_kiem
    assert petition.province == tree.hanoi
    assert petition.submitter_name == "Nguyễn Văn An"
    assert petition.channel == Channel.WEB
    assert petition.entered_by is None

    case = Case.objects.get(petition=petition)
    assert case.state == CaseState.SUBMITTED
    assert case.unit == tree.hoan_kiem
    assert case.version == 1
    assert case.assignee is None
    assert case.triage_due_at == add_working_days(now, 3)
    assert case.due_at == case.triage_due_at
    assert case.triage_due_at > now

    event = CaseEvent.objects.get(case=case)
    assert event.kind == EventKind.SUBMITTED
    assert event.is_public is True
    assert event.to_state == CaseState.SUBMITTED
    assert event.to_unit == tree.hoan_kiem
    assert event.case_version == 1
    assert event.actor is None


def test_anonymous_submission_is_accepted_where_the_category_allows_it(submit, category):
    assert category.allows_anonymous
    petition = submit(is_anonymous=True, submitter_name="Ignored Name").petition
    petition.refresh_from_db()
    assert petition.is_anonymous is True
    assert petition.submitter_name == ""


def test_optional_fields_are_stored(submit):
    petition = submit(
        email="  An.Nguyen@Example.VN ",
        address="12 Hàng Bông",
        latitude="21.028511",
        longitude=105.8542,
        consent_publish=True,
        language="en",
    ).petition
    petition.refresh_from_db()
    assert petition.email == "an.nguyen@example.vn"
    assert petition.address == "12 Hàng Bông"
    assert str(petition.latitude) == "21.028511"
    assert str(petition.longitude) == "105.854200"
    assert petition.consent_publish is True
    assert petition.language == "en"


def test_officer_can_enter_a_petition_received_by_phone(submit, tree):
    officer = make_staff(tree.hoan_kiem, Role.OFFICER)
    petition = submit(channel=Channel.OFFICER, entered_by=officer).petition
    petition.refresh_from_db()
    assert petition.channel == Channel.OFFICER
    assert petition.entered_by == officer
    event = CaseEvent.objects.get(case__petition=petition)
    assert event.actor == officer
    assert event.actor_kind == ActorKind.STAFF


def test_a_citizens_web_submission_is_recorded_as_the_citizens_act(submit):
    petition = submit().petition
    event = CaseEvent.objects.get(case__petition=petition)
    assert event.actor is None
    assert event.actor_kind == ActorKind.CITIZEN


# --- normalisation -------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    ["0912 345 678", "+84 912 345 678", "84912345678", "0912345678", "(+84) 91-234-5678", "0912.345.678"],
)
def test_phone_is_stored_in_e164(submit, raw):
    petition = submit(phone=raw).petition
    petition.refresh_from_db()
    assert petition.phone == "+84912345678"


def test_landline_is_stored_in_e164(submit):
    petition = submit(phone="024 3825 3536").petition
    petition.refresh_from_db()
    assert petition.phone == "+842438253536"


def test_title_text_name_and_address_are_stored_nfc(submit):
    title = "Đường ngập lụt sau mưa lớn"
    text = "Nước ngập sâu trên đường Phố Huế, xe máy chết máy hàng loạt."
    name = "Nguyễn Thị Hồng"
    address = "Số 5 phố Huế"

    petition = submit(
        title=_nfd(title),
        text=_nfd(text),
        submitter_name=_nfd(name),
        address=_nfd(address),
    ).petition
    petition = Petition.objects.get(pk=petition.pk)

    assert petition.title == title
    assert petition.text == text
    assert petition.submitter_name == name
    assert petition.address == address
    for value in (petition.title, petition.text, petition.submitter_name, petition.address):
        assert unicodedata.is_normalized("NFC", value)


def test_surrounding_whitespace_is_trimmed(submit):
    petition = submit(title="  Rác thải ùn ứ  ", submitter_name="\tNguyễn Văn An\n").petition
    petition.refresh_from_db()
    assert petition.title == "Rác thải ùn ứ"
    assert petition.submitter_name == "Nguyễn Văn An"


def test_length_limits_count_nfc_characters(submit):
    # 200 precomposed letters are 400 code points in NFD; the limit applies after NFC.
    title = "ệ" * 200
    petition = submit(title=_nfd(title)).petition
    petition.refresh_from_db()
    assert petition.title == title


# --- tracking code and token -----------------------------------------------------------


def test_tracking_code_has_the_documented_shape(submit):
    now = timezone.now()
    petition = submit(now=now).petition
    assert TRACKING_CODE_RE.match(petition.tracking_code), petition.tracking_code
    assert petition.tracking_code[3:5] == f"{timezone.localtime(now):%y}"


def test_tracking_codes_are_unique_across_submissions(submit):
    codes = {submit().petition.tracking_code for _ in range(20)}
    assert len(codes) == 20
    assert all(TRACKING_CODE_RE.match(code) for code in codes)


def test_token_matches_its_hash_and_is_never_stored(submit):
    result = submit()
    token = result.token
    assert token
    assert len(token) >= 32

    petition = Petition.objects.get(pk=result.petition.pk)
    assert petition.check_token(token) is True
    assert petition.check_token(token + "x") is False
    assert petition.check_token("") is False
    assert petition.token_hash != token

    stored_petition = [str(getattr(petition, f.attname)) for f in Petition._meta.concrete_fields]
    assert not any(token in value for value in stored_petition)
    case = Case.objects.get(petition=petition)
    stored_case = [str(getattr(case, f.attname)) for f in Case._meta.concrete_fields]
    assert not any(token in value for value in stored_case)
    for event in CaseEvent.objects.filter(case=case):
        assert token not in event.note
        assert token not in str(event.data)


def test_each_submission_gets_its_own_token(submit):
    first, second = submit(), submit()
    assert first.token != second.token
    assert first.petition.token_hash != second.petition.token_hash
    assert not first.petition.check_token(second.token)


# --- routing ---------------------------------------------------------------------------------


def test_default_routing_is_the_commune(submit, tree):
    case = submit().petition.case
    assert case.unit == tree.hoan_kiem
    assert case.unit.level == Level.COMMUNE


def test_category_with_province_default_level_routes_to_the_province(submit, tree):
    misconduct = Category.objects.get(code="misconduct")
    assert misconduct.default_level == Level.PROVINCE
    case = submit(category=misconduct, commune=tree.ben_thanh).petition.case
    assert case.unit == tree.hcm
    event = CaseEvent.objects.get(case=case)
    assert event.to_unit == tree.hcm


def test_category_routing_uses_the_province_of_the_commune(submit, tree):
    case = submit(category="misconduct", commune=tree.cua_nam).petition.case
    assert case.unit == tree.hanoi


def test_explicit_target_level_central_routes_to_central(submit, tree):
    case = submit(target_level=Level.CENTRAL).petition.case
    assert case.unit == tree.central


def test_explicit_target_level_province_routes_to_the_province(submit, tree):
    case = submit(target_level=Level.PROVINCE, commune=tree.ben_thanh).petition.case
    assert case.unit == tree.hcm


def test_explicit_target_level_wins_over_the_category_default(submit, tree):
    case = submit(category="misconduct", target_level=Level.COMMUNE).petition.case
    assert case.unit == tree.hoan_kiem


def test_triage_deadline_uses_the_policy_of_the_routed_level(submit, tree):
    now = timezone.now()
    case = submit(target_level=Level.CENTRAL, now=now).petition.case
    assert case.triage_due_at == add_working_days(now, 3)


def test_category_and_commune_may_be_given_by_code(submit, tree):
    petition = submit(category="transport", commune="W00073", province="P01").petition
    assert petition.category.code == "transport"
    assert petition.commune == tree.cua_nam
    assert petition.case.unit == tree.cua_nam


def test_category_and_commune_may_be_given_by_primary_key(submit, tree, category):
    petition = submit(category=category.pk, commune=tree.cua_nam.pk, province=tree.hanoi.pk).petition
    assert petition.category == category
    assert petition.commune == tree.cua_nam


# --- invalid input --------------------------------------------------------------------------


@pytest.mark.parametrize("phone", ["12345", "0912", "not a phone", "+84 12", "0000 000 000"])
def test_invalid_phone_is_refused(submit, phone):
    errors = _errors_of(submit, phone=phone)
    assert list(errors) == ["phone"]


def test_empty_phone_is_refused(submit):
    errors = _errors_of(submit, phone="")
    assert list(errors) == ["phone"]


def test_whitespace_phone_is_refused(submit):
    errors = _errors_of(submit, phone="   ")
    assert list(errors) == ["phone"]


def test_empty_text_is_refused(submit):
    errors = _errors_of(submit, text="   ")
    assert list(errors) == ["text"]


def test_too_short_text_is_refused(submit):
    errors = _errors_of(submit, text="Rác quá")
    assert list(errors) == ["text"]


def test_empty_title_is_refused(submit):
    errors = _errors_of(submit, title="")
    assert list(errors) == ["title"]


def test_unknown_commune_code_is_refused(submit):
    errors = _errors_of(submit, commune="W99999")
    assert list(errors) == ["commune"]


def test_missing_commune_is_refused(submit):
    errors = _errors_of(submit, commune=None)
    assert list(errors) == ["commune"]


def test_province_unit_is_not_a_commune(submit, tree):
    errors = _errors_of(submit, commune=tree.hanoi)
    assert list(errors) == ["commune"]


def test_inactive_commune_is_refused(submit, tree):
    Unit.objects.filter(pk=tree.hoan_kiem.pk).update(is_active=False)
    errors = _errors_of(submit, commune="W00070")
    assert list(errors) == ["commune"]


@pytest.mark.parametrize("province", ["hcm_unit", "hcm_code", "hcm_pk"])
def test_commune_from_another_province_is_refused(submit, tree, province):
    value = {"hcm_unit": tree.hcm, "hcm_code": "P79", "hcm_pk": tree.hcm.pk}[province]
    errors = _errors_of(submit, commune=tree.hoan_kiem, province=value)
    assert list(errors) == ["commune"]


def test_commune_in_the_chosen_province_is_accepted(submit, tree):
    petition = submit(commune=tree.hoan_kiem, province=tree.hanoi).petition
    assert petition.province == tree.hanoi


def test_inactive_category_is_refused(submit, category):
    Category.objects.filter(pk=category.pk).update(is_active=False)
    category.refresh_from_db()
    errors = _errors_of(submit, category=category)
    assert list(errors) == ["category"]
    errors = _errors_of(submit, category=category.code)
    assert list(errors) == ["category"]


def test_unknown_category_is_refused(submit):
    errors = _errors_of(submit, category="no-such-category")
    assert list(errors) == ["category"]


def test_oversized_title_is_refused(submit):
    errors = _errors_of(submit, title="T" * 201)
    assert list(errors) == ["title"]


def test_title_of_exactly_the_limit_is_accepted(submit):
    petition = submit(title="T" * 200).petition
    assert len(petition.title) == 200


def test_oversized_text_is_refused(submit):
    errors = _errors_of(submit, text="x" * 10_001)
    assert list(errors) == ["text"]


def test_text_of_exactly_the_limit_is_accepted(submit):
    petition = submit(text="x" * 10_000).petition
    petition.refresh_from_db()
    assert len(petition.text) == 10_000


def test_oversized_name_is_refused(submit):
    errors = _errors_of(submit, submitter_name="N" * 121)
    assert list(errors) == ["submitter_name"]


def test_oversized_address_is_refused(submit):
    errors = _errors_of(submit, address="A" * 256)
    assert list(errors) == ["address"]


@pytest.mark.parametrize("email", ["not-an-email", "an@", "an nguyen@example.vn"])
def test_invalid_email_is_refused(submit, email):
    errors = _errors_of(submit, email=email)
    assert list(errors) == ["email"]


def test_latitude_without_longitude_is_refused(submit):
    errors = _errors_of(submit, latitude="21.0285")
    assert list(errors) == ["latitude"]


def test_longitude_without_latitude_is_refused(submit):
    errors = _errors_of(submit, longitude="105.8542")
    assert "latitude" in errors or "longitude" in errors


def test_latitude_outside_viet_nam_is_refused(submit):
    errors = _errors_of(submit, latitude="48.8566", longitude="105.8542")
    assert list(errors) == ["latitude"]


def test_longitude_outside_viet_nam_is_refused(submit):
    errors = _errors_of(submit, latitude="21.0285", longitude="2.3522")
    assert list(errors) == ["longitude"]


def test_non_numeric_coordinate_is_refused(submit):
    errors = _errors_of(submit, latitude="north", longitude="105.8542")
    assert list(errors) == ["latitude"]


def test_anonymous_submission_in_a_category_that_needs_a_name_is_refused(submit):
    land = Category.objects.get(code="land-housing")
    assert land.allows_anonymous is False
    errors = _errors_of(submit, category=land, is_anonymous=True)
    assert list(errors) == ["is_anonymous"]


def test_missing_name_when_not_anonymous_is_refused(submit):
    errors = _errors_of(submit, submitter_name="  ")
    assert list(errors) == ["submitter_name"]


def test_officer_channel_without_a_staff_user_is_refused(submit):
    errors = _errors_of(submit, channel=Channel.OFFICER)
    assert list(errors) == ["channel"]


def test_officer_channel_with_a_user_who_is_not_staff_is_refused(submit, django_user_model):
    citizen = django_user_model.objects.create_user(username="citizen", password="x-Strong-pass-42")
    errors = _errors_of(submit, channel=Channel.OFFICER, entered_by=citizen)
    assert list(errors) == ["channel"]


def test_unknown_channel_is_refused(submit):
    errors = _errors_of(submit, channel="fax")
    assert list(errors) == ["channel"]


def test_unknown_target_level_is_refused(submit):
    errors = _errors_of(submit, target_level="district")
    assert list(errors) == ["target_level"]


def test_several_errors_are_reported_together(submit):
    errors = _errors_of(submit, phone="123", title="", text="", submitter_name="")
    assert set(errors) == {"phone", "title", "text", "submitter_name"}


# --- messages in Vietnamese and English -------------------------------------------------

INVALID_CASES: list[tuple[str, dict[str, Any], str, str]] = [
    ("invalid phone", {"phone": "12345"}, "phone", "Enter a valid phone number, for example 0912 345 678."),
    ("empty phone", {"phone": ""}, "phone", "Enter a valid phone number, for example 0912 345 678."),
    ("empty text", {"text": ""}, "text", "Describe the matter."),
    ("short text", {"text": "ngắn"}, "text", "Describe the matter in at least 10 characters."),
    ("empty title", {"title": ""}, "title", "Give your petition a short title."),
    (
        "unknown commune",
        {"commune": "W99999"},
        "commune",
        "Choose a commune, ward or special zone from the list.",
    ),
    (
        "commune in another province",
        {"province": "P79"},
        "commune",
        "This commune or ward is not in the chosen province.",
    ),
    ("unknown category", {"category": "nope"}, "category", "Choose a category."),
    ("long title", {"title": "T" * 201}, "title", "At most 200 characters (you wrote 201)."),
    ("long text", {"text": "x" * 10_001}, "text", "At most 10000 characters (you wrote 10001)."),
    (
        "long name",
        {"submitter_name": "N" * 121},
        "submitter_name",
        "At most 120 characters (you wrote 121).",
    ),
    ("invalid email", {"email": "not-an-email"}, "email", "Enter a valid email address."),
    (
        "latitude only",
        {"latitude": "21.0285"},
        "latitude",
        "Give both latitude and longitude, or neither.",
    ),
    (
        "latitude abroad",
        {"latitude": "48.8566", "longitude": "105.8"},
        "latitude",
        "The map point must be in Viet Nam.",
    ),
    (
        "anonymous not allowed",
        {"category": "land-housing", "is_anonymous": True},
        "is_anonymous",
        "This category needs your name.",
    ),
    ("missing name", {"submitter_name": ""}, "submitter_name", "Enter your name."),
    (
        "officer channel without staff",
        {"channel": "officer"},
        "channel",
        "Only staff can enter petitions received by phone or in person.",
    ),
]


@pytest.mark.parametrize(
    ("overrides", "field", "english"),
    [case[1:] for case in INVALID_CASES],
    ids=[case[0] for case in INVALID_CASES],
)
def test_error_messages_in_english(submit, overrides, field, english):
    with translation.override("en"):
        errors = _errors_of(submit, **overrides)
        assert list(errors) == [field]
        assert errors[field] == [english]


@pytest.mark.parametrize(
    ("overrides", "field", "english"),
    [case[1:] for case in INVALID_CASES],
    ids=[case[0] for case in INVALID_CASES],
)
def test_error_messages_in_vietnamese_by_default(submit, overrides, field, english):
    # The Vietnamese catalog is not written yet: only check there is a message on the field.
    assert translation.get_language() == "vi"
    errors = _errors_of(submit, **overrides)
    assert list(errors) == [field]
    assert len(errors[field]) == 1
    assert errors[field][0].strip()


# --- idempotency -----------------------------------------------------------------------------


def test_retry_with_the_same_key_and_payload_returns_the_first_petition(submit):
    first = submit(idempotency_key="client-req-0001")
    assert first.created is True
    assert first.token

    with _writes_nothing():
        again = submit(idempotency_key="client-req-0001")

    assert again.created is False
    assert again.token is None
    assert again.petition.pk == first.petition.pk
    assert again.petition.tracking_code == first.petition.tracking_code
    assert Petition.objects.filter(idempotency_key="client-req-0001").count() == 1
    assert CaseEvent.objects.filter(case__petition=first.petition).count() == 1


def test_retry_with_an_equivalent_phone_format_is_the_same_payload(submit):
    first = submit(idempotency_key="client-req-0002", phone="0912 345 678")
    with _writes_nothing():
        again = submit(idempotency_key="client-req-0002", phone="+84912345678")
    assert again.created is False
    assert again.petition.pk == first.petition.pk


def test_same_key_with_a_different_payload_is_refused(submit):
    submit(idempotency_key="client-req-0003")
    errors = _errors_of(submit, idempotency_key="client-req-0003", title="Một tiêu đề khác hẳn")
    assert list(errors) == ["idempotency_key"]
    with translation.override("en"):
        errors = _errors_of(submit, idempotency_key="client-req-0003", text="Nội dung khác hẳn lần trước.")
        assert errors["idempotency_key"] == [
            "This idempotency key was already used for a different petition."
        ]


def test_different_keys_create_different_petitions(submit):
    first = submit(idempotency_key="client-req-a")
    second = submit(idempotency_key="client-req-b")
    assert second.created is True
    assert first.petition.pk != second.petition.pk


def test_submissions_without_a_key_are_not_deduplicated(submit):
    first, second = submit(), submit()
    assert first.created and second.created
    assert first.petition.pk != second.petition.pk
    assert first.petition.idempotency_key is None


def test_oversized_idempotency_key_is_refused(submit):
    errors = _errors_of(submit, idempotency_key="k" * 81)
    assert list(errors) == ["idempotency_key"]


def test_a_retry_whose_caller_found_its_key_unused_reads_it_only_on_a_conflict(submit):
    first = submit(idempotency_key="client-req-c")
    # The API looked the key up before its rate limits: petition_submit does not read it again.
    with CaptureQueriesContext(connection) as queries:
        submit(idempotency_key="client-req-d", key_unused=True)
    assert not any("idempotency_key" in q["sql"] and q["sql"].startswith("SELECT") for q in queries)
    # A retry that raced the first (it looked before the first committed) still gets the first.
    again = submit(idempotency_key="client-req-c", key_unused=True)
    assert again.created is False and again.petition.pk == first.petition.pk


def test_a_tracking_code_given_already_is_replaced_by_a_new_one(submit, monkeypatch):
    taken = submit().petition.tracking_code
    codes = iter([taken, taken, "PA-26-NEWCDE"])
    monkeypatch.setattr("petitions.services.new_tracking_code", lambda now: next(codes))
    before = _counts()
    result = submit(phone="0987 654 321")
    assert result.created and result.petition.tracking_code == "PA-26-NEWCDE"
    # The attempts that met the taken code left nothing behind.
    assert _counts() == (before[0] + 1, before[1] + 1, before[2] + 1)
    assert Petition.objects.get(tracking_code="PA-26-NEWCDE").case.events.count() == 1


def test_another_integrity_error_is_not_taken_for_a_code_collision(submit, monkeypatch):
    from django.db import IntegrityError

    def broken(**kwargs: Any) -> None:
        raise IntegrityError("something else")

    monkeypatch.setattr("petitions.services.case_open", broken)
    with _writes_nothing(), pytest.raises(IntegrityError):
        submit()


@requires_postgres()
@pytest.mark.django_db(transaction=True)
def test_concurrent_submissions_with_the_same_key_create_one_petition():
    hoan_kiem = build_tree().hoan_kiem
    category = Category.objects.create(
        code="race-test", name="Kiểm thử", name_en="Race test", allows_anonymous=True
    )
    now = timezone.now()
    payload: dict[str, Any] = {
        "category": category.pk,
        "commune": hoan_kiem.code,
        "phone": "0912 345 678",
        "submitter_name": "Nguyễn Văn An",
        "title": "Rác thải ùn ứ",
        "text": "Rác thải sinh hoạt không được thu gom ba ngày nay.",
        "idempotency_key": "race-key-1",
        "now": now,
    }
    threads_count = 4
    barrier = threading.Barrier(threads_count)
    results: list[SubmissionResult] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def worker() -> None:
        try:
            barrier.wait(timeout=10)
            result = file_petition(**payload)
            with lock:
                results.append(result)
        except BaseException as exc:
            with lock:
                errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert errors == []
    assert len(results) == threads_count
    assert sorted(r.created for r in results) == [False] * (threads_count - 1) + [True]
    assert len({r.petition.pk for r in results}) == 1
    assert [bool(r.token) for r in results].count(True) == 1
    assert Petition.objects.count() == 1
    assert Case.objects.count() == 1
    assert CaseEvent.objects.count() == 1
    winner = next(r for r in results if r.created)
    assert winner.token is not None
    assert Petition.objects.get().check_token(winner.token)


def test_submitted_at_is_the_given_moment(submit):
    moment = timezone.make_aware(dt.datetime(2026, 3, 2, 9, 30))
    petition = submit(now=moment).petition
    petition.refresh_from_db()
    assert petition.submitted_at == moment
    assert petition.case.submitted_at == moment
    assert petition.tracking_code.startswith("PA-26-")
