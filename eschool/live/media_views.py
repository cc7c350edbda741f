"""MEDIA_ROOT served by the app in development, with the caching headers nginx sends in production.

See docs/deploy-nginx-media.md. The rules go by folder, as an nginx `location` can: playlists
under live/ change every segment while live (max-age=1; the same URL becomes the replay, and a
broadcast resumed within its window reopens it); a packaged upload's playlists under replays/
are written once (a new upload gets a new folder), so they may be cached for minutes; segments
never change, so they are cached for a year.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.views.static import serve

LIVE_PLAYLIST_CACHE = "public, max-age=1"
REPLAY_PLAYLIST_CACHE = "public, max-age=300"
SEGMENT_CACHE = "public, max-age=31536000, immutable"
TYPES = {".m3u8": "application/vnd.apple.mpegurl", ".ts": "video/mp2t"}


def cache_control_for(path: str) -> str | None:
    """The Cache-Control header of a media file, by its path under MEDIA_ROOT (None: default)."""
    suffix = Path(path).suffix.lower()
    if suffix == ".ts":
        return SEGMENT_CACHE
    if suffix == ".m3u8":
        return REPLAY_PLAYLIST_CACHE if path.startswith("replays/") else LIVE_PLAYLIST_CACHE
    return None


def media(request, path):
    # Read settings per request, so tests can point MEDIA_ROOT elsewhere.
    response = serve(request, path, document_root=settings.MEDIA_ROOT)
    suffix = Path(path).suffix.lower()
    if response.status_code == 200 and suffix in TYPES:
        response["Content-Type"] = TYPES[suffix]
        response["Cache-Control"] = cache_control_for(path)
    return response
