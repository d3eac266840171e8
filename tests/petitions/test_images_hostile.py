"""Hostile photos that tests/petitions/test_images.py does not cover: metadata bombs, memory, the portal's answer.

- Huge metadata: a 60 kB maker note, 150 EXIF segments, self-referencing EXIF IFDs, a
  5 MB PNG text chunk, thousands of text chunks, zTXt/iTXt/iCCP chunks that inflate to
  200 MB, a 5 MB WebP EXIF chunk. Each is accepted with every byte of the metadata
  dropped, or refused with one of the known codes; never another exception.
- Memory: the peak is measured in a child process, around ``process_image`` alone.
  ``tracemalloc`` sees only the Python heap (the upload's bytes and their copies), not
  Pillow's pixel buffers, which are malloc'd in C: a 40 MP decode is invisible to it.
  So both are measured: the Python heap by tracemalloc and everything by the kernel's
  resident-set high-water mark (VmHWM, reset just before the call).
- The portal: a PDF, HTML page, SVG or ZIP named ``photo.jpg`` sent with the form is
  refused with the translated message, and no row and no file is left behind.

Every input is made here, byte by byte or with Pillow: no binary fixtures.
"""

from __future__ import annotations

import io
import json
import os
import struct
import subprocess
import sys
import textwrap
import zipfile
import zlib
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from django.utils.html import escape
from PIL import ExifTags, Image

from petitions.images import MAX_PIXELS, MAX_PIXELS_BY_FORMAT, MESSAGES, ImageRejected, process_image
from petitions.models import Attachment, Petition
from routing.models import Case, CaseEvent
from tests.petitions.test_images import assert_no_metadata, encode, photo, png_chunk, upload
from tests.portal.test_submit_view import _valid

# --- making inputs ------------------------------------------------------------------

#: Printable ASCII with no markup, PDF or archive signature in it (so that no polyglot check fires).
_FILLER = bytes(range(0x30, 0x3A)) + bytes(range(0x41, 0x5B)) + bytes(range(0x61, 0x7B))


def filler(size: int) -> bytes:
    return (_FILLER * (size // len(_FILLER) + 1))[:size]


def segment(marker: bytes, body: bytes) -> bytes:
    return marker + struct.pack(">H", len(body) + 2) + body


def jpeg_with_segments(*segments: bytes) -> bytes:
    """A small JPEG with ``segments`` right after its SOI marker."""
    source = encode(photo(), "JPEG")
    return source[:2] + b"".join(segments) + source[2:]


def png_with_chunks(*chunks: bytes, after_pixels: bool = False) -> bytes:
    """A small PNG with ``chunks`` before its first IDAT (or just before IEND)."""
    source = encode(photo(), "PNG")
    at = source.rindex(b"IEND") - 4 if after_pixels else source.index(b"IDAT") - 4
    return source[:at] + b"".join(chunks) + source[at:]


def jpeg_with_a_60_kb_maker_note() -> bytes:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "Phone maker"
    exif[ExifTags.Base.MakerNote] = filler(60_000)
    source = encode(photo(), "JPEG", exif=exif.tobytes())
    assert len(source) > 60_000
    return source


def jpeg_with_150_exif_segments() -> bytes:
    # 150 × 64 kB: 9.7 MB of metadata around a 64 × 48 picture, just under the upload limit.
    return jpeg_with_segments(*[segment(b"\xff\xe1", b"Exif\x00\x00" + filler(65_000)) for _ in range(150)])


def jpeg_with_a_looping_exif() -> bytes:
    # IFD0 holds one entry claiming 268 million values, and names itself as the next IFD.
    entry = struct.pack(">HHII", ExifTags.Base.Orientation, 3, 0x0FFFFFFF, 8)
    tiff = b"MM\x00\x2a" + struct.pack(">I", 8) + struct.pack(">H", 1) + entry + struct.pack(">I", 8)
    return jpeg_with_segments(segment(b"\xff\xe1", b"Exif\x00\x00" + tiff))


def jpeg_with_an_exif_sub_ifd_pointing_at_itself() -> bytes:
    sub_ifd = struct.pack(">HHII", ExifTags.IFD.Exif, 4, 1, 8)
    orientation = struct.pack(">HHII", ExifTags.Base.Orientation, 3, 1, 6 << 16)
    tiff = b"MM\x00\x2a" + struct.pack(">I", 8) + struct.pack(">H", 2) + sub_ifd + orientation + b"\0" * 4
    return jpeg_with_segments(segment(b"\xff\xe1", b"Exif\x00\x00" + tiff))


def inflating_to(size: int, byte: bytes = b"\x00") -> bytes:
    """A zlib stream that inflates to ``size`` bytes, made without holding them in memory."""
    compressor = zlib.compressobj(9)
    block = byte * (1 << 20)
    parts = [compressor.compress(block) for _ in range(size >> 20)]
    return b"".join(parts) + compressor.flush()


def png_header_and_rows(width: int, height: int, rows: int) -> bytes:
    """An 8-bit RGB PNG declaring ``width`` × ``height`` whose pixel data holds ``rows`` scanlines.

    With ``rows == height`` a valid (flat blue) picture; with fewer, one whose pixels stop short.
    """
    row = b"\x00" + bytes((20, 90, 200)) * width
    compressor = zlib.compressobj(9)
    pixels = b"".join(compressor.compress(row) for _ in range(rows)) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", pixels)
        + png_chunk(b"IEND", b"")
    )


#: 7300 × 5470 = 39.9 MP: just under MAX_PIXELS (JPEG's limit), so the header check lets it through.
NEAR_LIMIT = (7300, 5470)
assert NEAR_LIMIT[0] * NEAR_LIMIT[1] <= MAX_PIXELS
#: Just under the limits of the formats decoded whole: 15.96 MP for PNG, 5.98 MP for WebP.
NEAR_PNG_LIMIT = (4600, 3470)
NEAR_WEBP_LIMIT = (2990, 2000)
assert NEAR_PNG_LIMIT[0] * NEAR_PNG_LIMIT[1] <= MAX_PIXELS_BY_FORMAT["PNG"]
assert NEAR_WEBP_LIMIT[0] * NEAR_WEBP_LIMIT[1] <= MAX_PIXELS_BY_FORMAT["WEBP"]


def noisy_phone_photo() -> bytes:
    """A 12 MP (4000 × 3000) JPEG of random pixels, about 8 MB: the upload benchmark's photo."""
    pixels = Image.frombytes("RGB", (4000, 3000), os.urandom(4000 * 3000 * 3))
    return encode(pixels, "JPEG", quality=80)


def large_phone_photo() -> bytes:
    """A 24 MP (6000 × 4000) JPEG with a smooth gradient, as a phone's main camera writes."""
    gradient = Image.linear_gradient("L").resize((6000, 4000))
    image = Image.merge("RGB", (gradient, gradient.transpose(Image.Transpose.FLIP_LEFT_RIGHT), gradient))
    return encode(image, "JPEG", quality=90)


# --- huge metadata ------------------------------------------------------------------

METADATA_BOMBS = {
    "jpeg-60kb-maker-note": jpeg_with_a_60_kb_maker_note,
    "jpeg-150-exif-segments": jpeg_with_150_exif_segments,
    "jpeg-exif-ifd-looping-on-itself": jpeg_with_a_looping_exif,
    "jpeg-exif-sub-ifd-pointing-at-itself": jpeg_with_an_exif_sub_ifd_pointing_at_itself,
    "png-5mb-text-chunk": lambda: png_with_chunks(png_chunk(b"tEXt", b"Comment\x00" + filler(5_000_000))),
    "png-5000-text-chunks": lambda: png_with_chunks(
        *[png_chunk(b"tEXt", b"k%d\x00" % n + filler(1000)) for n in range(5000)]
    ),
    "png-ztxt-inflating-to-200mb": lambda: png_with_chunks(
        png_chunk(b"zTXt", b"Comment\x00\x00" + inflating_to(200 << 20))
    ),
    "png-ztxt-bomb-after-the-pixels": lambda: png_with_chunks(
        png_chunk(b"zTXt", b"Comment\x00\x00" + inflating_to(200 << 20)), after_pixels=True
    ),
    "png-itxt-inflating-to-200mb": lambda: png_with_chunks(
        png_chunk(b"iTXt", b"XML:com.adobe.xmp\x00\x01\x00\x00\x00" + inflating_to(200 << 20, b"a"))
    ),
    "png-iccp-inflating-to-200mb": lambda: png_with_chunks(
        png_chunk(b"iCCP", b"icc\x00\x00" + inflating_to(200 << 20))
    ),
    "webp-5mb-exif-chunk": lambda: encode(photo(), "WEBP", exif=b"Exif\x00\x00" + filler(5_000_000)),
}


# Pillow warns while reading the looping IFD; what matters is what process_image does after.
@pytest.mark.filterwarnings("ignore:Truncated File Read:UserWarning")
@pytest.mark.parametrize("make", METADATA_BOMBS.values(), ids=METADATA_BOMBS.keys())
def test_huge_metadata_is_dropped_or_the_photo_refused_never_an_error(make):
    source = make()

    try:
        result = process_image(upload(source))
    except ImageRejected as error:
        assert error.code in {"damaged", "polyglot", "not_an_image", "too_large"}
        with translation.override("en"):
            assert error.messages == [str(MESSAGES[error.code])]
        return
    assert result.content_type in ("image/jpeg", "image/png")
    # An EXIF orientation, even in a broken block, may turn the picture.
    assert (result.width, result.height) in ((64, 48), (48, 64))
    assert_no_metadata(result.content)
    assert_no_metadata(result.thumbnail)
    assert filler(64) not in result.content and filler(64) not in result.thumbnail
    assert len(result.content) < 20_000


# --- memory -------------------------------------------------------------------------

#: Pillow keeps RGB pixels in 4 bytes. A JPEG is decoded at 1/2, 1/4 or 1/8 scale when the result
#: keeps 2,000 pixels (a 40 MP JPEG costs 38 MB decoded, a 12 MP one 11 MB); PNG and WebP are decoded
#: whole, so their pixel limits are lower: at 16 MP a PNG is 64 MB decoded, plus the stored picture
#: (2,560 × 1,931 × 4: 19 MB) and a band of the resampler; a 6 MP WebP is three copies of 24 MB while
#: Pillow's decoder holds its canvas and the frame as bytes. The bound fails as soon as a second
#: full-size copy is made, or the resampler's whole-picture intermediate comes back (+36 MB for the
#: PNG): a server taking a few uploads at once would run out of memory, on files as small as 50 kB.
#: Measured on 2026-12-06: 88 MB for the PNG, 91 for the WebP, 63 for the 40 MP JPEG.
MAX_PEAK_MB = 112
#: The typical upload, a 12 MP phone photo of 8 MB: decoded at half scale, 22 MB measured. A
#: full-size decode alone is 46 MB.
MAX_PHONE_PHOTO_PEAK_MB = 40
#: The Python heap holds the upload's bytes (at most 10 MB) and copies of them: Pillow keeps every
#: JPEG APP segment as bytes, on each of the two opens, and the structure walk slices the segments.
#: 150 EXIF segments in a 9.7 MB file cost 56 MB today; six copies of a 10 MB upload is the bound.
MAX_TRACED_MB = 64

_MEASURE = textwrap.dedent(
    """
    import gc, io, json, resource, sys, tracemalloc
    from PIL import Image
    from petitions.images import ImageRejected, process_image

    def status(field):
        with open("/proc/self/status") as lines:
            for line in lines:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024

    data = open(sys.argv[1], "rb").read()
    # Warm up: plugins and codecs load on first use, and would count as the photo's cost.
    for image_format in ("JPEG", "PNG", "WEBP"):
        warm = io.BytesIO()
        Image.new("RGB", (8, 8)).save(warm, image_format)
        process_image(io.BytesIO(warm.getvalue()))
    gc.collect()
    try:
        with open("/proc/self/clear_refs", "w") as refs:
            refs.write("5")  # resets VmHWM to the current resident set
        peak_field = "VmHWM"
    except OSError:
        peak_field = None  # ru_maxrss then: the process's whole peak, which can only overstate
    base = status("VmRSS")
    tracemalloc.start()
    try:
        result = process_image(io.BytesIO(data))
        outcome = {"accepted": True, "size": [result.width, result.height]}
    except ImageRejected as error:
        outcome = {"accepted": False, "code": error.code}
    traced = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    peak = status(peak_field) if peak_field else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({**outcome, "peak_mb": peak - base, "traced_mb": traced}))
    """
)


def measure(data: bytes, tmp_path: Path) -> dict[str, Any]:
    """``process_image`` on ``data`` in a fresh interpreter: its outcome and what it cost in memory."""
    source = tmp_path / "upload.bin"
    source.write_bytes(data)
    root = str(Path(django_settings.BASE_DIR))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")]))}
    done = subprocess.run(
        [sys.executable, "-c", _MEASURE, str(source)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=root,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


MEMORY_CASES = {
    # 100 bytes: a header declaring 39.9 MP and a single scanline of pixels.
    "header-only-16mp-png": lambda: png_header_and_rows(*NEAR_PNG_LIMIT, rows=1),
    # A whole 39.9 MP picture of one colour: about 130 kB.
    "flat-16mp-png": lambda: png_header_and_rows(*NEAR_PNG_LIMIT, rows=NEAR_PNG_LIMIT[1]),
    "flat-6mp-webp": lambda: encode(Image.new("RGB", NEAR_WEBP_LIMIT, (20, 90, 200)), "WEBP"),
    "flat-40mp-jpeg": lambda: encode(Image.new("RGB", NEAR_LIMIT, (20, 90, 200)), "JPEG"),
    "large-24mp-phone-jpeg": large_phone_photo,
    "png-ztxt-inflating-to-200mb": METADATA_BOMBS["png-ztxt-inflating-to-200mb"],
    "jpeg-150-exif-segments": jpeg_with_150_exif_segments,
}


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads the resident set from /proc")
@pytest.mark.parametrize("make", MEMORY_CASES.values(), ids=MEMORY_CASES.keys())
def test_the_memory_a_hostile_or_large_photo_costs_is_bounded(make, tmp_path):
    data = make()
    assert len(data) <= 10 * 1024 * 1024

    cost = measure(data, tmp_path)

    assert cost["traced_mb"] < MAX_TRACED_MB, cost
    assert cost["peak_mb"] < MAX_PEAK_MB, cost


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads the resident set from /proc")
def test_a_12_megapixel_phone_photo_costs_less_than_a_full_size_decode(tmp_path):
    data = noisy_phone_photo()
    assert 6 * 2**20 < len(data) <= 10 * 1024 * 1024

    cost = measure(data, tmp_path)

    assert cost["size"] == [2000, 1500], cost
    assert cost["peak_mb"] < MAX_PHONE_PHOTO_PEAK_MB, cost


@pytest.mark.parametrize(
    ("image_format", "size", "megapixels"),
    [("PNG", (4000, 4001), 16), ("WEBP", (3000, 2001), 6)],
)
def test_a_png_or_webp_over_its_formats_pixel_limit_is_refused_from_its_header(
    image_format, size, megapixels, monkeypatch
):
    source = encode(Image.new("L" if image_format == "PNG" else "RGB", size), image_format)
    monkeypatch.setattr(Image.Image, "load", lambda self: pytest.fail("pixels were decoded"))

    with pytest.raises(ImageRejected) as excinfo:
        process_image(upload(source))

    assert excinfo.value.code == "too_many_pixels"
    with translation.override("en"):
        assert excinfo.value.messages == [f"This photo has more than {megapixels} megapixels."]


def test_a_png_whose_pixel_data_stops_short_of_its_height_is_refused_as_damaged():
    # Every chunk intact and every CRC right, but the pixel stream ends after 10 of 100 rows:
    # the photo is incomplete (Pillow fills the rest with black and says nothing).
    source = png_header_and_rows(100, 100, rows=10)
    assert Image.open(io.BytesIO(source)).size == (100, 100)

    with pytest.raises(ImageRejected) as excinfo:
        process_image(upload(source, name="short.png"))

    assert excinfo.value.code == "damaged"


# --- the portal ---------------------------------------------------------------------


def zip_archive() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("photo.jpg", encode(photo(), "JPEG"))
    return buffer.getvalue()


NOT_PHOTOS = {
    "pdf": lambda: b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n",
    "html": lambda: b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>",
    "svg": lambda: (
        b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)">'
        b'<rect width="10" height="10"/></svg>'
    ),
    "zip": zip_archive,
}


def _rows() -> tuple[int, int, int, int]:
    return (
        Petition.objects.count(),
        Case.objects.count(),
        CaseEvent.objects.count(),
        Attachment.objects.count(),
    )


def _files(root: Any) -> list[Path]:
    return [path for path in Path(root).rglob("*") if path.is_file()] if Path(root).exists() else []


@pytest.mark.parametrize("language", ["en", "vi"])
@pytest.mark.parametrize("make", NOT_PHOTOS.values(), ids=NOT_PHOTOS.keys())
def test_a_document_named_photo_jpg_is_refused_by_the_portal_in_the_citizens_language(
    client, tree, category, settings, make, language
):
    settings.PORTAL_RATES = {name: "100000/h" for name in settings.PORTAL_RATES}
    with translation.override(language):
        message = str(MESSAGES["not_an_image"])
    if language == "vi":
        with translation.override("en"):
            assert message != str(MESSAGES["not_an_image"]), "the message must be translated"
    before = _rows()
    fake = SimpleUploadedFile("photo.jpg", make(), content_type="image/jpeg")

    response = client.post(
        ("/en" if language == "en" else "") + "/submit/", {**_valid(tree, category), "photos": [fake]}
    )

    assert response.status_code == 400
    body = response.content.decode()
    assert escape(f"photo.jpg: {message}") in body
    assert _rows() == before
    assert _files(settings.PRIVATE_MEDIA_ROOT) == []


@pytest.mark.parametrize(
    ("make", "code"),
    [
        pytest.param(METADATA_BOMBS["png-ztxt-inflating-to-200mb"], "damaged", id="ztxt-bomb"),
        pytest.param(lambda: png_header_and_rows(12000, 10000, rows=1), "too_many_pixels", id="120mp-header"),
        pytest.param(lambda: encode(photo(), "JPEG") + zip_archive(), "polyglot", id="jpeg-with-zip"),
    ],
)
def test_a_hostile_photo_sent_with_the_form_gets_its_message_and_files_nothing(
    client, tree, category, settings, make, code
):
    settings.PORTAL_RATES = {name: "100000/h" for name in settings.PORTAL_RATES}
    with translation.override("en"):
        message = str(ImageRejected(code).messages[0])
    before = _rows()
    bad = SimpleUploadedFile("photo.png", make(), content_type="image/png")

    response = client.post("/en/submit/", {**_valid(tree, category), "photos": [bad]})

    assert response.status_code == 400
    assert escape(f"photo.png: {message}") in response.content.decode()
    assert _rows() == before
    assert _files(settings.PRIVATE_MEDIA_ROOT) == []


def test_a_photo_with_a_huge_maker_note_is_filed_without_it(client, tree, category, settings):
    settings.PORTAL_RATES = {name: "100000/h" for name in settings.PORTAL_RATES}
    upload_file = SimpleUploadedFile("photo.jpg", jpeg_with_a_60_kb_maker_note(), content_type="image/jpeg")

    response = client.post("/en/submit/", {**_valid(tree, category), "photos": [upload_file]})

    assert response.status_code == 302
    attachment = Attachment.objects.get()
    assert attachment.petition == Petition.objects.get()
    with attachment.image.open("rb") as stored:
        content = stored.read()
    assert_no_metadata(content)
    assert filler(64) not in content and b"Phone maker" not in content


def test_a_file_name_carrying_markup_is_escaped_in_the_refusal(client, tree, category, settings):
    settings.PORTAL_RATES = {name: "100000/h" for name in settings.PORTAL_RATES}
    fake = SimpleUploadedFile('"><svg onload=alert(1)>.jpg', NOT_PHOTOS["html"](), content_type="image/jpeg")

    response = client.post("/en/submit/", {**_valid(tree, category), "photos": [fake]})

    assert response.status_code == 400
    body = response.content.decode()
    assert "<svg onload=alert(1)>" not in body
    assert "&lt;svg onload=alert(1)&gt;" in body
    assert Attachment.objects.count() == 0


@pytest.mark.parametrize(
    "token",
    ["..", "...", "%00", "a" * 5000, "' OR '1'='1", "%2e%2e%2f%2e%2e%2fetc%2fpasswd", "\u202e", "%ED%A0%80"],
)
def test_the_staged_photo_address_answers_404_to_any_made_up_token(client, db, token):
    response = client.get(f"/submit/photos/{token}/")

    # A NUL is refused before any view (config.nul): 400; every other made-up token: 404.
    assert response.status_code == (400 if token == "%00" else 404)
