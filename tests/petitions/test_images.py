"""process_image: what is accepted, what is refused and why, and what is stored.

Every input is made here with Pillow (or by hand, byte by byte): no binary fixtures.
"""

from __future__ import annotations

import io
import struct
import warnings
import zipfile
import zlib
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from PIL import ExifTags, Image, ImageCms, ImageFile, PngImagePlugin

from petitions.images import (
    MAX_PIXELS,
    MAX_STORED_SIDE,
    MAX_UPLOAD_BYTES,
    MIN_DECODED_SIDE,
    THUMBNAIL_SIZE,
    ImageRejected,
    ProcessedImage,
    process_image,
)

# --- making inputs ------------------------------------------------------------------


def encode(image: Image.Image, image_format: str, **options: Any) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, image_format, **options)
    return buffer.getvalue()


def photo(size: tuple[int, int] = (64, 48), mode: str = "RGB") -> Image.Image:
    """A small image with structure (so that orientation and frames can be told apart)."""
    image = Image.new(mode, size, "red" if mode != "L" else 80)
    image.paste("blue" if mode != "L" else 200, (0, 0, size[0] // 2, size[1] // 2))
    return image


def upload(data: bytes, name: str = "photo.jpg", content_type: str = "image/jpeg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


def png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def handmade_png(width: int, height: int, rows: bytes, *, bit_depth: int = 8, level: int = 9) -> bytes:
    """A greyscale PNG from raw scanlines (each starting with its filter byte)."""
    header = struct.pack(">IIBBBBB", width, height, bit_depth, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", zlib.compress(rows, level))
        + png_chunk(b"IEND", b"")
    )


def rejection(data: bytes, **upload_options: Any) -> ImageRejected:
    with pytest.raises(ImageRejected) as excinfo:
        process_image(upload(data, **upload_options))
    return excinfo.value


def opened(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


class CountingUpload:
    """A file-like upload that makes its bytes on demand and counts what is read."""

    def __init__(self, *, declared_size: int | None, actual_size: int) -> None:
        self.size = declared_size
        self.name = "photo.jpg"
        self.actual_size = actual_size
        self.bytes_read = 0

    def read(self, size: int = -1) -> bytes:
        remaining = self.actual_size - self.bytes_read
        count = remaining if size is None or size < 0 else min(size, remaining)
        self.bytes_read += count
        return b"\xff" * count


def assert_no_metadata(data: bytes) -> None:
    image = opened(data)
    assert not image.getexif()
    assert not {"exif", "xmp", "icc_profile", "comment", "XML:com.adobe.xmp"} & set(image.info)
    assert b"Exif\x00\x00" not in data
    assert b"http://ns.adobe.com/xap" not in data


# --- accepted photos ----------------------------------------------------------------


@pytest.mark.parametrize(("image_format", "name"), [("JPEG", "a.jpg"), ("PNG", "a.png"), ("WEBP", "a.webp")])
def test_valid_jpeg_png_and_webp_are_accepted_and_re_encoded_as_jpeg(image_format, name):
    source = encode(photo(), image_format)

    result = process_image(upload(source, name=name))

    assert isinstance(result, ProcessedImage)
    assert (result.content_type, result.extension) == ("image/jpeg", "jpg")
    assert (result.width, result.height) == (64, 48)
    stored = opened(result.content)
    assert stored.format == "JPEG"
    assert stored.mode == "RGB"
    assert stored.size == (64, 48)
    assert result.content != source
    assert_no_metadata(result.content)
    thumbnail = opened(result.thumbnail)
    assert thumbnail.format == "JPEG"
    assert_no_metadata(result.thumbnail)


def test_format_is_detected_from_the_content_not_the_name_or_declared_type():
    result = process_image(upload(encode(photo(), "PNG"), name="notes.txt", content_type="text/plain"))

    assert opened(result.content).format == "JPEG"


def test_exif_with_gps_is_dropped_and_the_orientation_is_applied():
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6  # rotate 90° clockwise to display
    exif[ExifTags.Base.Make] = "Phone maker"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (21.0, 1.0, 42.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (105.0, 51.0, 7.0)
    source = encode(photo((80, 40)), "JPEG", exif=exif)
    assert opened(source).getexif().get_ifd(ExifTags.IFD.GPSInfo), "the input must carry GPS"

    result = process_image(upload(source))

    assert (result.width, result.height) == (40, 80)
    stored = opened(result.content)
    assert stored.size == (40, 80)
    assert_no_metadata(result.content)
    assert b"Phone maker" not in result.content
    # Orientation 6: the top-left (blue) quarter ends up top-right.
    assert stored.getpixel((35, 5))[2] > 200  # type: ignore[index]
    assert stored.getpixel((5, 5))[0] > 200  # type: ignore[index]
    assert opened(result.thumbnail).size[0] < opened(result.thumbnail).size[1]


def test_comment_xmp_and_icc_profile_are_not_written_back():
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    source = encode(
        photo(), "JPEG", comment=b"taken at 12 Hang Bong", xmp=b"<x:xmpmeta>GPS</x:xmpmeta>", icc_profile=icc
    )
    assert {"comment", "xmp", "icc_profile"} <= set(opened(source).info)

    result = process_image(upload(source))

    assert_no_metadata(result.content)
    assert b"Hang Bong" not in result.content


def test_a_large_photo_is_scaled_down_to_the_stored_size():
    # 3,000 pixels: too small to be decoded at half scale (1,500 < MIN_DECODED_SIDE), so resampled.
    result = process_image(upload(encode(photo((3000, 2250)), "JPEG", quality=50)))

    assert (result.width, result.height) == (MAX_STORED_SIDE, 1920)
    assert opened(result.content).size == (MAX_STORED_SIDE, 1920)


def test_a_large_png_is_scaled_down_to_the_stored_size():
    result = process_image(upload(encode(photo((4000, 3000)), "PNG"), name="photo.png"))

    assert (result.width, result.height) == (MAX_STORED_SIDE, 1920)


def test_a_12_megapixel_phone_jpeg_is_decoded_at_half_scale_and_stored_at_that_size():
    result = process_image(upload(encode(photo((4032, 3024)), "JPEG", quality=50)))

    assert (result.width, result.height) == (2016, 1512)
    assert MIN_DECODED_SIDE <= 2016 <= MAX_STORED_SIDE
    assert opened(result.content).size == (2016, 1512)
    assert opened(result.thumbnail).size == (THUMBNAIL_SIZE, 240)


def test_a_very_large_jpeg_is_decoded_at_a_reduced_scale_and_still_fits():
    # 36 MP: large enough for libjpeg to decode at half scale (3500×2600) before resizing.
    result = process_image(upload(encode(photo((7000, 5200), mode="L"), "JPEG", quality=30)))

    assert (result.width, result.height) == (MAX_STORED_SIDE, 1902)


def test_the_thumbnail_fits_in_320_pixels_and_keeps_the_aspect_ratio():
    result = process_image(upload(encode(photo((1000, 500)), "PNG")))

    thumbnail = opened(result.thumbnail)
    assert thumbnail.format == "JPEG"
    assert thumbnail.size == (THUMBNAIL_SIZE, 160)


def test_a_small_photo_is_not_enlarged():
    result = process_image(upload(encode(photo((100, 60)), "JPEG")))

    assert opened(result.thumbnail).size == (100, 60)
    assert (result.width, result.height) == (100, 60)


def test_png_with_transparency_stays_png_and_its_thumbnail_is_flattened_on_white():
    image = Image.new("RGBA", (40, 30), (0, 0, 0, 0))
    image.paste((255, 0, 0, 255), (20, 0, 40, 30))

    result = process_image(upload(encode(image, "PNG"), name="logo.png"))

    assert (result.content_type, result.extension) == ("image/png", "png")
    stored = opened(result.content)
    assert stored.format == "PNG"
    assert stored.mode == "RGBA"
    assert stored.getpixel((5, 5))[3] == 0  # type: ignore[index]
    assert_no_metadata(result.content)
    thumbnail = opened(result.thumbnail)
    assert thumbnail.format == "JPEG"
    assert min(thumbnail.getpixel((5, 5))) > 245  # type: ignore[arg-type]
    assert thumbnail.getpixel((35, 15))[0] > 200  # type: ignore[index]


def test_palette_png_with_a_transparent_index_stays_png():
    image = Image.new("P", (20, 20), 0)
    image.putpalette([255, 255, 255, 255, 0, 0])
    image.paste(1, (10, 0, 20, 20))

    result = process_image(upload(encode(image, "PNG", transparency=0)))

    assert result.content_type == "image/png"
    assert opened(result.content).getpixel((2, 2))[3] == 0  # type: ignore[index]


def test_webp_with_transparency_stays_png():
    image = Image.new("RGBA", (20, 20), (0, 128, 0, 0))

    result = process_image(upload(encode(image, "WEBP", lossless=True)))

    assert result.content_type == "image/png"


def test_an_alpha_channel_that_hides_nothing_gives_a_jpeg():
    result = process_image(upload(encode(photo(mode="RGBA"), "PNG")))

    assert result.content_type == "image/jpeg"
    assert opened(result.content).mode == "RGB"


@pytest.mark.parametrize("image_format", ["WEBP", "PNG"])
def test_an_animation_keeps_its_first_frame_only(image_format):
    first = Image.new("RGB", (32, 32), (255, 0, 0))
    second = Image.new("RGB", (32, 32), (0, 0, 255))
    source = encode(first, image_format, save_all=True, append_images=[second], duration=100, loop=0)
    assert getattr(Image.open(io.BytesIO(source)), "n_frames", 1) == 2

    result = process_image(upload(source))

    stored = opened(result.content)
    assert getattr(stored, "n_frames", 1) == 1
    red, _green, blue = stored.getpixel((16, 16))  # type: ignore[misc]
    assert red > 200 and blue < 50


def test_a_multi_picture_jpeg_from_a_phone_is_accepted():
    # Phones write HDR gain maps and depth maps as further JPEGs after the first one (MPO).
    source = encode(photo(), "MPO", save_all=True, append_images=[photo((32, 24))])
    assert Image.open(io.BytesIO(source)).format == "MPO"

    result = process_image(upload(source))

    assert opened(result.content).size == (64, 48)


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda: encode(photo(mode="CMYK"), "JPEG"), id="cmyk-jpeg"),
        pytest.param(lambda: encode(photo(mode="L"), "JPEG"), id="greyscale-jpeg"),
        pytest.param(lambda: encode(photo(mode="1"), "PNG"), id="1-bit-png"),
        pytest.param(lambda: encode(Image.new("I;16", (16, 16), 40000), "PNG"), id="16-bit-png"),
    ],
)
def test_other_colour_modes_are_stored_as_rgb_jpeg(make):
    result = process_image(upload(make()))

    stored = opened(result.content)
    assert (stored.format, stored.mode) == ("JPEG", "RGB")


def test_sixteen_bit_greyscale_is_scaled_rather_than_clipped_to_white():
    result = process_image(upload(encode(Image.new("I;16", (16, 16), 32768), "PNG")))

    assert 110 < opened(result.content).getpixel((8, 8))[0] < 145  # type: ignore[index]


def test_a_few_bytes_of_padding_after_the_image_are_tolerated():
    result = process_image(upload(encode(photo(), "JPEG") + b"\x00" * 16))

    assert result.content_type == "image/jpeg"


# --- refused uploads ----------------------------------------------------------------


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda: encode(photo(), "GIF"), id="gif"),
        pytest.param(lambda: encode(photo(), "BMP"), id="bmp"),
        pytest.param(lambda: encode(photo(), "TIFF"), id="tiff"),
        pytest.param(lambda: "Đây không phải là ảnh.\n".encode(), id="text"),
        pytest.param(lambda: b"<html><script>alert(1)</script></html>", id="html"),
        pytest.param(lambda: b"", id="empty"),
    ],
)
def test_anything_but_jpeg_png_or_webp_is_refused_whatever_its_name(make):
    error = rejection(make(), name="photo.jpg", content_type="image/jpeg")

    assert error.code == "not_an_image"
    assert isinstance(error, ValidationError)


def test_an_upload_declaring_more_than_10_mb_is_refused_without_being_read():
    big = CountingUpload(declared_size=MAX_UPLOAD_BYTES + 1, actual_size=MAX_UPLOAD_BYTES + 1)

    with pytest.raises(ImageRejected) as excinfo:
        process_image(big)

    assert excinfo.value.code == "too_large"
    assert big.bytes_read == 0


def test_an_upload_understating_its_size_is_read_only_one_byte_past_the_limit():
    liar = CountingUpload(declared_size=1000, actual_size=5 * MAX_UPLOAD_BYTES)

    with pytest.raises(ImageRejected) as excinfo:
        process_image(liar)

    assert excinfo.value.code == "too_large"
    assert liar.bytes_read == MAX_UPLOAD_BYTES + 1


def test_an_upload_of_exactly_10_mb_is_not_refused_for_its_size():
    almost = CountingUpload(declared_size=MAX_UPLOAD_BYTES, actual_size=MAX_UPLOAD_BYTES)

    with pytest.raises(ImageRejected) as excinfo:
        process_image(almost)

    assert excinfo.value.code == "not_an_image"


@pytest.fixture
def no_decoding(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail the test if any pixel is decoded."""

    def load(self: Any) -> Any:
        raise AssertionError("pixels were decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", load)


def test_a_photo_over_40_megapixels_is_refused_from_its_header(no_decoding):
    source = encode(Image.new("1", (8000, 6000), 1), "PNG")  # 48 MP, a few kB
    assert MAX_PIXELS < 8000 * 6000 and len(source) < 50_000

    error = rejection(source, name="big.png")

    assert error.code == "too_many_pixels"


def test_a_decompression_bomb_is_refused_without_being_decoded(no_decoding):
    # 30000 × 30000 one-bit pixels: 900 MP (112 MB once decompressed) in about 100 kB.
    bomb = handmade_png(30000, 30000, bytes(30000 * 3751), bit_depth=1)
    assert len(bomb) < 200_000

    error = rejection(bomb, name="bomb.png")

    assert error.code == "too_many_pixels"


def test_pillows_bomb_warning_becomes_a_refusal_and_leaves_the_warning_filters_as_they_were():
    # 120 MP: over Pillow's MAX_IMAGE_PIXELS (warning) but under twice that (error).
    source = handmade_png(12000, 10000, bytes(10000 * 1501), bit_depth=1)
    assert Image.MAX_IMAGE_PIXELS is not None
    assert Image.MAX_IMAGE_PIXELS < 12000 * 10000 < 2 * Image.MAX_IMAGE_PIXELS
    filters_before = list(warnings.filters)

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        error = rejection(source, name="big.png")

    assert error.code == "too_many_pixels"
    assert not [w for w in caught if issubclass(w.category, Image.DecompressionBombWarning)]
    assert list(warnings.filters) == filters_before


def test_a_truncated_jpeg_is_refused_as_damaged():
    source = encode(Image.effect_noise((200, 150), 64).convert("RGB"), "JPEG")

    error = rejection(source[: len(source) // 2])

    assert error.code == "damaged"


def test_a_jpeg_cut_just_before_its_end_marker_is_refused_as_damaged():
    source = encode(Image.effect_noise((200, 150), 64), "JPEG")
    assert source.endswith(b"\xff\xd9")

    assert rejection(source[:-2]).code == "damaged"


def test_a_truncated_png_is_refused_as_damaged():
    source = encode(Image.effect_noise((200, 150), 64), "PNG")

    assert rejection(source[: len(source) * 2 // 3], name="a.png").code == "damaged"


def test_a_png_with_a_corrupted_chunk_is_refused_as_damaged():
    source = bytearray(encode(Image.effect_noise((64, 64), 64), "PNG"))
    idat = source.index(b"IDAT")
    source[idat + 40] ^= 0xFF  # the CRC no longer matches

    assert rejection(bytes(source), name="a.png").code == "damaged"


def test_a_truncated_webp_is_refused_as_damaged():
    source = encode(Image.effect_noise((200, 150), 64).convert("RGB"), "WEBP")

    assert rejection(source[: len(source) // 2], name="a.webp").code == "damaged"


def zip_archive() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("payload.html", "<p>not a photo</p>")
    return buffer.getvalue()


def test_a_jpeg_with_a_zip_appended_is_refused_as_a_polyglot():
    source = encode(photo(), "JPEG") + zip_archive()

    assert rejection(source).code == "polyglot"


def test_a_jpeg_with_a_zip_inside_an_application_segment_is_refused_as_a_polyglot():
    archive = zip_archive()
    segment = b"\xff\xe9" + struct.pack(">H", len(archive) + 2) + archive  # APP9
    source = encode(photo(), "JPEG", extra=segment)
    assert Image.open(io.BytesIO(source)).size == (64, 48)

    assert rejection(source).code == "polyglot"


def test_a_harmless_trailer_after_the_image_is_accepted_and_dropped():
    # Samsung phones append an "SEF" trailer; motion photos append a video.
    source = encode(photo(), "JPEG") + b"\x00\x00SEFH" + b"\x01" * 64 + b"SEFT"

    result = process_image(upload(source))

    assert b"SEFH" not in result.content


def test_a_pdf_appended_after_the_image_is_refused_as_a_polyglot():
    assert rejection(encode(photo(), "JPEG") + b"%PDF-1.7 trailer").code == "polyglot"


def test_a_png_with_a_script_in_a_text_chunk_is_refused_as_a_polyglot():
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "<SCRIPT>alert(document.cookie)</SCRIPT>")

    assert rejection(encode(photo(), "PNG", pnginfo=info), name="a.png").code == "polyglot"


def test_a_png_with_a_script_appended_is_refused_as_a_polyglot():
    source = encode(photo(), "PNG") + b"<script>alert(1)</script>"

    assert rejection(source, name="a.png").code == "polyglot"


def test_a_jpeg_with_php_in_its_comment_is_refused_as_a_polyglot():
    source = encode(photo(), "JPEG", comment=b"<?php system($_GET['c']); ?>")

    assert rejection(source).code == "polyglot"


def test_a_webp_with_html_in_its_metadata_is_refused_as_a_polyglot():
    source = encode(photo(), "WEBP", xmp=b"<html><body>hello</body></html>")

    assert rejection(source, name="a.webp").code == "polyglot"


def test_a_webp_with_data_beyond_its_riff_size_is_refused_as_a_polyglot():
    source = encode(photo(), "WEBP") + zip_archive()

    assert rejection(source, name="a.webp").code == "polyglot"


def test_a_multi_picture_jpeg_with_an_archive_after_its_last_picture_is_refused_as_a_polyglot():
    source = encode(photo(), "MPO", save_all=True, append_images=[photo((32, 24))])

    assert rejection(source + b"PK\x03\x04" + b"\x00" * 40).code == "polyglot"


def test_signatures_inside_the_compressed_pixel_data_are_not_mistaken_for_a_polyglot():
    # Stored (level 0) deflate keeps scanlines verbatim: the pixels spell out the signatures.
    row = b"\x00" + b"PK\x03\x04<script<html<?php".ljust(32, b" ")
    source = handmade_png(32, 4, row * 4, level=0)
    assert b"PK\x03\x04" in source and b"<script" in source

    result = process_image(upload(source, name="a.png"))

    assert (result.width, result.height) == (32, 4)


# --- messages -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("not_an_image", "This file is not a JPEG, PNG or WebP photo."),
        ("too_large", "This photo is larger than 10 MB."),
        ("too_many_pixels", "This photo has more than 40 megapixels."),
        ("damaged", "This photo is damaged or incomplete."),
        ("polyglot", "This file could not be accepted as a photo. Please choose another photo."),
    ],
)
def test_refusals_carry_a_code_and_a_clear_translated_message(code, message):
    error = ImageRejected(code)

    with translation.override("en"):
        assert error.messages == [message]
    assert error.code == code


def test_a_refusal_from_a_real_upload_reads_in_english_under_english():
    error = rejection(encode(photo(), "GIF"))

    with translation.override("en"):
        assert error.messages == ["This file is not a JPEG, PNG or WebP photo."]
