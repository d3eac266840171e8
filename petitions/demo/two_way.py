"""The demo's two-way handling: questions to citizens and their answers, information citizens add,
and the PDF documents that come with them (a citizen's letter, the unit's signed reply).

The documents are generated, one page of text each, and go through the same checks and staging as
an upload (``petitions.attachments.document_stage``).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

from django.core.files.base import ContentFile

from petitions.attachments import document_stage

QUESTIONS = (
    "Đề nghị ông/bà cho biết chính xác số nhà hoặc mốc gần nhất nơi xảy ra sự việc.",
    "Xin ông/bà gửi thêm ảnh chụp hiện trạng để đơn vị xác minh.",
    "Đề nghị ông/bà cho biết sự việc xảy ra từ khi nào và thường vào khung giờ nào.",
    "Ông/bà đã phản ánh việc này với tổ dân phố hoặc cơ quan nào trước đây chưa? Nếu có, xin gửi kèm văn bản trả lời.",
)
ANSWERS = (
    "Sự việc ở ngay trước nhà số {no} {street}, cạnh cột điện.",
    "Tôi gửi kèm ảnh chụp sáng nay, tình trạng vẫn như cũ.",
    "Tình trạng này kéo dài khoảng hai tuần, nặng nhất vào buổi tối.",
    "Tôi đã báo tổ dân phố tháng trước nhưng chưa được giải quyết; gửi kèm biên bản họp tổ.",
)
ADDITIONS = (
    "Hôm nay tình trạng nặng hơn, nhiều hộ xung quanh cũng bị ảnh hưởng.",
    "Tôi bổ sung biên bản họp tổ dân phố về việc này.",
    "Chiều nay có người đến xem xét nhưng chưa xử lý, đề nghị đơn vị sớm giải quyết.",
)

#: (file name, title, lines): what each kind of demo document says.
CITIZEN_LETTER = (
    "don-kien-nghi.pdf",
    "DON KIEN NGHI",
    ("Kinh gui: {unit}", "Noi dung: {title}", "Nguoi viet don ky ten."),
)
MEETING_MINUTES = (
    "bien-ban-hop-to-dan-pho.pdf",
    "BIEN BAN HOP TO DAN PHO",
    ("Ve viec: {title}", "Cac ho du hop thong nhat kien nghi len {unit}."),
)
REPLY_LETTER = (
    "cong-van-tra-loi.pdf",
    "CONG VAN TRA LOI KIEN NGHI",
    ("Kinh gui: cong dan", "Ve viec: {title}", "{unit}", "(da ky, dong dau)"),
)


def fold(text: str) -> str:
    """Vietnamese without its marks (the standard PDF fonts have no Vietnamese letters)."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in decomposed if not unicodedata.combining(c) and ord(c) < 128)


def letter_pdf(title: str, lines: Sequence[str]) -> bytes:
    """A one-page PDF with a title and lines of text in Helvetica, written by hand (a few hundred bytes)."""

    def literal(text: str) -> str:
        return fold(text).replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")

    text = [f"BT /F1 16 Tf 60 770 Td ({literal(title)}) Tj ET"]
    text += [f"BT /F1 11 Tf 60 {730 - 22 * row} Td ({literal(line)}) Tj ET" for row, line in enumerate(lines)]
    stream = "\n".join(text).encode("ascii")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> "
        b"/Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def stage_demo_document(kind: tuple[str, str, Sequence[str]], *, session_key: str, **values: str) -> str:
    """Generate and stage one document of ``kind``; its upload token."""
    name, title, lines = kind
    content = letter_pdf(title, [line.format(**values) for line in lines])
    return document_stage(upload=ContentFile(content, name=name), session_key=session_key).upload_token
