"""A form's files across its sends: the photos and documents staged before, less those removed, plus new ones.

The portal's petition form and the officer's one keep what was uploaded when something else in
the form is wrong: the files are staged (``petitions.attachments``) and the page sends their tokens
back with the next send, so a citizen never chooses them again. Shared here because both audiences
use it (imports point down).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError

from petitions.attachments import (
    MAX_ATTACHMENTS,
    MAX_DOCUMENTS,
    attachment_discard,
    attachment_stage,
    attachments_staged,
    document_discard,
    document_stage,
    documents_staged,
    too_many_files,
)
from petitions.models import Attachment, Document


@dataclass
class FormFiles:
    """The files a form holds now, in order, and what was refused (messages per field)."""

    photos: list[Attachment]
    documents: list[Document]
    errors: dict[str, list[str]] = field(default_factory=dict)

    @property
    def photo_tokens(self) -> list[str]:
        return [photo.upload_token for photo in self.photos]

    @property
    def document_tokens(self) -> list[str]:
        return [document.upload_token for document in self.documents]


def form_files_stage(
    *,
    sent: Mapping[str, Any],
    photos: Iterable[Any] = (),
    documents: Iterable[Any] = (),
    session_key: str,
) -> FormFiles:
    """Stage new uploads beside those ``sent`` names (``photo_tokens``, ``document_tokens``).

    Tokens ticked in ``remove_photos``/``remove_documents`` are discarded (files deleted); tokens of
    another session are dropped silently. Each refused file, and any over the limit, is a message
    naming it; the others stay staged.
    """
    files = FormFiles(photos=[], documents=[])
    for kind, uploads, limit, stage, staged, discard in (
        ("photo", photos, MAX_ATTACHMENTS, attachment_stage, attachments_staged, attachment_discard),
        ("document", documents, MAX_DOCUMENTS, document_stage, documents_staged, document_discard),
    ):
        tokens = [token for token in _list(sent, f"{kind}_tokens") if isinstance(token, str)]
        removed = set(_list(sent, f"remove_{kind}s"))
        for token in removed:
            discard(token=token, session_key=session_key)
        tokens = [token for token in tokens if token not in removed]
        # The files staged before (this session's only), then the new ones: one query, not two.
        found: list[Any] = staged(tokens=tokens, session_key=session_key)
        errors: list[str] = []
        for upload in uploads:
            if len(found) >= limit:
                errors.append(too_many_files(f"{kind}s"))
                break
            try:
                found.append(stage(upload=upload, session_key=session_key))
            except ValidationError as exc:
                errors.append(f"{upload.name}: {' '.join(exc.messages)}")
        if kind == "photo":
            files.photos = found
        else:
            files.documents = found
        if errors:
            files.errors[f"{kind}s"] = errors
    return files


def _list(sent: Mapping[str, Any], name: str) -> list[Any]:
    getlist = getattr(sent, "getlist", None)
    if getlist is not None:
        return list(getlist(name))
    value = sent.get(name, [])
    return list(value) if isinstance(value, list | tuple) else [value]
