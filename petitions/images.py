"""Citizens' photos: check what was uploaded, then keep only re-encoded pixels.

An upload is trusted for nothing: not its name, not its declared content type,
not its size. It must be a JPEG, PNG or WebP by content, within the byte and
pixel limits, decode completely, and carry nothing but the image. What is
stored is a fresh encoding of the pixels (no EXIF, GPS, XMP, comments or ICC),
never the uploaded bytes.
"""

from __future__ import annotations

import contextlib
import io
import math
import re
import struct
import warnings
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any, Protocol

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageOps, UnidentifiedImageError

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 40_000_000
#: Formats decoded whole have lower limits (a JPEG is decoded at reduced scale, see MIN_DECODED_SIDE):
#: Pillow keeps 4 bytes a pixel, and its WebP decoder holds three copies of the picture (libwebp's
#: canvas, the frame as bytes, the image). At these limits one photo's processing stays under about
#: 100 MB (docs/performance.md, "Upload memory"); a photo from a phone's camera is a JPEG.
MAX_PIXELS_BY_FORMAT = {"JPEG": MAX_PIXELS, "MPO": MAX_PIXELS, "PNG": 16_000_000, "WEBP": 6_000_000}
#: Longest side of the stored photo; larger photos are scaled down.
MAX_STORED_SIDE = 2560
#: A JPEG is decoded by libjpeg at 1/2, 1/4 or 1/8 scale when its longest side stays at least this:
#: a 12 MP phone photo (4,000 × 3,000) is decoded straight to 2,000 × 1,500 (11 MB of pixels) and
#: stored at that size, instead of decoded whole (46 MB) and resampled to 2,560 (docs/performance.md,
#: "Upload memory").
MIN_DECODED_SIDE = 2000
#: Longest side of the thumbnail.
THUMBNAIL_SIZE = 320
JPEG_QUALITY = 85
#: Bytes allowed after the end of the image: some encoders pad to a word or block boundary.
#: Real photos have tens of JPEG segments and at most a few thousand PNG/WebP chunks;
#: far more is a file built to make the structure walk slow.
MAX_STRUCTURE_ITEMS = 100_000

#: Pillow's name for what the content is. MPO is a JPEG with further JPEGs after it
#: (phones write HDR gain maps and depth maps that way) and decodes as a JPEG.
ACCEPTED_FORMATS = frozenset({"JPEG", "MPO", "PNG", "WEBP"})
_OPEN_FORMATS = ("JPEG", "PNG", "WEBP")

# Markup and archives that make a file "also something else" (see _check_structure).
_TEXT_SIGNATURES = re.compile(rb"<script|<html|<\?php|<svg|%PDF-", re.IGNORECASE)
_ZIP_SIGNATURE = b"PK\x03\x04"

MESSAGES = {
    "not_an_image": _("This file is not a JPEG, PNG or WebP photo."),
    "too_large": _("This photo is larger than %(megabytes)s MB."),
    "too_many_pixels": _("This photo has more than %(megapixels)s megapixels."),
    "damaged": _("This photo is damaged or incomplete."),
    "polyglot": _("This file could not be accepted as a photo. Please choose another photo."),
}
_PARAMS: dict[str, dict[str, Any]] = {
    "too_large": {"megabytes": MAX_UPLOAD_BYTES // (1024 * 1024)},
    "too_many_pixels": {"megapixels": MAX_PIXELS // 1_000_000},
}


class ImageRejected(ValidationError):
    """An upload that is not an acceptable photo; ``code`` says why, the message says it to the citizen."""

    def __init__(self, code: str, params: dict[str, Any] | None = None) -> None:
        super().__init__(MESSAGES[code], code=code, params=params or _PARAMS.get(code))


class Upload(Protocol):
    """What ``process_image`` needs from an upload; Django's ``UploadedFile`` is one."""

    size: int | None

    def read(self, size: int = -1, /) -> bytes: ...


@dataclass(frozen=True)
class ProcessedImage:
    content: bytes
    thumbnail: bytes
    content_type: str
    extension: str
    width: int
    height: int


def process_image(upload: Upload | IO[bytes]) -> ProcessedImage:
    """Check an uploaded photo and re-encode it; raise ``ImageRejected`` when it is not acceptable.

    Returns the stored image (JPEG, or PNG when it has transparency; longest
    side at most ``MAX_STORED_SIDE``, and a large JPEG as libjpeg decodes it at
    reduced scale, down to ``MIN_DECODED_SIDE``; EXIF orientation applied, all metadata
    dropped; first frame of an animation) and a JPEG thumbnail.
    """
    with warnings.catch_warnings():
        # Pillow warns (rather than fails) between MAX_IMAGE_PIXELS and twice that; our own
        # MAX_PIXELS check is stricter, this is the second guard. The filter is scoped to
        # this block. (catch_warnings swaps a process-wide list: threads interleaving here
        # may leave this one filter installed a little longer or drop it early; both are
        # harmless, since MAX_PIXELS is far below Pillow's limit and is checked anyway.)
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        # The upload's bytes live only in _open_checked: they are let go once the pixels are decoded.
        image = _open_checked(_read_limited(upload))
    try:
        return _encode(image)
    finally:
        image.close()


def _read_limited(upload: Any) -> bytes:
    declared = getattr(upload, "size", None)
    if declared is not None and declared > MAX_UPLOAD_BYTES:
        raise ImageRejected("too_large")
    if hasattr(upload, "seek"):
        upload.seek(0)
    # The declared size may be wrong (or absent): never read more than one byte past the limit.
    data = upload.read(MAX_UPLOAD_BYTES + 1)
    if len(data) > MAX_UPLOAD_BYTES:
        raise ImageRejected("too_large")
    return bytes(data)


def _open_checked(data: bytes) -> Image.Image:
    """Identify, bound and fully decode the first frame; the returned image is loaded."""
    try:
        # Only the plugins we accept get to parse the bytes at all.
        probe = Image.open(io.BytesIO(data), formats=_OPEN_FORMATS)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageRejected("too_many_pixels") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, struct.error, EOFError):
        # A file that starts like one of ours but cannot be opened was cut short or broken.
        raise ImageRejected("damaged" if _has_accepted_signature(data) else "not_an_image") from None
    with probe:
        if probe.format not in ACCEPTED_FORMATS:
            raise ImageRejected("not_an_image")
        width, height = probe.size
        # From the header, before a single pixel is decoded.
        limit = MAX_PIXELS_BY_FORMAT[probe.format]
        if width * height > limit:
            raise ImageRejected("too_many_pixels", {"megapixels": limit // 1_000_000})
        if width < 1 or height < 1:
            raise ImageRejected("damaged")
        frames = getattr(probe, "n_frames", 1) if probe.format == "MPO" else 1
        _check_structure(data, probe.format, jpeg_streams=frames)
        try:
            probe.verify()
        except Exception:  # verify() raises whatever the plugin trips on
            raise ImageRejected("damaged") from None

    # verify() leaves the image unusable: open again to decode.
    image: Image.Image | None = None
    stream = io.BytesIO(data)
    try:
        image = Image.open(stream, formats=_OPEN_FORMATS)
        if image.format in ("JPEG", "MPO") and max(width, height) >= 2 * MIN_DECODED_SIDE:
            # Let libjpeg decode at 1/2, 1/4 or 1/8 scale as long as the longest side keeps
            # MIN_DECODED_SIDE (asked with the photo's own proportions: a square request never
            # reduces a 4:3 photo). Never a full-size decode only to throw most of it away.
            longest = max(width, height)
            image.draft(
                "RGB", (-(-width * MIN_DECODED_SIDE // longest), -(-height * MIN_DECODED_SIDE // longest))
            )
        image.load()  # the first frame only; ImageFile.LOAD_TRUNCATED_IMAGES stays off
    except Exception as exc:
        if image is not None:
            image.close()
        bomb = isinstance(exc, Image.DecompressionBombError | Image.DecompressionBombWarning)
        raise ImageRejected("too_many_pixels" if bomb else "damaged") from None
    # Pillow keeps the stream (and with it the upload's bytes, up to 10 MB) until the image is
    # closed; nothing after load() reads it for the first frame, so it goes now.
    stream.close()
    return image


def _has_accepted_signature(data: bytes) -> bool:
    return data.startswith((b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n")) or (
        data[:4] == b"RIFF" and data[8:12] == b"WEBP"
    )


# --- polyglots ----------------------------------------------------------------------
#
# A polyglot is a file that is a valid image *and* something else: an HTML page or
# script that a browser sniffing content would run, a PHP file a misconfigured
# server would execute, a ZIP (a JAR, an Office document) that an archive tool or an
# antivirus treats as one. The stored file is re-encoded and cannot carry the
# payload, but an upload built that way is not a citizen's photo: it is an attempt
# on whoever or whatever handles the original (proxies, scanners, an officer's
# download), so it is refused and not quietly cleaned.
#
# The check: no markup, script, PDF or archive signature in the file's structure
# outside the compressed pixel data, including anything after the image's end. Compressed data is excluded on purpose: it is random-looking, and a 4-byte
# signature such as "PK\x03\x04" turns up by chance in about one 10 MB photo in 400. A payload there cannot be reached by a reader without decoding the image.


def _check_structure(data: bytes, image_format: str, *, jpeg_streams: int = 1) -> None:
    if image_format in ("JPEG", "MPO"):
        end, regions = _jpeg_structure(data, streams=jpeg_streams)
    elif image_format == "PNG":
        end, regions = _png_structure(data)
    else:
        end, regions = _webp_structure(data)
    # Data after the image's end is common in real phone photos (Samsung's SEF trailer,
    # motion-photo videos) and is dropped by re-encoding; it is refused only when it
    # carries markup, a script or an archive.
    regions.append((end, len(data)))
    for start, stop in regions:
        chunk = data[start:stop]
        if _TEXT_SIGNATURES.search(chunk) or _ZIP_SIGNATURE in chunk:
            raise ImageRejected("polyglot")


Regions = list[tuple[int, int]]

# A marker inside entropy-coded JPEG data: 0xFF (with fill bytes) followed by anything
# but a stuffed zero or a restart marker.
_JPEG_MARKER = re.compile(rb"\xff+[^\x00\xd0-\xd7\xff]")


def _jpeg_structure(data: bytes, *, streams: int) -> tuple[int, Regions]:
    """End of the last of ``streams`` consecutive JPEG streams, and their non-entropy-coded ranges."""
    regions: Regions = []
    position = 0
    for index in range(streams):
        if index and data[position : position + 2] != b"\xff\xd8":
            break  # an MPO whose further images are not contiguous: checked as trailing data
        position = _jpeg_stream_end(data, position, regions)
    return position, regions


def _jpeg_stream_end(data: bytes, position: int, regions: Regions) -> int:
    if data[position : position + 2] != b"\xff\xd8":
        raise ImageRejected("damaged")
    position += 2
    for _count in _bounded():
        if position >= len(data) or data[position] != 0xFF:
            raise ImageRejected("damaged")
        while position < len(data) and data[position] == 0xFF:
            position += 1  # fill bytes
        if position >= len(data):
            raise ImageRejected("damaged")
        marker = data[position]
        position += 1
        if marker == 0xD9:  # EOI
            return position
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:  # no length, no payload
            continue
        if position + 2 > len(data):
            raise ImageRejected("damaged")
        (length,) = struct.unpack(">H", data[position : position + 2])
        if length < 2 or position + length > len(data):
            raise ImageRejected("damaged")
        regions.append((position, position + length))
        position += length
        if marker == 0xDA:  # SOS: entropy-coded data runs to the next real marker
            match = _JPEG_MARKER.search(data, position)
            if match is None:
                raise ImageRejected("damaged")
            position = match.start()
    raise ImageRejected("damaged")


def _png_structure(data: bytes) -> tuple[int, Regions]:
    regions: Regions = []
    pixel_data: list[tuple[int, int]] = []
    position = 8  # signature, checked by Pillow
    for _count in _bounded():
        if position + 12 > len(data):
            raise ImageRejected("damaged")
        length, kind = struct.unpack(">I4s", data[position : position + 8])
        end = position + 12 + length
        if end > len(data):
            raise ImageRejected("damaged")
        if kind == b"IDAT":
            pixel_data.append((position + 8, end - 4))
        if kind not in (b"IDAT", b"fdAT"):
            regions.append((position + 4, end - 4))
        position = end
        if kind == b"IEND":
            _check_png_pixels(data, pixel_data)
            return position, regions
    raise ImageRejected("damaged")


#: Adam7 passes: (first column, first row, column step, row step).
_ADAM7 = ((0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2))
_PNG_CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}


def _check_png_pixels(data: bytes, pixel_data: list[tuple[int, int]]) -> None:
    """Refuse a PNG whose pixel data stops short of its declared size.

    Pillow fills the missing rows with black and says nothing, so a few bytes could declare a
    40-megapixel image (and cost its memory). The data is inflated in steps and only counted.
    """
    if data[12:16] != b"IHDR" or len(data) < 33:
        raise ImageRejected("damaged")
    width, height, depth, colour, _compression, _filter, interlace = struct.unpack(">IIBBBBB", data[16:29])
    bits = depth * _PNG_CHANNELS.get(colour, 4)
    passes = _ADAM7 if interlace else ((0, 0, 1, 1),)
    expected = 0
    for x0, y0, dx, dy in passes:
        columns, rows = -(-(width - x0) // dx), -(-(height - y0) // dy)
        if columns > 0 and rows > 0:
            expected += rows * (1 + -(-(columns * bits) // 8))
    inflate = zlib.decompressobj()
    produced = 0
    try:
        for start, stop in pixel_data:
            chunk = data[start:stop]
            while chunk and produced < expected:
                produced += len(inflate.decompress(chunk, 1 << 20))
                chunk = inflate.unconsumed_tail
            if produced >= expected:
                return
    except zlib.error:
        raise ImageRejected("damaged") from None
    if produced < expected:
        raise ImageRejected("damaged")


def _webp_structure(data: bytes) -> tuple[int, Regions]:
    (riff_size,) = struct.unpack("<I", data[4:8])
    end = 8 + riff_size
    if end > len(data) or riff_size < 4:
        raise ImageRejected("damaged")
    regions: Regions = []
    _webp_chunks(data, 12, end, regions)
    return end, regions


def _webp_chunks(data: bytes, position: int, end: int, regions: Regions) -> None:
    counter = _bounded()
    while position < end:
        next(counter)
        if position + 8 > end:
            raise ImageRejected("damaged")
        kind, length = struct.unpack("<4sI", data[position : position + 8])
        body = position + 8
        stop = body + length
        if stop > end:
            raise ImageRejected("damaged")
        if kind == b"ANMF":
            # 16 bytes of frame header, then the frame's own chunks.
            regions.append((body, min(body + 16, stop)))
            _webp_chunks(data, body + 16, stop, regions)
        elif kind not in (b"VP8 ", b"VP8L", b"ALPH"):
            regions.append((position, stop))
        position = stop + (length & 1)  # chunks are padded to an even size


def _bounded() -> Iterator[int]:
    yield from range(MAX_STRUCTURE_ITEMS)
    raise ImageRejected("damaged")


# --- re-encoding --------------------------------------------------------------------

_HIGH_BIT_DEPTH = frozenset({"I", "I;16", "I;16B", "I;16L", "I;16N", "F"})
#: Modes a resize keeps as they are (a palette image would be resized pixel by pixel, badly).
_SHRINK_FIRST = frozenset({"RGB", "RGBA", "L", "LA", "CMYK", "YCbCr"})
#: Rows of the result resampled at a time: the resampler's intermediate (result width × source
#: rows) is then a band of a few MB, not 2,560 × 3,000 × 4 bytes (29 MB) for a 12 MP photo.
_BAND_ROWS = 128


def _encode(image: Image.Image) -> ProcessedImage:
    if image.mode in _SHRINK_FIRST:
        # Shrink before anything copies the picture: every later copy is small.
        _shrink(image, MAX_STORED_SIDE)
    oriented = image
    # A broken EXIF block must not cost the citizen the photo: keep it unrotated.
    with contextlib.suppress(Exception):
        ImageOps.exif_transpose(image, in_place=True)
    if oriented.mode in _HIGH_BIT_DEPTH:
        # 16-bit greyscale PNG: scale to 8 bits (a plain convert would clip to white).
        oriented = oriented.convert("I").point(lambda value: value * (1 / 257)).convert("L")

    if _has_transparency(oriented):
        stored = oriented if oriented.mode == "RGBA" else oriented.convert("RGBA")
        # Per band, without copying the alpha channel out: ((min, max) of R, G, B, A).
        bands: Any = stored.getextrema()
        if bands[3][0] == 255:  # declared, but nothing is see-through
            stored = stored.convert("RGB")
    else:
        stored = oriented if oriented.mode == "RGB" else oriented.convert("RGB")
    if stored is not image:
        image.close()  # the decoded picture, when a conversion made another

    _shrink(stored, MAX_STORED_SIDE)
    # convert() copies info (comment, ICC, EXIF bytes...), and savers read some of it
    # from there: start from nothing so nothing of the upload is written back.
    stored.info = {}

    # The thumbnail is resampled from the stored picture, never from a full-size copy of it.
    thumb_size = _fit(stored.size, THUMBNAIL_SIZE)
    small = stored.resize(thumb_size, Image.Resampling.LANCZOS, reducing_gap=2.0) if thumb_size else stored
    if stored.mode == "RGBA":
        content = _save(stored, "PNG", optimize=False)
        content_type, extension = "image/png", "png"
        # Resampled with premultiplied alpha, then flattened on white.
        flat = Image.new("RGB", small.size, (255, 255, 255))
        flat.paste(small, mask=small.getchannel("A"))
    else:
        content = _save(stored, "JPEG", quality=JPEG_QUALITY, optimize=True, progressive=True)
        content_type, extension = "image/jpeg", "jpg"
        flat = small
    flat.info = {}
    thumbnail = _save(flat, "JPEG", quality=JPEG_QUALITY, optimize=True, progressive=True)
    return ProcessedImage(
        content=content,
        thumbnail=thumbnail,
        content_type=content_type,
        extension=extension,
        width=stored.width,
        height=stored.height,
    )


def _fit(size: tuple[int, int], longest: int) -> tuple[int, int] | None:
    """``size`` scaled down to fit in ``longest`` × ``longest`` as ``Image.thumbnail`` rounds it; None when it fits."""
    width, height = size
    if max(width, height) <= longest:
        return None
    aspect = width / height
    if aspect >= 1:
        other = min(
            math.floor(longest / aspect),
            math.ceil(longest / aspect),
            key=lambda n: abs(aspect - longest / n) if n else 0,
        )
        return longest, max(other, 1)
    other = min(
        math.floor(longest * aspect), math.ceil(longest * aspect), key=lambda n: abs(aspect - n / longest)
    )
    return max(other, 1), longest


def _shrink(image: Image.Image, longest: int) -> None:
    """Scale ``image`` down in place (Lanczos) to fit in ``longest`` × ``longest``; never up."""
    size = _fit(image.size, longest)
    if size is None:
        return
    # Band by band into the result, each from the source rows it reads (Lanczos: three steps of
    # the source either side), so that neither the resampler's intermediate (result width × all
    # source rows) nor RGBA's premultiplied copy is ever made of the whole picture. The same
    # pixels as one resize, ±1 from rounding the bands' source boxes.
    width, height = image.size
    result = Image.new(image.mode, size)
    step = height / size[1]
    margin = math.ceil(3 * step) + 1
    for top in range(0, size[1], _BAND_ROWS):
        bottom = min(top + _BAND_ROWS, size[1])
        first, last = top * step, bottom * step
        crop_top, crop_bottom = max(0, math.floor(first) - margin), min(height, math.ceil(last) + margin)
        band = image.crop((0, crop_top, width, crop_bottom))
        box = (0.0, first - crop_top, float(width), last - crop_top)
        result.paste(band.resize((size[0], bottom - top), Image.Resampling.LANCZOS, box=box), (0, top))
        band.close()
    # As Image.thumbnail does: the same object (its info and EXIF orientation) on the new pixels.
    image.im = result.im
    image._size = size
    image.readonly = 0


def _has_transparency(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in image.info


def _save(image: Image.Image, image_format: str, **options: Any) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, image_format, **options)
    return buffer.getvalue()
