"""Co-signing a published petition (petitions.cosign): who may, once per phone, merges, responses, retention."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from notifications.models import Notification
from notifications.transports.sms import LocmemSmsBackend
from petitions.cosign import cosign_code_send, petition_cosign
from petitions.models import CoSigner, CoSignVia, Petition, PhoneChallenge, PhonePurpose
from petitions.phones import phone_challenge_send, phone_challenge_verify
from petitions.retention import petitions_anonymise
from routing import services
from routing.actors import CitizenActor
from routing.models import Case, CaseState
from tests.conftest import advance, requires_postgres


def accepted(result: Any) -> Petition:
    """The petition of ``result`` once its unit accepted it: published, when its citizen consented."""
    from routing.models import Membership, Role
    from tests.conftest import make_staff

    case = result.petition.case
    officer = Membership.objects.filter(unit=case.unit, role=Role.OFFICER, user__is_active=True).first()
    services.case_accept(case_id=case.pk, actor=officer.user if officer else make_staff(case.unit))
    return Petition.objects.select_related("case").get(pk=result.petition.pk)


CLIENT = "198.51.100.7"
FILER = "+84912345678"  # the ``submit`` fixture's phone


@pytest.fixture
def published(submit: Any) -> Petition:
    return accepted(submit(consent_publish=True))


def prove(capture: Any, petition: Petition, phone: str) -> PhoneChallenge:
    """The phone proved for co-signing ``petition``: a code sent, read from the SMS, and typed back."""
    LocmemSmsBackend.outbox.clear()
    with capture(execute=True):
        challenge = cosign_code_send(petition=petition, phone=phone, client=CLIENT)
    [sms] = [m for m in LocmemSmsBackend.outbox if m.to == challenge.phone and "ma xac nhan" in m.body]
    [code] = re.findall(r"\b\d{6}\b", sms.body)
    return phone_challenge_verify(
        challenge_id=challenge.pk, purpose=PhonePurpose.COSIGN, code=code, client=CLIENT
    )


def cosign(
    capture: Any, petition: Petition, phone: str, *, notify: bool = False, language: str = "vi"
) -> CoSigner:
    challenge = prove(capture, petition, phone)
    return petition_cosign(
        petition_id=petition.pk, challenge_id=challenge.pk, notify=notify, language=language
    )


def test_a_proven_phone_cosigns_a_published_open_petition_once(
    published: Petition, django_capture_on_commit_callbacks: Any
) -> None:
    row = cosign(django_capture_on_commit_callbacks, published, "0987 654 321", notify=True)
    assert (row.phone, row.notify, row.via) == ("+84987654321", True, CoSignVia.COSIGNED)
    [sms] = [m for m in LocmemSmsBackend.outbox if m.to == "+84987654321"]
    assert published.tracking_code in sms.body and "cung kien nghi" in sms.body
    with pytest.raises(ValidationError, match="đã cùng kiến nghị phản ánh này rồi"):
        cosign(django_capture_on_commit_callbacks, published, "+84 987 654 321")
    published.refresh_from_db()
    assert published.cosigner_count == 1 == published.cosigners.count()


def test_the_citizen_who_filed_it_is_told_they_cannot_cosign_their_own(
    published: Petition, django_capture_on_commit_callbacks: Any
) -> None:
    # Said only once the code proved the number: the form tells nobody whether a number filed it.
    with pytest.raises(ValidationError, match="Bạn là người gửi phản ánh này"):
        cosign(django_capture_on_commit_callbacks, published, "0912.345.678")
    published.refresh_from_db()
    assert published.cosigner_count == 0 and not published.cosigners.exists()


def test_a_petition_not_published_cannot_be_cosigned_and_no_code_is_sent(
    submit: Any, django_capture_on_commit_callbacks: Any
) -> None:
    private = submit(consent_publish=False).petition
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(ValidationError, match="không được công khai"),
    ):
        cosign_code_send(petition=Petition.objects.get(pk=private.pk), phone="0987654321", client=CLIENT)
    assert LocmemSmsBackend.outbox == [] and not PhoneChallenge.objects.exists()


@pytest.mark.parametrize("state", ["closed", "rejected", "duplicate", "withdrawn"])
def test_a_case_that_ended_cannot_be_cosigned(
    state: str, submit: Any, cast: Any, django_capture_on_commit_callbacks: Any
) -> None:
    case = advance(submit(consent_publish=True).petition.case, state, cast)
    petition = Petition.objects.select_related("case").get(pk=case.petition_id)
    with pytest.raises(ValidationError):
        cosign_code_send(petition=petition, phone="0987654321", client=CLIENT)
    assert not PhoneChallenge.objects.filter(purpose=PhonePurpose.COSIGN).exists()


def test_a_case_that_ended_after_the_code_was_sent_refuses_the_cosignature(
    published: Petition, cast: Any, django_capture_on_commit_callbacks: Any
) -> None:
    challenge = prove(django_capture_on_commit_callbacks, published, "0987654321")
    services.case_withdraw(case_id=published.case.pk, actor=CitizenActor(petition_id=published.pk))
    with pytest.raises(ValidationError):
        petition_cosign(petition_id=published.pk, challenge_id=challenge.pk, notify=False)
    assert not CoSigner.objects.exists()


def test_only_a_fresh_verified_code_for_this_petition_records_a_cosignature(
    published: Petition, submit: Any, django_capture_on_commit_callbacks: Any
) -> None:
    other = accepted(submit(consent_publish=True, title="Đèn đường hỏng"))
    for_other = prove(django_capture_on_commit_callbacks, other, "0987654321")
    with pytest.raises(ValidationError, match="mã mới"):
        petition_cosign(petition_id=published.pk, challenge_id=for_other.pk, notify=False)
    unverified = phone_challenge_send(
        phone="0903123456", purpose=PhonePurpose.COSIGN, client=CLIENT, petition=published
    )
    with pytest.raises(ValidationError, match="mã mới"):
        petition_cosign(petition_id=published.pk, challenge_id=unverified.pk, notify=False)
    stale = prove(django_capture_on_commit_callbacks, published, "0977111222")
    with pytest.raises(ValidationError, match="mã mới"):
        petition_cosign(
            petition_id=published.pk,
            challenge_id=stale.pk,
            notify=False,
            now=timezone.now() + dt.timedelta(minutes=6),
        )
    used = prove(django_capture_on_commit_callbacks, published, "0966333444")
    petition_cosign(petition_id=published.pk, challenge_id=used.pk, notify=False)
    with pytest.raises(ValidationError, match="mã mới"):
        petition_cosign(petition_id=published.pk, challenge_id=used.pk, notify=False)
    assert list(CoSigner.objects.values_list("phone", flat=True)) == ["+84966333444"]


def test_cosigners_who_asked_hear_of_the_published_response_once(
    published: Petition, cast: Any, django_capture_on_commit_callbacks: Any
) -> None:
    cosign(django_capture_on_commit_callbacks, published, "0987654321", notify=True, language="en")
    cosign(django_capture_on_commit_callbacks, published, "0903123456", notify=False)
    LocmemSmsBackend.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        advance(published.case, "responded", cast)
    to_cosigners = [m for m in LocmemSmsBackend.outbox if m.to not in (FILER,)]
    assert [m.to for m in to_cosigners] == ["+84987654321"]
    assert f"/en/petitions/{published.tracking_code}/" in to_cosigners[0].body
    assert "the petition you co-signed has a response" in to_cosigners[0].body
    row = Notification.objects.get(template="cosign_response")
    assert row.petition_id == published.pk and row.event.kind == "approve"


def _carry_setup(submit: Any) -> tuple[Petition, Petition]:
    original = accepted(submit(consent_publish=True, phone="0911000001"))
    duplicate = submit(phone="0911000002", title="Rác ùn ứ Hàng Bông").petition
    CoSigner.objects.bulk_create(
        [
            CoSigner(petition=original, phone="+84911000005"),  # co-signs both already
            CoSigner(petition=duplicate, phone="+84911000005", notify=True),
            CoSigner(petition=duplicate, phone="+84911000003", notify=True, language="en"),
            CoSigner(petition=duplicate, phone="+84911000004"),
            CoSigner(petition=duplicate, phone="+84911000001"),  # the original's own citizen
        ]
    )
    Petition.objects.filter(pk=original.pk).update(cosigner_count=1)
    Petition.objects.filter(pk=duplicate.pk).update(cosigner_count=4)
    return original, duplicate


def test_merging_a_duplicate_carries_its_cosigners_and_its_citizen_to_the_original(
    submit: Any, cast: Any
) -> None:
    original, duplicate = _carry_setup(submit)
    services.case_mark_duplicate(case_id=duplicate.case.pk, actor=cast.officer, original_id=original.case.pk)
    carried = {
        row.phone: (row.notify, row.language, row.via) for row in CoSigner.objects.filter(petition=original)
    }
    assert carried == {
        "+84911000005": (False, "vi", CoSignVia.COSIGNED),  # was there already: unchanged
        "+84911000003": (True, "en", CoSignVia.MERGED),
        "+84911000004": (False, "vi", CoSignVia.MERGED),
        "+84911000002": (True, "vi", CoSignVia.MERGED),  # the duplicate's citizen, SMS updates on
    }
    original.refresh_from_db()
    assert original.cosigner_count == 4
    assert CoSigner.objects.filter(petition=duplicate).count() == 4  # the duplicate keeps its record


def test_an_unpublished_original_takes_only_the_duplicates_citizen_not_its_strangers(
    submit: Any, cast: Any
) -> None:
    original, duplicate = _carry_setup(submit)
    Petition.objects.filter(pk=original.pk).update(consent_publish=False)
    services.case_mark_duplicate(case_id=duplicate.case.pk, actor=cast.officer, original_id=original.case.pk)
    carried = set(CoSigner.objects.filter(petition=original).values_list("phone", flat=True))
    assert carried == {"+84911000005", "+84911000002"}  # the one already there, and the duplicate's citizen
    original.refresh_from_db()
    assert original.cosigner_count == 2


def test_a_duplicates_citizen_who_stopped_sms_is_carried_without_notification(submit: Any, cast: Any) -> None:
    original = accepted(submit(consent_publish=True, phone="0911000001"))
    duplicate = submit(phone="0911000002").petition
    Petition.objects.filter(pk=duplicate.pk).update(sms_opt_out=True)
    services.case_mark_duplicate(case_id=duplicate.case.pk, actor=cast.officer, original_id=original.case.pk)
    [row] = CoSigner.objects.filter(petition=original)
    assert (row.phone, row.notify) == ("+84911000002", False)


def test_a_duplicate_filed_by_the_originals_citizen_adds_no_cosigner(submit: Any, cast: Any) -> None:
    original = accepted(submit(consent_publish=True))
    duplicate = submit(title="Lần nữa: rác ùn ứ").petition  # the same phone
    services.case_mark_duplicate(case_id=duplicate.case.pk, actor=cast.officer, original_id=original.case.pk)
    original.refresh_from_db()
    assert original.cosigner_count == 0 and not CoSigner.objects.exists()


def test_retention_erases_cosigners_phones_and_keeps_their_number(
    published: Petition, cast: Any, django_capture_on_commit_callbacks: Any
) -> None:
    cosign(django_capture_on_commit_callbacks, published, "0987654321", notify=True)
    with django_capture_on_commit_callbacks(execute=True):
        advance(published.case, "closed", cast)
    assert Notification.objects.filter(template="cosign_response", recipient="+84987654321").exists()
    Case.objects.filter(pk=published.case.pk).update(
        closed_at=timezone.now() - dt.timedelta(days=5 * 365 + 1)
    )
    assert petitions_anonymise().petitions == 1
    published.refresh_from_db()
    assert published.cosigner_count == 1 and published.phone == ""
    assert not CoSigner.objects.exists() and not PhoneChallenge.objects.exists()
    assert not Notification.objects.filter(recipient__contains="987654321").exists()
    assert published.case.state == CaseState.CLOSED


@requires_postgres()
@pytest.mark.django_db(transaction=True)
def test_a_merge_waits_for_a_cosignature_in_flight_and_carries_it(
    seeded: None, submit: Any, cast: Any
) -> None:
    import threading
    import time

    from django.db import connection, transaction

    original = accepted(submit(consent_publish=True, phone="0911000001"))
    duplicate = submit(consent_publish=True, phone="0911000002", title="Rác ùn ứ Hàng Bông").petition
    errors: list[BaseException] = []

    def merge() -> None:
        try:
            services.case_mark_duplicate(
                case_id=duplicate.case.pk, actor=cast.officer, original_id=original.case.pk
            )
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    with transaction.atomic():
        # A co-signature of the duplicate holds its row, as petition_cosign does, while the merge starts.
        Petition.objects.select_for_update().get(pk=duplicate.pk)
        CoSigner.objects.create(petition=duplicate, phone="+84911000007", notify=True)
        merger = threading.Thread(target=merge)
        merger.start()
        time.sleep(0.5)
        assert merger.is_alive(), "the merge must wait for the co-signature's transaction"
    merger.join(timeout=10)
    assert not errors and not merger.is_alive()
    assert CoSigner.objects.filter(petition=original, phone="+84911000007").exists()
