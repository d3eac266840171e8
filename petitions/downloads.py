"""How a petition's files leave the server, to whoever a view authorised: photos inline (re-encoded,
never sniffed), PDF documents always as a download.

Shared by every interface that serves them (the portal's case page, the back office's desk, the
JSON API), so that none of them imports another's and none can serve a document inline.
"""

from __future__ import annotations

from typing import Any

from django.http import FileResponse, Http404


def document_response(document: Any) -> FileResponse:
    """A PDF as a download under its own name: never shown inline, never sniffed, never cached by others."""
    try:
        handle = document.file.open("rb")
    except (FileNotFoundError, ValueError):
        raise Http404 from None
    response = FileResponse(
        handle, content_type="application/pdf", as_attachment=True, filename=document.name
    )
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox"
    return response


def attachment_response(attachment: Any, size: str) -> FileResponse:
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
