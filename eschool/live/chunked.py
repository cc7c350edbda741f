"""Resumable uploads of recorded lessons, in pieces, into the private uploads folder.

A 1 GB lesson over a school's line takes a long time and connections drop. So the browser
sends the file in chunks, each with the offset it starts at; the server appends a chunk only
at the offset it expects (the current size of the file) and answers the new size. After a
dropped connection or a reloaded page the browser asks for the size and goes on from there.
When the last byte is in, the file is checked for a video and handed to
services.recording_from_file, which queues its packaging into the replay.

State is two files per upload in ESCHOOL_PRIVATE_ROOT/uploads: <id>.part (the bytes so far)
and <id>.json (who, which session, the file's name and size, and the recording once made).
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import time
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path

import av
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from eschool.classroom.models import Session
from eschool.live import services
from eschool.live.media import MediaRefused

VIDEO_SUFFIXES = (".mp4", ".mov", ".webm", ".mkv")
# The browser sends 8 MB; a larger chunk is refused so a request never holds too much.
CHUNK_MAX_BYTES = 16 * 1024 * 1024
COPY_BYTES = 1024 * 1024
UPLOAD_ID = re.compile(r"^[0-9a-f]{32}$")


class UploadRefused(Exception):
    """A request the upload cannot take; `message` is translated, `status` the HTTP status.

    `offset` is the size the server has, so the browser knows where to go on from.
    """

    def __init__(self, message: str, *, status: int = 400, offset: int | None = None):
        super().__init__(message)
        self.message = message
        self.status = status
        self.offset = offset


@dataclass
class ChunkedUpload:
    id: str
    session_id: int
    user_id: int
    name: str
    size: int
    last_modified: int | None = None
    recording_id: int | None = None
    started_at: float = 0.0

    @property
    def part(self) -> Path:
        return _folder() / f"{self.id}.part"

    @property
    def meta(self) -> Path:
        return _folder() / f"{self.id}.json"

    @property
    def offset(self) -> int:
        """Bytes received so far (all of them once the recording is made)."""
        if self.recording_id is not None:
            return self.size
        try:
            return self.part.stat().st_size
        except FileNotFoundError:
            return 0

    def as_json(self) -> dict:
        return {
            "id": self.id,
            "name": self.name,
            "size": self.size,
            "offset": self.offset,
            "recording_id": self.recording_id,
        }


def _folder() -> Path:
    return Path(settings.ESCHOOL_PRIVATE_ROOT) / "uploads"


def _save(upload: ChunkedUpload) -> None:
    temporary = upload.meta.with_suffix(".json.tmp")
    temporary.write_text(json.dumps(asdict(upload)), encoding="utf-8")
    temporary.replace(upload.meta)


def refusal_of_name_and_size(name: str, size: int) -> str | None:
    """Why a file is refused before any byte is sent, or None (also used by the plain form)."""
    if not name.lower().endswith(VIDEO_SUFFIXES):
        return _("Upload a video file: MP4, MOV, WebM or MKV.")
    if size <= 0:
        return _("This file is empty.")
    if size > settings.ESCHOOL_MAX_VIDEO_BYTES:
        return _("This file is larger than %(limit)s, the largest recording accepted.") % {
            "limit": filesizeformat(settings.ESCHOOL_MAX_VIDEO_BYTES)
        }
    return None


def upload_start(
    *, actor, session: Session, name: str, size: int, last_modified: int | None = None
) -> ChunkedUpload:
    """Open an upload for the session's teacher or a district admin; nothing received yet."""
    if not services.user_manages_recordings(actor, session):
        raise PermissionDenied
    name = Path(str(name or "")).name[:255]
    refusal = refusal_of_name_and_size(name, size)
    if refusal:
        too_large = size > settings.ESCHOOL_MAX_VIDEO_BYTES
        raise UploadRefused(refusal, status=413 if too_large else 400)
    _folder().mkdir(parents=True, exist_ok=True)
    upload = ChunkedUpload(
        id=uuid.uuid4().hex,
        session_id=session.pk,
        user_id=actor.pk,
        name=name,
        size=size,
        last_modified=last_modified,
        started_at=time.time(),
    )
    upload.part.touch()
    _save(upload)
    return upload


def upload_get(upload_id: str, *, actor) -> ChunkedUpload | None:
    """The upload `actor` started with this id, or None (unknown, expired or someone else's)."""
    if not UPLOAD_ID.match(upload_id or ""):
        return None
    try:
        data = json.loads((_folder() / f"{upload_id}.json").read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return None
    upload = ChunkedUpload(**data)
    if not getattr(actor, "is_authenticated", False) or upload.user_id != actor.pk:
        return None
    return upload


def upload_append(upload: ChunkedUpload, *, actor, offset: int, stream, length: int):
    """Append `length` bytes read from `stream` if they start where the file ends.

    Returns the upload; when the last byte is in, the file has been checked and the
    recording made (upload.recording_id). A chunk at another offset is refused with the
    size the server has (status 409); nothing is ever written twice or out of order.
    """
    if upload.user_id != getattr(actor, "pk", None):
        raise PermissionDenied
    if upload.recording_id is not None:
        raise UploadRefused(_("This upload is already complete."), status=409, offset=upload.size)
    if length <= 0 or length > CHUNK_MAX_BYTES:
        raise UploadRefused(_("This piece of the file is too large."), status=413)
    if not upload.part.exists():
        raise UploadRefused(_("This upload has expired. Please start again."), status=404)
    with open(upload.part, "r+b") as handle:
        # One request at a time per upload: a retried chunk racing its first try waits here.
        fcntl.flock(handle, fcntl.LOCK_EX)
        current = os.fstat(handle.fileno()).st_size
        if offset != current:
            raise UploadRefused(
                _("This piece does not continue the file."), status=409, offset=current
            )
        if current + length > upload.size:
            raise UploadRefused(
                _("This piece goes past the end of the file."), status=413, offset=current
            )
        handle.seek(current)
        written = 0
        while written < length:
            data = stream.read(min(COPY_BYTES, length - written))
            if not data:
                break
            handle.write(data)
            written += len(data)
        if written != length:
            # A connection that broke mid-chunk: keep only whole chunks.
            handle.truncate(current)
            raise UploadRefused(
                _("The connection broke during this piece; it will be sent again."),
                status=400,
                offset=current,
            )
        handle.flush()
        if current + written == upload.size:
            _finish(upload, actor=actor)
    return upload


def _check_video(path: Path) -> None:
    """Refuse at once a complete file without a readable video (the job checks the rest)."""
    try:
        with av.open(str(path), "r") as container:
            if not container.streams.video:
                raise MediaRefused(_("This file has no video in it."))
    except (av.FFmpegError, UnicodeDecodeError) as error:
        raise MediaRefused(_("This file is not a video we can read.")) from error


def _finish(upload: ChunkedUpload, *, actor) -> None:
    try:
        _check_video(upload.part)
    except MediaRefused as refused:
        upload_discard(upload)
        raise UploadRefused(refused.message, status=422) from None
    session = Session.objects.get(pk=upload.session_id)
    final = upload.part.with_name(upload.id + Path(upload.name).suffix.lower())
    upload.part.replace(final)
    try:
        recording = services.recording_from_file(
            actor=actor, session=session, path=final, name=upload.name
        )
    except BaseException:
        upload.meta.unlink(missing_ok=True)
        raise
    upload.recording_id = recording.pk
    _save(upload)


def upload_discard(upload: ChunkedUpload) -> None:
    """Forget an upload and the bytes received (the teacher gave up, or the file was refused)."""
    upload.part.unlink(missing_ok=True)
    upload.meta.unlink(missing_ok=True)


def uploads_forget_stale(*, older_than_days: float = 3) -> int:
    """Delete unfinished uploads nobody continued for a while; returns how many."""
    folder = _folder()
    if not folder.exists():
        return 0
    limit = time.time() - older_than_days * 86400
    removed = 0
    for meta in folder.glob("*.json"):
        part = meta.with_suffix(".part")
        latest = max(meta.stat().st_mtime, part.stat().st_mtime if part.exists() else 0)
        if latest < limit:
            part.unlink(missing_ok=True)
            meta.unlink(missing_ok=True)
            removed += 1
    return removed
