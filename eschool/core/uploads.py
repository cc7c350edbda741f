"""Checks for uploaded files: the type comes from the content, never from the name.

Reusable by any app that takes files from people:

- check_material(upload) for documents and images a teacher hands out
  (PDF, PNG/JPEG/GIF/WebP, pptx/docx/xlsx, legacy ppt/doc/xls);
- check_image(upload) for pictures shown on pages (covers, speaker photos),
  opened with Pillow and refused over ESCHOOL_MAX_IMAGE_PIXELS;
- bounded_image(upload, max_side=...) re-encodes an image to at most
  `max_side` pixels on its longest side, so phones on slow networks load it fast.

Each raises django.core.exceptions.ValidationError with a translated message,
never anything that would become a 500. Files that must not be public are
stored with private_storage() (ESCHOOL_PRIVATE_ROOT, which the web server does
not serve) and handed out by a view that checks access.
"""

import io
import os
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import PurePath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage
from django.template.defaultfilters import filesizeformat
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError


@dataclass(frozen=True)
class FileType:
    content_type: str
    extension: str  # without the dot: what a stored file of this type is named
    is_image: bool = False
    # Other endings a file of this type may legitimately have.
    aliases: tuple[str, ...] = ()

    @property
    def extensions(self) -> tuple[str, ...]:
        return (self.extension, *self.aliases)


PDF = FileType("application/pdf", "pdf")
PNG = FileType("image/png", "png", is_image=True)
JPEG = FileType("image/jpeg", "jpg", is_image=True, aliases=("jpeg", "jpe", "jfif"))
GIF = FileType("image/gif", "gif", is_image=True)
WEBP = FileType("image/webp", "webp", is_image=True)
DOCX = FileType(
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "docx",
    aliases=("docm", "dotx"),
)
PPTX = FileType(
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "pptx",
    aliases=("ppsx", "pptm", "potx"),
)
XLSX = FileType(
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "xlsx",
    aliases=("xlsm", "xltx"),
)
DOC = FileType("application/msword", "doc", aliases=("dot",))
PPT = FileType("application/vnd.ms-powerpoint", "ppt", aliases=("pps", "pot"))
XLS = FileType("application/vnd.ms-excel", "xls", aliases=("xlt",))

IMAGE_TYPES = (PNG, JPEG, GIF, WEBP)
MATERIAL_TYPES = (PDF, *IMAGE_TYPES, PPTX, DOCX, XLSX, PPT, DOC, XLS)

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# The main part of an Office Open XML package, as named in [Content_Types].xml.
OOXML_MAIN_PARTS = (
    (b"presentationml.presentation.main+xml", PPTX),
    (b"presentationml.slideshow.main+xml", PPTX),
    (b"wordprocessingml.document.main+xml", DOCX),
    (b"spreadsheetml.sheet.main+xml", XLSX),
)
# The stream that makes a legacy (OLE compound) file a presentation, document or workbook.
OLE_STREAMS = (
    ("PowerPoint Document".encode("utf-16-le"), PPT),
    ("WordDocument".encode("utf-16-le"), DOC),
    ("Workbook".encode("utf-16-le"), XLS),
)
# [Content_Types].xml is a few KB; a bigger one is not an Office file we want to read.
MAX_CONTENT_TYPES_BYTES = 1024 * 1024
CHUNK = 1024 * 1024


def _read_all(upload) -> bytes:
    upload.seek(0)
    data = upload.read()
    upload.seek(0)
    return data


def _ooxml_type(upload) -> FileType | None:
    upload.seek(0)
    try:
        with zipfile.ZipFile(upload) as package:
            info = package.getinfo("[Content_Types].xml")
            if info.file_size > MAX_CONTENT_TYPES_BYTES:
                return None
            content_types = package.read(info)
    except (zipfile.BadZipFile, KeyError, OSError, RuntimeError, NotImplementedError):
        return None
    finally:
        upload.seek(0)
    for marker, file_type in OOXML_MAIN_PARTS:
        if marker in content_types:
            return file_type
    return None


def _ole_type(upload) -> FileType | None:
    # The directory of a compound file holds its stream names in UTF-16; reading
    # in overlapping chunks finds them wherever the directory sectors lie.
    upload.seek(0)
    overlap = max(len(name) for name, _type in OLE_STREAMS)
    tail = b""
    try:
        while chunk := upload.read(CHUNK):
            window = tail + chunk
            for name, file_type in OLE_STREAMS:
                if name in window:
                    return file_type
            tail = window[-overlap:]
    finally:
        upload.seek(0)
    return None


def detect_type(upload) -> FileType | None:
    """The type of `upload` (a file object) from its first bytes, or None when unknown."""
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith((b"GIF87a", b"GIF89a")):
        return GIF
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    if head.startswith(b"PK\x03\x04"):
        return _ooxml_type(upload)
    if head.startswith(OLE_MAGIC):
        return _ole_type(upload)
    return None


def _size_of(upload) -> int:
    size = getattr(upload, "size", None)
    if size is None:
        upload.seek(0, os.SEEK_END)
        size = upload.tell()
        upload.seek(0)
    return size


def _check_size(upload, limit: int) -> None:
    if _size_of(upload) > limit:
        raise ValidationError(
            _("The file is too large: at most %(limit)s.") % {"limit": filesizeformat(limit)},
            code="too_large",
        )


def check_material(upload) -> FileType:
    """The type of a course material, or ValidationError when it is not one we accept."""
    _check_size(upload, settings.ESCHOOL_MAX_MATERIAL_BYTES)
    file_type = detect_type(upload)
    if file_type is None or file_type not in MATERIAL_TYPES:
        raise ValidationError(
            _(
                "This file is not a PDF, a picture (PNG, JPEG, GIF, WebP) or an Office "
                "document (Word, PowerPoint, Excel), whatever its name says."
            ),
            code="wrong_type",
        )
    _check_name_agrees(upload, file_type)
    if file_type.is_image:
        _open_image(upload).close()
    return file_type


KNOWN_EXTENSIONS = {ext for file_type in MATERIAL_TYPES for ext in file_type.extensions}


def _check_name_agrees(upload, file_type: FileType) -> None:
    # The content decides the type; a name that claims another known type would
    # mislead whoever downloads it (a picture saved as "试卷.pdf"), so it is refused.
    extension = PurePath(getattr(upload, "name", "") or "").suffix.lower().lstrip(".")
    if extension in KNOWN_EXTENSIONS and extension not in file_type.extensions:
        raise ValidationError(
            _(
                "The name of this file ends in .%(extension)s, but its content is a "
                "%(actual)s file. Rename it or choose the right file."
            )
            % {"extension": extension, "actual": file_type.extension.upper()},
            code="name_mismatch",
        )


def _pixel_error(limit: int) -> ValidationError:
    return ValidationError(
        _("The picture is too large: at most %(megapixels)s million pixels.")
        % {"megapixels": f"{limit / 1_000_000:g}"},
        code="too_many_pixels",
    )


def _open_image(upload) -> Image.Image:
    """The image decoded and verified; ValidationError for anything Pillow cannot read safely."""
    limit = settings.ESCHOOL_MAX_IMAGE_PIXELS
    data = _read_all(upload)
    # Pillow refuses outright at twice MAX_IMAGE_PIXELS and warns above it; the
    # warning is made an error, so anything over the limit is refused.
    Image.MAX_IMAGE_PIXELS = limit
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                if probe.width * probe.height > limit:
                    raise _pixel_error(limit)
                probe.verify()
            image = Image.open(io.BytesIO(data))
            image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _pixel_error(limit) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
        # Pillow reports truncated or corrupt data with these.
        raise ValidationError(
            _("This picture cannot be read; it may be damaged."), code="bad_image"
        ) from None
    return image


def check_image(upload) -> FileType:
    """The type of a picture to be shown on a page, or ValidationError.

    Accepts PNG, JPEG, GIF and WebP up to ESCHOOL_MAX_IMAGE_BYTES and
    ESCHOOL_MAX_IMAGE_PIXELS; the picture is decoded in full, so a damaged
    one is refused here rather than failing later.
    """
    file_type = _check_image_file(upload)
    _open_image(upload).close()
    return file_type


def _check_image_file(upload) -> FileType:
    _check_size(upload, settings.ESCHOOL_MAX_IMAGE_BYTES)
    file_type = detect_type(upload)
    if file_type not in IMAGE_TYPES:
        raise ValidationError(
            _("This file is not a picture (PNG, JPEG, GIF or WebP), whatever its name says."),
            code="wrong_type",
        )
    return file_type


def bounded_image(upload, *, max_side: int = 1600, name: str = "image") -> ContentFile:
    """`upload` checked by check_image and re-encoded at most `max_side` px on its longest side.

    Pictures with transparency become PNG, all others JPEG; the camera's
    rotation is applied and its metadata (EXIF, location) dropped.
    """
    _check_image_file(upload)
    image = _open_image(upload)
    try:
        image = ImageOps.exif_transpose(image)
        image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
        has_alpha = image.mode in {"RGBA", "LA", "PA"} or (
            image.mode == "P" and "transparency" in image.info
        )
        out = io.BytesIO()
        if has_alpha:
            image.convert("RGBA").save(out, format="PNG", optimize=True)
            extension = "png"
        else:
            image.convert("RGB").save(out, format="JPEG", quality=82, optimize=True)
            extension = "jpg"
    finally:
        image.close()
    return ContentFile(out.getvalue(), name=f"{PurePath(name).stem or 'image'}.{extension}")


@deconstructible(path="eschool.core.uploads.PrivateStorage")
class PrivateStorage(FileSystemStorage):
    """Files under ESCHOOL_PRIVATE_ROOT, which no web server serves.

    The folder is read from the settings at each use, so tests (and a server
    whose settings change) store where the settings say.
    """

    def __init__(self, **kwargs):
        kwargs.pop("location", None)
        super().__init__(**kwargs)

    @property
    def base_location(self):
        return str(settings.ESCHOOL_PRIVATE_ROOT)

    @property
    def location(self):
        return os.path.abspath(self.base_location)

    def url(self, name):
        raise ValueError("private files have no public URL; serve them through a view")


_private_storage = PrivateStorage()


def private_storage() -> PrivateStorage:
    """For FileField(storage=private_storage): files kept out of MEDIA_ROOT."""
    return _private_storage
