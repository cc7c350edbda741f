"""Writes of the organisation app: spreadsheet imports and the uploads waiting for them.

The import itself lives in eschool.org.importing (the framework and the kinds of
file); these functions are what views and commands call.
"""

import secrets
import shutil
import time
from pathlib import Path

from django.conf import settings

from eschool.org.importing import ImportResult, import_file
from eschool.org.selectors import import_kinds_for

UPLOAD_DIR = "imports"
# An upload nobody committed is removed after this many seconds.
UPLOAD_LIFETIME = 24 * 60 * 60
_TOKEN_LENGTH = 22


def _upload_root() -> Path:
    return Path(settings.ESCHOOL_PRIVATE_ROOT) / UPLOAD_DIR


def import_upload_store(*, upload, suffix: str) -> str:
    """Save an uploaded spreadsheet under ESCHOOL_PRIVATE_ROOT/imports/<token>/ and return the token.

    The token is random (128 bits) and is the only name of the file.
    """
    import_upload_expire()
    token = secrets.token_urlsafe(16)
    folder = _upload_root() / token
    folder.mkdir(parents=True, exist_ok=False)
    with open(folder / f"upload{suffix}", "wb") as target:
        for chunk in upload.chunks():
            target.write(chunk)
    return token


def import_upload_path(*, token: str) -> Path | None:
    """The stored file of `token`, or None when there is none (or the token is malformed)."""
    if len(token) != _TOKEN_LENGTH or not token.replace("-", "").replace("_", "").isalnum():
        return None
    folder = _upload_root() / token
    files = sorted(folder.glob("upload.*")) if folder.is_dir() else []
    return files[0] if files else None


def import_upload_discard(*, token: str) -> None:
    path = import_upload_path(token=token)
    if path is not None:
        shutil.rmtree(path.parent, ignore_errors=True)


def import_upload_expire(*, older_than: float = UPLOAD_LIFETIME) -> int:
    """Remove uploads older than `older_than` seconds; returns how many were removed."""
    root = _upload_root()
    if not root.is_dir():
        return 0
    limit = time.time() - older_than
    removed = 0
    for folder in root.iterdir():
        if folder.is_dir() and folder.stat().st_mtime < limit:
            shutil.rmtree(folder, ignore_errors=True)
            removed += 1
    return removed


def people_import(*, source, filename: str | None, actor, commit: bool) -> ImportResult:
    """Import a spreadsheet as `actor` may: all kinds for the district, people for a school."""
    return import_file(
        source,
        filename=filename,
        actor=actor,
        commit=commit,
        allowed_kinds=import_kinds_for(user=actor),
    )
