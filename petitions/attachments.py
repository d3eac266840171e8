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
from petitions.models import Attachment, Document

#: The stored files of each kind of upload, deleted with its row.
FILE_FIELDS: dict[type[Any], tuple[str, ...]] = {
    Attachment: ("image", "thumbnail"),
    Document: ("file",),
}

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
        stored_files_delete(Attachment, [(attachment.image.name, attachment.thumbnail.name)])
        raise
    return attachment


def attachments_staged(*, tokens: Sequence[str], session_key: str) -> list[Attachment]:
    """The staged (unclaimed) photos of ``session_key`` named by ``tokens``, in the tokens' order.

    Unknown tokens, tokens of another session and claimed photos are left out silently.
    """
    return _staged(Attachment, tokens, session_key)


def attachment_discard(*, token: str, session_key: str) -> bool:
    """Delete a staged photo of ``session_key`` and its files; False when there is none to delete.

    A claimed photo (one that belongs to a petition) is never discarded.
    """
    return _discard(Attachment, token, session_key)


def attachments_purge_stale(
    *,
    older_than: dt.timedelta = dt.timedelta(hours=24),
    now: dt.datetime | None = None,
    batch_size: int = PURGE_BATCH_SIZE,
) -> int:
    """Delete staged photos and documents uploaded more than ``older_than`` ago, with their files; return how many.

    Claimed files are never touched. Works in batches, each in its own transaction, and skips
    rows that a submission is claiming at that moment.
    """
    cutoff = (now or timezone.now()) - older_than
    return sum(_purge(model, cutoff=cutoff, batch_size=batch_size) for model in (Attachment, Document))


def _purge(model: type[Any], *, cutoff: dt.datetime, batch_size: int) -> int:
    purged = 0
    fields = FILE_FIELDS[model]
    while True:
        with transaction.atomic():
            batch = list(
                model.objects.select_for_update(skip_locked=True)
                .filter(petition__isnull=True, created_at__lt=cutoff)
                .order_by("pk")
                .values_list("pk", *fields)[:batch_size]
            )
            if not batch:
                break
            model.objects.filter(pk__in=[row[0] for row in batch]).delete()
            transaction.on_commit(partial(stored_files_delete, model, [row[1:] for row in batch]))
        purged += len(batch)
        if len(batch) < batch_size:
            break
    return purged


def _staged(model: type[Any], tokens: Sequence[str], session_key: str) -> list[Any]:
    wanted = _clean_tokens(tokens)
    if not wanted or not session_key:
        return []
    found = {
        item.upload_token: item
        for item in model.objects.filter(
            upload_token__in=wanted, petition__isnull=True, session_key=staging_key(session_key)
        )
    }
    return [found[token] for token in wanted if token in found]


def _discard(model: type[Any], token: str, session_key: str) -> bool:
    if not session_key or not _clean_tokens([token]):
        return False
    with transaction.atomic():
        # The lock orders this against a service claiming the same file.
        item = (
            model.objects.select_for_update()
            .filter(upload_token=token, petition__isnull=True, session_key=staging_key(session_key))
            .first()
        )
        if item is None:
            return False
        names = [tuple(getattr(item, field).name for field in FILE_FIELDS[model])]
        item.delete()
        transaction.on_commit(partial(stored_files_delete, model, names))
    return True


def _storage(model: type[Any], field_name: str) -> Storage:
    # Looked up at each call: tests point a field at a storage of their own.
    field = model._meta.get_field(field_name)
    assert isinstance(field, models.FileField)
    return field.storage


def stored_files_delete(model: type[Any], rows: Iterable[Sequence[str | None]]) -> None:
    """Delete the stored files of ``model`` rows already deleted: each row its names in ``FILE_FIELDS`` order.

    Called after the rows' deletion committed, so a rolled-back transaction never leaves a row
    pointing at a missing file (an orphan file, the other way round, is only wasted space).
    """
    storages = [_storage(model, field) for field in FILE_FIELDS[model]]
    for names in rows:
        for storage, name in zip(storages, names, strict=True):
            if not name:
                continue
            try:
                storage.delete(name)
            except OSError:
                logger.warning("Could not delete the stored file %s", name, exc_info=True)


def _clean_tokens(tokens: Iterable[Any]) -> list[str]:
    """Distinct, plausible tokens in their first-seen order."""
    return list(
        dict.fromkeys(
            token for token in tokens if isinstance(token, str) and 0 < len(token) <= _TOKEN_MAX_LENGTH
        )
    )


def document_stage(*, upload: Any, session_key: str) -> Any:
    """Check an uploaded PDF (``petitions.pdfs.check_pdf``) and stage it for ``session_key``.

    Raises ``ValidationError`` saying why a document is refused; nothing is stored then. The name
    kept is the upload's, reduced to letters, digits and a few signs (it is shown and sent back
    as the download's name).
    """
    import re

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


def documents_staged(*, tokens: Sequence[str], session_key: str) -> list[Document]:
    """The staged documents of ``session_key`` named by ``tokens``, in the tokens' order."""
    return _staged(Document, tokens, session_key)


def document_discard(*, token: str, session_key: str) -> bool:
    """Delete a staged document of ``session_key`` and its file; False when there is none to delete."""
    return _discard(Document, token, session_key)


def staged_claim(tokens: Sequence[str], session_key: str, *, field: str) -> list[Any]:
    """Lock the staged photos or documents (``field``) of ``session_key`` named by ``tokens``, in their order.

    All of them or a ``ValidationError`` on ``field`` (one expired, was purged, or is another
    session's). Inside the claiming service's transaction; ``staged_attach`` then gives them away.
    """
    model = Attachment if field == "photos" else Document
    wanted = list(dict.fromkeys(tokens))
    if not wanted:  # most petitions come without files: not even a query built to find none
        return []
    found = {
        item.upload_token: item
        for item in model.objects.select_for_update().filter(
            upload_token__in=wanted, petition__isnull=True, session_key=staging_key(session_key)
        )
    }
    if len(found) != len(wanted):
        message = (
            _("Some photos expired before you sent the form. Please add them again.")
            if field == "photos"
            else _("Some documents expired before you sent the form. Please add them again.")
        )
        raise ValidationError({field: message})
    return [found[token] for token in wanted]


def staged_attach(
    *,
    petition_id: int,
    event: Any = None,
    photos: Sequence[Attachment] = (),
    documents: Sequence[Document] = (),
) -> None:
    """Claimed files become the petition's (photos after those it has), linked to ``event`` if any.

    They keep nothing of the browser that staged them.
    """
    if photos:
        after = (
            Attachment.objects.filter(petition_id=petition_id)
            .order_by("-position")
            .values_list("position", flat=True)
            .first()
        )
        start = 0 if after is None else after + 1
        for offset, photo in enumerate(photos):
            photo.petition_id, photo.event, photo.position, photo.session_key = (
                petition_id,
                event,
                start + offset,
                "",
            )
        Attachment.objects.bulk_update(photos, ["petition", "event", "position", "session_key"])
    if documents:
        for document in documents:
            document.petition_id, document.event, document.session_key = petition_id, event, ""
        Document.objects.bulk_update(documents, ["petition", "event", "session_key"])
