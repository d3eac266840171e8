"""PDF documents (scanned letters, decisions, receipts): checked before anything is stored.

A document is accepted when it is small enough (``DOCUMENT_MAX_BYTES``), starts as a PDF does,
parses with pypdf, is not encrypted, has at most ``DOCUMENT_MAX_PAGES`` pages, and carries no
active content: no JavaScript, no automatic or page actions, no launch actions, no embedded files,
no rich media and no XFA forms. Active content is refused with a message that says what was found
(a citizen can print the letter to PDF again, or scan it); nothing is rewritten.

Both the raw bytes and the parsed structure are searched: a name in a compressed object stream is
invisible to the first, a malformed document that pypdf repairs may hide from the second.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from pypdf import PdfReader
from pypdf.errors import PyPdfError
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

DOCUMENT_MAX_BYTES = 10 * 1024 * 1024
DOCUMENT_MAX_PAGES = 50
#: The PDF header may follow a little junk (some scanners write a preamble); 1 KiB as readers allow.
_HEADER_WINDOW = 1024
#: Names of active content, as they appear in the file (a name may be written with #xx escapes).
ACTIVE_NAMES = {
    "JavaScript": _("JavaScript"),
    "JS": _("JavaScript"),
    "Launch": _("an action that opens another program"),
    "EmbeddedFile": _("embedded files"),
    "EmbeddedFiles": _("embedded files"),
    "RichMedia": _("rich media"),
    "XFA": _("an XFA form"),
    "OpenAction": _("an action run when it opens"),
    "AA": _("actions run automatically"),
}
_RAW_NAME = re.compile(rb"/(JavaScript|JS|Launch|EmbeddedFiles?|RichMedia|XFA|OpenAction|AA)(?![A-Za-z0-9])")
#: How deep the structure walk goes, and how many objects it visits: a document is small (50 pages).
_MAX_DEPTH = 40
_MAX_OBJECTS = 200_000


@dataclass(frozen=True)
class CheckedPdf:
    content: bytes
    pages: int


def check_pdf(data: bytes) -> CheckedPdf:
    """The document if it may be accepted, else ``ValidationError`` saying why (nothing is stored)."""
    if len(data) > DOCUMENT_MAX_BYTES:
        raise ValidationError(
            _("A document may be at most %(size)s MB.") % {"size": DOCUMENT_MAX_BYTES // (1024 * 1024)},
            code="too_large",
        )
    if b"%PDF-" not in data[:_HEADER_WINDOW]:
        raise ValidationError(_("This file is not a PDF document."), code="not_pdf")
    raw = {match.group(1).decode() for match in _RAW_NAME.finditer(data)}
    if raw:
        raise _active(raw)
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise ValidationError(
                _("This PDF is protected by a password: send it without the protection."), code="encrypted"
            )
        pages = len(reader.pages)
        found = set(_active_names(reader.trailer))
    except ValidationError:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, RecursionError, OSError) as exc:
        raise ValidationError(_("This PDF cannot be read: it may be damaged."), code="unreadable") from exc
    if found:
        raise _active(found)
    if pages < 1:
        raise ValidationError(_("This PDF cannot be read: it may be damaged."), code="unreadable")
    if pages > DOCUMENT_MAX_PAGES:
        raise ValidationError(
            _("A document may have at most %(pages)s pages.") % {"pages": DOCUMENT_MAX_PAGES},
            code="too_many_pages",
        )
    return CheckedPdf(content=data, pages=pages)


def _active(names: set[str]) -> ValidationError:
    what = sorted({str(ACTIVE_NAMES[name]) for name in names})
    return ValidationError(
        _(
            "This PDF contains %(what)s, which we do not accept. Print it to PDF again, or scan the paper, "
            "and send that."
        )
        % {"what": ", ".join(what)},
        code="active_content",
    )


def _active_names(root: Any) -> Iterator[str]:
    """Names of active content anywhere under ``root`` (each object once, within the walk's bounds)."""
    seen: set[tuple[int, int]] = set()
    stack: list[tuple[Any, int]] = [(root, 0)]
    visited = 0
    while stack:
        node, depth = stack.pop()
        visited += 1
        if visited > _MAX_OBJECTS or depth > _MAX_DEPTH:
            raise ValueError("the document's structure is too large or too deep")
        if isinstance(node, IndirectObject):
            key = (node.idnum, node.generation)
            if key in seen:
                continue
            seen.add(key)
            node = node.get_object()
        if isinstance(node, DictionaryObject):
            for name, value in node.items():
                bare = str(name).lstrip("/")
                if bare in ACTIVE_NAMES:
                    yield bare
                if bare in ("S", "Subtype") and str(value).lstrip("/") in ACTIVE_NAMES:
                    yield str(value).lstrip("/")
                stack.append((value, depth + 1))
        elif isinstance(node, ArrayObject):
            stack.extend((item, depth + 1) for item in node)
