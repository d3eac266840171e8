"""Staged photos: stage, list, claim on submission, discard, purge."""

from __future__ import annotations

import datetime as dt
import io
import threading
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.utils import timezone
from PIL import Image

from petitions.attachments import (
    attachment_discard,
    attachment_stage,
    attachments_purge_stale,
    attachments_staged,
    staging_key,
)
from petitions.images import ImageRejected
from petitions.models import Attachment, Petition, private_storage
from tests.conftest import requires_postgres

SESSION = "s" * 32
OTHER_SESSION = "o" * 32


def jpeg(size: tuple[int, int] = (64, 48), colour: str = "red") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "JPEG")
    return SimpleUploadedFile("IMG_0001.JPG", buffer.getvalue(), content_type="image/jpeg")


def transparent_png() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGBA", (20, 20), (0, 0, 0, 0)).save(buffer, "PNG")
    return SimpleUploadedFile("logo.png", buffer.getvalue(), content_type="image/png")


def _file_fields() -> list[Any]:
    return [Attachment._meta.get_field("image"), Attachment._meta.get_field("thumbnail")]


@pytest.fixture
def private_root(settings: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """PRIVATE_MEDIA_ROOT in a temporary directory.

    The model's fields build their storage once, at import
    (test_attachment_storage_follows_the_private_media_root_setting shows it),
    so the fields are pointed at a storage built now, under the override, as
    ``private_storage`` intends; nothing is written under var/.
    """
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    for field in _file_fields():
        monkeypatch.setattr(field, "storage", private_storage())
    return tmp_path / "private"


def stored_files(root: Path) -> set[str]:
    return (
        {str(path.relative_to(root)) for path in root.rglob("*") if path.is_file()}
        if root.exists()
        else set()
    )


def stage(n: int = 1, session_key: str = SESSION) -> list[Attachment]:
    return [attachment_stage(upload=jpeg(), session_key=session_key) for _ in range(n)]


# --- storage ------------------------------------------------------------------------


def test_attachment_storage_follows_the_private_media_root_setting(settings, tmp_path):
    # No patching here: the storage the model's fields actually use must honour the setting.
    settings.PRIVATE_MEDIA_ROOT = tmp_path

    for field in _file_fields():
        assert Path(field.storage.path("probe.jpg")).parent == tmp_path, field.name


# --- staging ------------------------------------------------------------------------


def test_staging_stores_the_re_encoded_photo_and_its_thumbnail_in_private_storage(private_root, settings, db):
    attachment = attachment_stage(upload=jpeg((800, 600)), session_key=SESSION)

    attachment = Attachment.objects.get(pk=attachment.pk)
    assert attachment.petition is None
    assert attachment.session_key == staging_key(SESSION) != SESSION  # never the session key itself
    assert attachment.upload_token
    assert (attachment.content_type, attachment.width, attachment.height) == ("image/jpeg", 800, 600)
    image_path = private_root / attachment.image.name
    thumbnail_path = private_root / attachment.thumbnail.name
    assert image_path.is_file() and thumbnail_path.is_file()
    assert stored_files(private_root) == {attachment.image.name, attachment.thumbnail.name}
    assert attachment.size == image_path.stat().st_size
    assert attachment.image.name.startswith("attachments/") and attachment.image.name.endswith(".jpg")
    assert "IMG_0001" not in attachment.image.name
    assert Image.open(image_path).format == "JPEG"
    assert max(Image.open(thumbnail_path).size) == 320
    assert not Path(settings.MEDIA_ROOT, attachment.image.name).exists()


def test_a_photo_with_transparency_is_stored_as_png(private_root, db):
    attachment = attachment_stage(upload=transparent_png(), session_key=SESSION)

    assert attachment.content_type == "image/png"
    assert attachment.image.name.endswith(".png")
    assert attachment.thumbnail.name.endswith(".jpg")


def test_a_refused_upload_stores_nothing(private_root, db):
    upload = SimpleUploadedFile("photo.jpg", b"GIF89a not really", content_type="image/jpeg")

    with pytest.raises(ImageRejected):
        attachment_stage(upload=upload, session_key=SESSION)

    assert Attachment.objects.count() == 0
    assert stored_files(private_root) == set()


def test_staging_needs_a_session_key(private_root, db):
    with pytest.raises(ValueError):
        attachment_stage(upload=jpeg(), session_key="")

    assert stored_files(private_root) == set()


def test_staged_lists_this_sessions_unclaimed_photos_in_the_tokens_order(private_root, db):
    first, _second, third = stage(3)
    (foreign,) = stage(1, session_key=OTHER_SESSION)
    tokens = [third.upload_token, "unknown", first.upload_token, foreign.upload_token, third.upload_token]

    staged = attachments_staged(tokens=tokens, session_key=SESSION)

    assert [a.pk for a in staged] == [third.pk, first.pk]
    assert attachments_staged(tokens=tokens, session_key="") == []
    assert attachments_staged(tokens=[], session_key=SESSION) == []


# --- claiming on submission ---------------------------------------------------------


def test_submission_attaches_the_staged_photos_in_the_tokens_order(private_root, submit):
    first, second, third = stage(3)
    tokens = [second.upload_token, third.upload_token, first.upload_token]

    petition = submit(attachment_tokens=tokens, session_key=SESSION).petition

    attached = list(petition.attachments.order_by("position"))
    assert [a.pk for a in attached] == [second.pk, third.pk, first.pk]
    assert [a.position for a in attached] == [0, 1, 2]
    assert attachments_staged(tokens=tokens, session_key=SESSION) == []


def _petition_count() -> int:
    return Petition.objects.count()


def test_a_photo_of_another_session_is_refused_and_nothing_is_written(private_root, submit):
    (mine,) = stage(1)
    (theirs,) = stage(1, session_key=OTHER_SESSION)
    before = _petition_count()

    with pytest.raises(ValidationError) as excinfo:
        submit(attachment_tokens=[mine.upload_token, theirs.upload_token], session_key=SESSION)

    assert "photos" in excinfo.value.message_dict
    assert _petition_count() == before
    assert Attachment.objects.filter(petition__isnull=False).count() == 0
    assert {a.pk for a in attachments_staged(tokens=[mine.upload_token], session_key=SESSION)} == {mine.pk}


def test_a_photo_already_attached_to_a_petition_cannot_be_claimed_again(private_root, submit):
    (attachment,) = stage(1)
    first = submit(attachment_tokens=[attachment.upload_token], session_key=SESSION).petition

    with pytest.raises(ValidationError) as excinfo:
        submit(attachment_tokens=[attachment.upload_token], session_key=SESSION)

    assert "photos" in excinfo.value.message_dict
    assert Attachment.objects.get(pk=attachment.pk).petition_id == first.pk


def test_more_than_five_photos_are_refused(private_root, submit):
    attachments = stage(6)
    before = _petition_count()

    with pytest.raises(ValidationError) as excinfo:
        submit(attachment_tokens=[a.upload_token for a in attachments], session_key=SESSION)

    assert "photos" in excinfo.value.message_dict
    assert _petition_count() == before
    assert Attachment.objects.filter(petition__isnull=True).count() == 6


# --- discarding ---------------------------------------------------------------------


def test_discarding_deletes_the_row_and_its_files_after_commit(
    private_root, db, django_capture_on_commit_callbacks
):
    kept, discarded = stage(2)

    with django_capture_on_commit_callbacks(execute=True):
        assert attachment_discard(token=discarded.upload_token, session_key=SESSION) is True

    assert list(Attachment.objects.values_list("pk", flat=True)) == [kept.pk]
    assert stored_files(private_root) == {kept.image.name, kept.thumbnail.name}


def test_files_are_kept_when_the_discard_is_rolled_back(private_root, db, django_capture_on_commit_callbacks):
    (attachment,) = stage(1)

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError), transaction.atomic():
        attachment_discard(token=attachment.upload_token, session_key=SESSION)
        raise RuntimeError("something else failed")

    assert Attachment.objects.filter(pk=attachment.pk).exists()
    assert stored_files(private_root) == {attachment.image.name, attachment.thumbnail.name}


def test_another_sessions_or_a_claimed_photo_is_not_discarded(
    private_root, submit, django_capture_on_commit_callbacks
):
    theirs, claimed = stage(1, session_key=OTHER_SESSION)[0], stage(1)[0]
    submit(attachment_tokens=[claimed.upload_token], session_key=SESSION)

    with django_capture_on_commit_callbacks(execute=True):
        assert attachment_discard(token=theirs.upload_token, session_key=SESSION) is False
        assert attachment_discard(token=claimed.upload_token, session_key=SESSION) is False
        assert attachment_discard(token="unknown", session_key=SESSION) is False

    assert Attachment.objects.count() == 2
    assert len(stored_files(private_root)) == 4


# --- purging ------------------------------------------------------------------------


def _age(attachment: Attachment, hours: float) -> None:
    Attachment.objects.filter(pk=attachment.pk).update(created_at=timezone.now() - dt.timedelta(hours=hours))


@pytest.mark.parametrize("batch_size", [500, 1])
def test_purging_removes_only_old_unclaimed_photos_and_their_files(
    private_root, submit, django_capture_on_commit_callbacks, batch_size
):
    old_a, old_b, recent, old_claimed = stage(4)
    submit(attachment_tokens=[old_claimed.upload_token], session_key=SESSION)
    for attachment in (old_a, old_b, old_claimed):
        _age(attachment, hours=30)
    _age(recent, hours=2)

    with django_capture_on_commit_callbacks(execute=True):
        purged = attachments_purge_stale(older_than=dt.timedelta(days=1), batch_size=batch_size)

    assert purged == 2
    assert set(Attachment.objects.values_list("pk", flat=True)) == {recent.pk, old_claimed.pk}
    assert stored_files(private_root) == {
        name for a in (recent, old_claimed) for name in (a.image.name, a.thumbnail.name)
    }


def test_purging_with_nothing_stale_purges_nothing(private_root, db):
    stage(1)

    assert attachments_purge_stale(older_than=dt.timedelta(hours=1)) == 0
    assert Attachment.objects.count() == 1


@requires_postgres()
@pytest.mark.django_db(transaction=True)
def test_purging_skips_a_photo_that_a_submission_is_claiming_without_waiting_for_it(private_root):
    being_claimed, abandoned = stage(2)
    _age(being_claimed, hours=30)
    _age(abandoned, hours=30)
    locked, release = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def claimer() -> None:
        try:
            with transaction.atomic():
                Attachment.objects.select_for_update().get(pk=being_claimed.pk)
                locked.set()
                release.wait(timeout=10)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=claimer)
    thread.start()
    try:
        assert locked.wait(timeout=10)
        purged = attachments_purge_stale(older_than=dt.timedelta(days=1))
    finally:
        release.set()
        thread.join(timeout=10)

    assert not errors
    assert purged == 1
    assert list(Attachment.objects.values_list("pk", flat=True)) == [being_claimed.pk]
    assert stored_files(private_root) == {being_claimed.image.name, being_claimed.thumbnail.name}


def test_purge_staged_photos_command_deletes_old_unsent_photos(db):
    from io import StringIO

    from django.core.management import call_command

    buffer = io.BytesIO()
    Image.new("RGB", (20, 20), (1, 2, 3)).save(buffer, "JPEG")
    old = attachment_stage(upload=SimpleUploadedFile("a.jpg", buffer.getvalue()), session_key="s-old")
    recent = attachment_stage(upload=SimpleUploadedFile("b.jpg", buffer.getvalue()), session_key="s-new")
    Attachment.objects.filter(pk=old.pk).update(created_at=timezone.now() - dt.timedelta(hours=30))

    out = StringIO()
    call_command("purge_staged_photos", "--hours", "24", stdout=out)

    assert "Deleted 1 staged photos." in out.getvalue()
    assert list(Attachment.objects.values_list("pk", flat=True)) == [recent.pk]


def test_purging_removes_old_unclaimed_documents_too_but_never_a_petitions(
    private_root, submit, django_capture_on_commit_callbacks
):
    from petitions.attachments import document_stage
    from petitions.models import Document
    from tests.petitions.test_pdfs import pdf

    def letter() -> Document:
        upload = SimpleUploadedFile("thu.pdf", pdf(), content_type="application/pdf")
        return document_stage(upload=upload, session_key=SESSION)

    abandoned, recent, filed = letter(), letter(), letter()
    submit(document_tokens=[filed.upload_token], session_key=SESSION)
    Document.objects.filter(pk__in=[abandoned.pk, filed.pk]).update(
        created_at=timezone.now() - dt.timedelta(hours=30)
    )

    with django_capture_on_commit_callbacks(execute=True):
        purged = attachments_purge_stale(older_than=dt.timedelta(days=1))

    assert purged == 1
    assert set(Document.objects.values_list("pk", flat=True)) == {recent.pk, filed.pk}
    assert stored_files(private_root) == {recent.file.name, filed.file.name}


def test_a_claimed_photo_keeps_nothing_of_the_uploaders_session(private_root, submit):
    [photo] = stage(1)
    petition = submit(attachment_tokens=[photo.upload_token], session_key=SESSION).petition
    claimed = Attachment.objects.get(petition=petition)
    assert claimed.session_key == ""
