"""Streaming citizens' photos to whoever a view has already authorised."""

from __future__ import annotations

from django.http import FileResponse, Http404

from petitions.downloads import document_response
from petitions.models import Attachment

__all__ = ["attachment_response", "document_response"]


def attachment_response(attachment: Attachment, size: str) -> FileResponse:
    """The thumbnail ("thumb") or the re-encoded photo ("full"), never cached by shared caches."""
    if size not in ("thumb", "full"):
        raise Http404
    field = attachment.thumbnail if size == "thumb" else attachment.image
    try:
        handle = field.open("rb")
    except (FileNotFoundError, ValueError):
        raise Http404 from None
    response = FileResponse(handle, content_type="image/jpeg" if size == "thumb" else attachment.content_type)
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Disposition"] = "inline"
    return response
