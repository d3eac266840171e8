"""Data retention: petitions whose case ended long ago lose the citizen's personal data, and nothing else."""

from __future__ import annotations

import datetime as dt
import io
import threading
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from notifications.models import Notification
from petitions.models import Attachment, Petition
from petitions.retention import petitions_anonymise
from routing import services
from routing.models import Case, CaseEvent, CaseState
from tests.conftest import Cast, advance, citizen_of, requires_postgres, shape
from tests.petitions.test_attachments import SESSION, private_root, stage, stored_files

__all__ = ["private_root"]  # the fixture, used by name

NOW = timezone.now()
LONG_AGO = NOW - dt.timedelta(days=6 * 365)


@pytest.fixture
def old_case(submit: Any, cast: Cast, private_root: Path, settings: Any) -> Case:
    """Answered, rated with a comment by its citizen, closed six years ago; with a photo and messages."""
    settings.RETENTION_DAYS = 5 * 365
    [photo] = stage(1)
    result = submit(
        text="Cống tràn nước ra đường. Gọi tôi: 0912 345 678 hoặc hoa.nguyen@example.com.",
        email="hoa@example.com",
        address="12 Hàng Bông",
        latitude="21.030000",
        longitude="105.850000",
        attachment_tokens=[photo.upload_token],
        session_key=SESSION,
    )
    case = advance(result.petition.case, CaseState.RESPONDED, cast)
    services.case_add_note(
        case_id=case.pk, actor=cast.officer, text="Đã kiểm tra hiện trường.", is_public=False
    )
    services.case_citizen_feedback(
        case_id=case.pk, actor=citizen_of(case), resolved=True, rating=2, comment="Tôi là Hoa, gọi 0912345678"
    )
    shape(case, closed_at=LONG_AGO)
    return Case.objects.get(pk=case.pk)


def test_an_old_closed_petition_keeps_its_substance_and_loses_the_citizen(
    old_case: Case, private_root: Path, django_capture_on_commit_callbacks: Any
):
    petition = Petition.objects.get(pk=old_case.petition_id)
    assert stored_files(private_root)  # the photo and its thumbnail
    assert Notification.objects.filter(petition=petition).exists()

    with django_capture_on_commit_callbacks(execute=True):  # files go once the rows are gone for good
        report = petitions_anonymise(now=NOW)

    assert (report.petitions, report.photos) == (1, 1)
    after = Petition.objects.get(pk=petition.pk)
    assert (after.submitter_name, after.phone, after.email, after.address) == ("", "", "", "")
    assert after.latitude is None and after.longitude is None and after.is_anonymous
    assert after.anonymised_at == NOW
    assert (after.title, after.category_id, after.commune_id) == (
        petition.title,
        petition.category_id,
        petition.commune_id,
    )
    assert after.text == "Cống tràn nước ra đường. Gọi tôi: [phone] hoặc [email]."
    assert " 0912 " not in after.search_text and " nguyen " not in after.search_text
    assert not Attachment.objects.filter(petition=petition).exists()
    assert stored_files(private_root) == set()
    notes = dict(CaseEvent.objects.filter(case=old_case).exclude(note="").values_list("actor_kind", "note"))
    assert notes == {"staff": "Đã kiểm tra hiện trường."}  # the citizen's comment is gone, the staff's kept
    assert Case.objects.get(pk=old_case.pk).rating == 2
    assert set(Notification.objects.filter(petition=petition).values_list("recipient", "body")) == {("", "")}
    # Nothing still waiting is sent to nobody afterwards.
    assert not Notification.objects.filter(petition=petition, status__in=["pending", "sending"]).exists()


def test_recent_and_open_petitions_are_left_alone_and_a_second_run_finds_nothing(
    old_case: Case, submit: Any, cast: Cast
):
    recent = advance(submit(phone="0987 111 222").petition.case, CaseState.REJECTED, cast)
    shape(recent, closed_at=NOW - dt.timedelta(days=365))
    still_open = submit(phone="0987 333 444").petition.case
    shape(still_open, submitted_at=LONG_AGO)

    assert petitions_anonymise(now=NOW).petitions == 1
    assert petitions_anonymise(now=NOW).petitions == 0
    kept = Petition.objects.filter(pk__in=[recent.petition_id, still_open.petition_id])
    assert sorted(kept.values_list("phone", flat=True)) == ["+84987111222", "+84987333444"]


def test_the_command_counts_first_and_then_anonymises(old_case: Case):
    out = io.StringIO()
    call_command("anonymise_petitions", "--dry-run", stdout=out)
    assert out.getvalue().startswith("1 petitions ended before")
    assert Petition.objects.filter(anonymised_at__isnull=True).count() == 1
    out = io.StringIO()
    call_command("anonymise_petitions", stdout=out)
    assert "Anonymised 1 petitions" in out.getvalue() and "deleted 1 photos" in out.getvalue()
    assert not Petition.objects.filter(anonymised_at__isnull=True).exists()


@requires_postgres()
@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_share_the_work(seeded: None, submit: Any, cast: Cast, settings: Any):
    settings.RETENTION_DAYS = 30
    for n in range(6):
        case = advance(submit(phone=f"0987 000 00{n}").petition.case, CaseState.REJECTED, cast)
        shape(case, closed_at=LONG_AGO)
    counts: list[int] = []

    def run() -> None:
        try:
            counts.append(petitions_anonymise(now=NOW, batch_size=1).petitions)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sum(counts) == 6
    assert not Petition.objects.filter(anonymised_at__isnull=True).exists()


def test_the_citizens_documents_go_with_the_rest(
    old_case: Case, private_root: Path, django_capture_on_commit_callbacks: Any
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from petitions.attachments import document_stage
    from petitions.models import Document
    from tests.petitions.test_pdfs import pdf

    upload = SimpleUploadedFile("bien-ban.pdf", pdf(), content_type="application/pdf")
    document = document_stage(upload=upload, session_key=SESSION)
    Document.objects.filter(pk=document.pk).update(petition=old_case.petition)
    assert any(name.endswith(".pdf") for name in stored_files(private_root))
    with django_capture_on_commit_callbacks(execute=True):
        petitions_anonymise(now=NOW)
    assert not Document.objects.exists()
    assert stored_files(private_root) == set()


def test_the_links_a_partner_sent_with_the_citizens_words_go_too(old_case: Case):
    from routing.models import ActorKind, EventKind

    event = CaseEvent.objects.create(
        case=old_case,
        kind=EventKind.CITIZEN_INFO,
        actor_kind=ActorKind.CITIZEN,
        from_state=old_case.state,
        to_state=old_case.state,
        note="Ảnh nhà tôi ở link này.",
        is_public=True,
        data={
            "channel": "open311",
            "partner": 7,
            "media_urls": ["https://cdn.example/u/nguyen-van-a/house.jpg"],
            "written_at": "2020-11-23T08:15:00+07:00",
        },
        case_version=old_case.version,
        created_at=LONG_AGO,
    )
    petitions_anonymise(now=NOW)
    event = CaseEvent.objects.get(pk=event.pk)
    assert (event.note, event.data) == ("", {"channel": "open311", "partner": 7})
