"""PDF documents: the hostile-input corpus. Each bad document is refused with a message saying why."""

from __future__ import annotations

import io
from dataclasses import dataclass

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation
from pypdf import PdfWriter
from pypdf.generic import ArrayObject, DictionaryObject, NameObject, TextStringObject

from petitions.pdfs import _RAW_NAME, DOCUMENT_MAX_PAGES, check_pdf


def pdf(pages: int = 1, **build: object) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    if build.get("js"):
        # A document-level script, as pypdf's add_js wrote it (the method is gone in pypdf 7).
        script = DictionaryObject(
            {
                NameObject("/Type"): NameObject("/Action"),
                NameObject("/S"): NameObject("/JavaScript"),
                NameObject("/JS"): TextStringObject("app.alert('xin chào');"),
            }
        )
        names = ArrayObject([TextStringObject("chao"), writer._add_object(script)])
        writer._root_object[NameObject("/Names")] = DictionaryObject(
            {NameObject("/JavaScript"): DictionaryObject({NameObject("/Names"): names})}
        )
    if build.get("attachment"):
        writer.add_attachment("virus.exe", b"MZ not really")
    if build.get("launch"):
        writer._root_object[NameObject("/OpenAction")] = DictionaryObject(
            {
                NameObject("/S"): NameObject("/Launch"),
                NameObject("/F"): TextStringObject("cmd.exe"),
            }
        )
    if build.get("password"):
        writer.encrypt("bí mật")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@dataclass
class Refusal:
    code: str
    says: str  # the message, in English


def refused(data: bytes) -> Refusal:
    # The messages are worded when the error is raised: in English here, to read them.
    with translation.override("en"):
        with pytest.raises(ValidationError) as caught:
            check_pdf(data)
        return Refusal(code=str(caught.value.code), says=" ".join(caught.value.messages))


def test_a_plain_scanned_letter_is_accepted_with_its_pages() -> None:
    checked = check_pdf(pdf(pages=3))
    assert checked.pages == 3 and checked.content.startswith(b"%PDF-")


@pytest.mark.parametrize(
    ("build", "code", "says"),
    [
        ({"js": True}, "active_content", "JavaScript"),
        ({"attachment": True}, "active_content", "embedded files"),
        ({"launch": True}, "active_content", "opens another program"),
        ({"password": True}, "encrypted", "password"),
    ],
)
def test_active_content_and_passwords_are_refused_saying_what_was_found(
    build: dict, code: str, says: str
) -> None:
    error = refused(pdf(**build))
    assert error.code == code and says in error.says


def test_a_name_hidden_by_an_escape_is_found_in_the_structure() -> None:
    """``/JavaScrip#74`` is ``/JavaScript`` to a reader but not to a byte search."""
    data = pdf(js=True).replace(b"/JavaScript", b"/JavaScrip#74").replace(b"/JS", b"/J#53")
    assert _RAW_NAME.search(data) is None  # the byte search sees nothing: the structure walk must
    error = refused(data)
    assert error.code == "active_content" and "JavaScript" in error.says


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"MZ\x90\x00 an executable named letter.pdf", "not_pdf"),
        (b"<html><script>alert(1)</script></html>", "not_pdf"),
        (b"%PDF-1.7\n1 0 obj << /Type /Catalog", "unreadable"),
        (b"%PDF-1.4\n" + b"(" * 5000, "unreadable"),
    ],
)
def test_what_is_not_a_readable_pdf_is_refused(data: bytes, code: str) -> None:
    assert refused(data).code == code


def test_a_truncated_pdf_is_refused() -> None:
    whole = pdf(pages=2)
    assert refused(whole[: len(whole) // 3]).code == "unreadable"


def test_too_many_pages_or_too_many_bytes_are_refused() -> None:
    assert refused(pdf(pages=DOCUMENT_MAX_PAGES + 1)).code == "too_many_pages"
    assert refused(b"%PDF-1.4\n" + b"0" * (10 * 1024 * 1024)).code == "too_large"
