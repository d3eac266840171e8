"""Staged photos: uploaded one by one while the citizen fills in the form, claimed when it is sent.

A staged attachment has no petition and belongs to the uploader's session.
``petition_submit`` claims staged attachments by token; what is never claimed
is removed by ``attachments_purge_stale``. Files are deleted only after the
row's deletion has committed, so a rolled-back transaction never leaves a row
pointing at a missing file (an orphan file, the other way round, is harmless).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Sequence
from functools import partial
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import Storage
from django.db import models, transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from petitions.images import Upload, process_image
from petitions.models import Attachment

logger = logging.getLogger(__name__)

PURGE_BATCH_SIZE = 500

#: Photos and PDF documents that may go with one petition, one piece of added information, one
#: answer or one response: the one limit every form, service and interface applies.
MAX_ATTACHMENTS = 5
MAX_DOCUMENTS = 3


def files_within_limit(tokens: Sequence[str], *, field: str) -> list[str]:
    """Distinct ``tokens`` of ``field`` ("photos" or "documents"); ``ValidationError`` when too many."""
    unique = list(dict.fromkeys(tokens))
    if len(unique) > (MAX_ATTACHMENTS if field == "photos" else MAX_DOCUMENTS):
        raise ValidationError({field: too_many_files(field)})
    return unique


def too_many_files(field: str) -> str:
    """The translated refusal for more ``field`` ("photos" or "documents") than may go together."""
    if field == "photos":
        return str(_("Attach at most %(count)s photos.") % {"count": MAX_ATTACHMENTS})
    return str(_("Attach at most %(count)s documents.") % {"count": MAX_DOCUMENTS})


def staging_key(session_key: str) -> str:
    """What a staged file stores of its uploader's session: a keyed hash, never the session key itself.

    A database dump must not hand out live sessions (an officer's has passed the second factor);
    the hash still ties the file to the browser that uploaded it. Empty for no session.
    """
    if not session_key:
        return ""
    return salted_hmac("petitions.staging", session_key, algorithm="sha256").hexdigest()


#: Longer than any token ``new_upload_token`` makes; anything longer is not ours.
_TOKEN_MAX_LENGTH = 40


def attachment_stage(*, upload: Upload | Any, session_key: str) -> Attachment:
    """Check and re-encode an uploaded photo, store it with its thumbnail, and stage it for ``session_key``.

    Raises ``ImageRejected`` (a ``ValidationError``) when the upload is not an
    acceptable photo; nothing is stored then. The returned attachment's
    ``upload_token`` is what the form sends back to ``petition_submit``.
    """
    if not session_key:
        raise ValueError("Staging a photo needs a session key: save the session first.")
    processed = process_image(upload)
    attachment = Attachment(
        petition=None,
        session_key=staging_key(session_key),
        content_type=processed.content_type,
        width=processed.width,
        height=processed.height,
        size=len(processed.content),
    )
    try:
        # The names given here only carry the extension: upload_to picks a random path.
        attachment.image.save(f"photo.{processed.extension}", ContentFile(processed.content), save=False)
        attachment.thumbnail.save("thumbnail.jpg", ContentFile(processed.thumbnail), save=False)
        attachment.save(force_insert=True)
    except BaseException:
        _delete_files(images=[attachment.image.name], thumbnails=[attachment.thumbnail.name])
        raise
    return attachment


def attachments_staged(*, tokens: Sequence[str], session_key: str) -> list[Attachment]:
    """The staged (unclaimed) attachments of ``session_key`` named by ``tokens``, in the tokens' order.

    Unknown tokens, tokens of another session and claimed attachments are left out silently.
    """
    wanted = _clean_tokens(tokens)
    if not wanted or not session_key:
        return []
    found = {
        attachment.upload_token: attachment
        for attachment in Attachment.objects.filter(
            upload_token__in=wanted, petition__isnull=True, session_key=staging_key(session_key)
        )
    }
    return [found[token] for token in wanted if token in found]


def attachment_discard(*, token: str, session_key: str) -> bool:
    """Delete a staged attachment of ``session_key`` and its files; False when there is none to delete.

    A claimed attachment (one that belongs to a petition) is never discarded.
    """
    if not session_key or not _clean_tokens([token]):
        return False
    with transaction.atomic():
        # The lock orders this against petition_submit claiming the same photo.
        attachment = (
            Attachment.objects.select_for_update()
            .filter(upload_token=token, petition__isnull=True, session_key=staging_key(session_key))
            .first()
        )
        if attachment is None:
            return False
        images, thumbnails = [attachment.image.name], [attachment.thumbnail.name]
        attachment.delete()
        transaction.on_commit(partial(_delete_files, images=images, thumbnails=thumbnails))
    return True


def attachments_purge_stale(
    *,
    older_than: dt.timedelta = dt.timedelta(hours=24),
    now: dt.datetime | None = None,
    batch_size: int = PURGE_BATCH_SIZE,
) -> int:
    """Delete staged photos and documents uploaded more than ``older_than`` ago, with their files; return how many.

    Claimed attachments are never touched. Works in batches, each in its own
    transaction, and skips rows that a submission is claiming at that moment.
    """
    cutoff = (now or timezone.now()) - older_than
    purged = 0
    while True:
        with transaction.atomic():
            batch = list(
                Attachment.objects.select_for_update(skip_locked=True)
                .filter(petition__isnull=True, created_at__lt=cutoff)
                .order_by("pk")
                .values_list("pk", "image", "thumbnail")[:batch_size]
            )
            if not batch:
                break
            Attachment.objects.filter(pk__in=[pk for pk, _image, _thumb in batch]).delete()
            transaction.on_commit(
                partial(
                    _delete_files,
                    images=[image for _pk, image, _thumb in batch],
                    thumbnails=[thumb for _pk, _image, thumb in batch],
                )
            )
        purged += len(batch)
        if len(batch) < batch_size:
            break
    return purged + _documents_purge_stale(cutoff=cutoff, batch_size=batch_size)


def _documents_purge_stale(*, cutoff: dt.datetime, batch_size: int) -> int:
    """Staged documents never claimed (a form abandoned, a refused draft), as for photos."""
    from petitions.models import Document

    purged = 0
    storage = Document._meta.get_field("file").storage
    while True:
        with transaction.atomic():
            batch = list(
                Document.objects.select_for_update(skip_locked=True)
                .filter(petition__isnull=True, created_at__lt=cutoff)
                .order_by("pk")
                .values_list("pk", "file")[:batch_size]
            )
            if not batch:
                break
            Document.objects.filter(pk__in=[pk for pk, _name in batch]).delete()
            transaction.on_commit(partial(_delete_names, storage, [name for _pk, name in batch]))
        purged += len(batch)
        if len(batch) < batch_size:
            break
    return purged


def _delete_names(storage: Storage, names: Iterable[str]) -> None:
    for name in names:
        try:
            storage.delete(name)
        except OSError:
            logger.warning("Could not delete document file %s", name, exc_info=True)


def _clean_tokens(tokens: Iterable[Any]) -> list[str]:
    """Distinct, plausible tokens in their first-seen order."""
    return list(
        dict.fromkeys(
            token for token in tokens if isinstance(token, str) and 0 < len(token) <= _TOKEN_MAX_LENGTH
        )
    )


def _storage(field_name: str) -> Storage:
    field = Attachment._meta.get_field(field_name)
    assert isinstance(field, models.FileField)
    return field.storage


def _delete_files(*, images: Iterable[str | None], thumbnails: Iterable[str | None]) -> None:
    for field_name, names in (("image", images), ("thumbnail", thumbnails)):
        storage = _storage(field_name)
        for name in names:
            if not name:
                continue
            try:
                storage.delete(name)
            except OSError:
                # The row is gone; a file left behind is only wasted space.
                logger.warning("Could not delete attachment file %s", name, exc_info=True)


def document_stage(*, upload: Any, session_key: str) -> Any:
    """Check an uploaded PDF (``petitions.pdfs.check_pdf``) and stage it for ``session_key``.

    Raises ``ValidationError`` saying why a document is refused; nothing is stored then. The name
    kept is the upload's, reduced to letters, digits and a few signs (it is shown and sent back
    as the download's name).
    """
    import re

    from petitions.models import Document
    from petitions.pdfs import DOCUMENT_MAX_BYTES, check_pdf

    if not session_key:
        raise ValueError("Staging a document needs a session key: save the session first.")
    data = upload.read(DOCUMENT_MAX_BYTES + 1)
    checked = check_pdf(data)
    stem = re.sub(r"[^\w.\- ]+", "", str(getattr(upload, "name", "") or "").rsplit("/", 1)[-1]).strip(" .")
    name = (stem[:100] or "document").removesuffix(".pdf").removesuffix(".PDF") + ".pdf"
    document = Document(
        petition=None, session_key=staging_key(session_key), name=name, size=len(data), pages=checked.pages
    )
    try:
        document.file.save("document.pdf", ContentFile(checked.content), save=False)
        document.save(force_insert=True)
    except BaseException:
        if document.file.name:
            document.file.storage.delete(document.file.name)
        raise
    return document


def documents_staged(*, tokens: Sequence[str], session_key: str) -> list[Any]:
    """The staged documents of ``session_key`` named by ``tokens``, in the tokens' order."""
    from petitions.models import Document

    wanted = _clean_tokens(tokens)
    if not wanted or not session_key:
        return []
    found = {
        document.upload_token: document
        for document in Document.objects.filter(
            upload_token__in=wanted, petition__isnull=True, session_key=staging_key(session_key)
        )
    }
    return [found[token] for token in wanted if token in found]


def document_discard(*, token: str, session_key: str) -> bool:
    """Delete a staged document of ``session_key`` and its file; False when there is none to delete."""
    from petitions.models import Document

    if not session_key or not _clean_tokens([token]):
        return False
    with transaction.atomic():
        document = (
            Document.objects.select_for_update()
            .filter(upload_token=token, petition__isnull=True, session_key=staging_key(session_key))
            .first()
        )
        if document is None:
            return False
        name, storage = document.file.name, document.file.storage
        document.delete()
        transaction.on_commit(partial(storage.delete, name))
    return True
