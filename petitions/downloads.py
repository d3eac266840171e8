"""How a petition's PDF documents leave the server: always as a download, to whoever a view authorised.

Shared by every interface that serves them (the portal's case page, the back office's desk, the
JSON API), so that none of them can serve a document inline.
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
