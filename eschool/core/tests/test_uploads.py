"""Uploaded files are judged by their content, their size and (for pictures) their pixels."""

import io
import struct
import zipfile
import zlib

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from PIL import Image

from eschool.core import uploads

# Sample files, also used by the classroom's tests ----------------------------------

PDF_BYTES = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)


def png_bytes(size=(64, 48), color=(200, 30, 30), mode="RGB") -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, color).save(out, format="PNG")
    return out.getvalue()


def jpeg_bytes(size=(64, 48)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (10, 120, 200)).save(out, format="JPEG")
    return out.getvalue()


def _chunk(kind: bytes, data: bytes) -> bytes:
    return (
        struct.pack(">I", len(data))
        + kind
        + data
        + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    )


def huge_png_bytes(width=20_000, height=20_000) -> bytes:
    """A black 1-bit PNG of width×height pixels that is small on disk (zeros compress well)."""
    row = b"\x00" * (1 + (width + 7) // 8)  # filter byte, then the packed bits
    compressor = zlib.compressobj(9)
    parts = [compressor.compress(row * 1000) for _block in range(height // 1000)]
    parts.append(compressor.compress(row * (height % 1000)))
    parts.append(compressor.flush())
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", b"".join(parts))
        + _chunk(b"IEND", b"")
    )


def ooxml_bytes(main_part: str) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as package:
        package.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
            'content-types"><Override PartName="/main.xml" ContentType="application/'
            f'vnd.openxmlformats-officedocument.{main_part}+xml"/></Types>',
        )
        package.writestr("main.xml", "<x/>")
    return out.getvalue()


def ole_bytes(stream_name: str) -> bytes:
    # Header, then a directory sector holding the stream's UTF-16 name.
    return (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
        + b"\x00" * 504
        + "Root Entry".encode("utf-16-le").ljust(128, b"\x00")
        + stream_name.encode("utf-16-le").ljust(128, b"\x00")
    )


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content)


def refusal(check, file) -> ValidationError:
    with translation.override("en"), pytest.raises(ValidationError) as raised:
        check(file)
    return raised.value


# Tests ---------------------------------------------------------------------------

WRONG_MATERIAL = (
    "This file is not a PDF, a picture (PNG, JPEG, GIF, WebP) or an Office document "
    "(Word, PowerPoint, Excel), whatever its name says."
)
WRONG_IMAGE = "This file is not a picture (PNG, JPEG, GIF or WebP), whatever its name says."


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        ("讲义.pdf", PDF_BYTES, "application/pdf"),
        ("板书.png", png_bytes(), "image/png"),
        ("照片.jpg", jpeg_bytes(), "image/jpeg"),
        ("照片.jpeg", jpeg_bytes(), "image/jpeg"),
        (
            "课件.pptx",
            ooxml_bytes("presentationml.presentation.main"),
            "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        ),
        (
            "学案.docx",
            ooxml_bytes("wordprocessingml.document.main"),
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        (
            "成绩.xlsx",
            ooxml_bytes("spreadsheetml.sheet.main"),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
        ("旧课件.ppt", ole_bytes("PowerPoint Document"), "application/vnd.ms-powerpoint"),
        ("旧学案.doc", ole_bytes("WordDocument"), "application/msword"),
        ("没有后缀", PDF_BYTES, "application/pdf"),
    ],
)
def test_materials_are_typed_by_their_content(name, content, content_type):
    assert uploads.check_material(upload(name, content)).content_type == content_type


def test_an_office_file_is_told_apart_by_the_content_types_inside():
    pptx = ooxml_bytes("presentationml.presentation.main")
    # Named .zip: not one of ours, so the content alone decides.
    assert uploads.check_material(upload("课件.zip", pptx)).extension == "pptx"


def test_a_png_renamed_pdf_is_refused_as_a_material():
    error = refusal(uploads.check_material, upload("试卷.pdf", png_bytes()))

    assert error.code == "name_mismatch"
    assert error.messages == [
        "The name of this file ends in .pdf, but its content is a PNG file. "
        "Rename it or choose the right file."
    ]


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("作业.pdf", "第一题：1+1=?".encode()),
        ("script.pdf", b"<script>alert(1)</script>"),
        ("archive.docx", b"PK\x03\x04 not really a zip"),
        ("plain.zip", ooxml_bytes("something.else.main")),
        ("setup.doc", ole_bytes("SummaryInformation")),
        ("empty.pdf", b""),
    ],
)
def test_anything_else_is_refused_as_a_material(name, content):
    error = refusal(uploads.check_material, upload(name, content))

    assert error.code == "wrong_type"
    assert error.messages == [WRONG_MATERIAL]


def test_a_text_file_renamed_png_is_refused_as_a_picture():
    error = refusal(uploads.check_image, upload("封面.png", b"hello, this is text\n"))

    assert error.code == "wrong_type"
    assert error.messages == [WRONG_IMAGE]


def test_a_pdf_is_not_a_picture():
    assert refusal(uploads.check_image, upload("封面.png", PDF_BYTES)).messages == [WRONG_IMAGE]


def test_a_20000_by_20000_png_is_refused_for_its_pixels_not_with_an_error():
    content = huge_png_bytes()
    assert len(content) < 100_000  # small on disk: only its pixels are the problem

    error = refusal(uploads.check_image, upload("封面.png", content))

    assert error.code == "too_many_pixels"
    assert error.messages == ["The picture is too large: at most 40 million pixels."]


def test_a_picture_just_over_the_limit_is_refused_too(settings):
    # Pillow only warns between the limit and twice the limit; we refuse there as well.
    settings.ESCHOOL_MAX_IMAGE_PIXELS = 3000
    error = refusal(uploads.check_image, upload("封面.png", png_bytes(size=(60, 60))))

    assert error.code == "too_many_pixels"
    assert error.messages == ["The picture is too large: at most 0.003 million pixels."]


def test_a_huge_png_is_refused_as_a_material_as_well():
    error = refusal(uploads.check_material, upload("板书.png", huge_png_bytes()))

    assert error.code == "too_many_pixels"


def test_a_truncated_picture_is_refused_with_a_message():
    error = refusal(uploads.check_image, upload("封面.png", png_bytes()[:60]))

    assert error.code == "bad_image"
    assert error.messages == ["This picture cannot be read; it may be damaged."]


def test_an_oversized_file_is_refused(settings):
    settings.ESCHOOL_MAX_MATERIAL_BYTES = 1024
    settings.ESCHOOL_MAX_IMAGE_BYTES = 1024
    big = PDF_BYTES + b"%" * 1024

    error = refusal(uploads.check_material, upload("讲义.pdf", big))
    assert error.code == "too_large"
    assert error.messages == ["The file is too large: at most 1.0\xa0KB."]
    assert refusal(uploads.check_image, upload("封面.png", big)).code == "too_large"


def test_the_default_limits():
    from django.conf import settings

    assert settings.ESCHOOL_MAX_IMAGE_BYTES == 5 * 1024 * 1024
    assert settings.ESCHOOL_MAX_MATERIAL_BYTES == 50 * 1024 * 1024
    assert settings.ESCHOOL_MAX_IMAGE_PIXELS == 40_000_000


def test_a_real_png_is_accepted_as_a_picture():
    assert uploads.check_image(upload("封面.PNG", png_bytes())) is uploads.PNG


def test_a_cover_is_reencoded_within_the_bounds():
    cover = uploads.bounded_image(
        upload("封面.png", png_bytes(size=(4000, 1000))), max_side=1600, name="封面.png"
    )

    assert cover.name == "封面.jpg"
    with Image.open(io.BytesIO(cover.read())) as image:
        assert image.format == "JPEG"
        assert image.size == (1600, 400)


def test_a_transparent_picture_stays_png():
    cover = uploads.bounded_image(
        upload("logo.png", png_bytes(size=(200, 100), color=(0, 0, 0, 0), mode="RGBA")),
        max_side=1600,
        name="logo.png",
    )

    assert cover.name == "logo.png"
    with Image.open(io.BytesIO(cover.read())) as image:
        assert (image.format, image.size, image.mode) == ("PNG", (200, 100), "RGBA")


def test_private_storage_follows_the_setting(settings, tmp_path):
    settings.ESCHOOL_PRIVATE_ROOT = tmp_path / "private"

    name = uploads.private_storage().save("materials/a.pdf", io.BytesIO(PDF_BYTES))

    assert (tmp_path / "private" / name).read_bytes() == PDF_BYTES
