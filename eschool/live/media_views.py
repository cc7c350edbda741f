"""MEDIA_ROOT served by the app in development, with the caching headers nginx sends in production.

See docs/deploy-nginx-media.md. The rules go by folder, as an nginx `location` can: playlists
under live/ change every segment while live (max-age=1; the same URL becomes the replay, and a
broadcast resumed within its window reopens it); a packaged upload's playlists under replays/
are written once (a new upload gets a new folder), so they may be cached for minutes; segments
never change, so they are cached for a year.

A playlist is revalidated by its content (an ETag), never by its date: Last-Modified counts
whole seconds, and a live playlist changes several times within one (at the end the last
segment is listed, then #EXT-X-ENDLIST is added, a few milliseconds apart). Asked "modified
since" the second of a copy taken between the two, the date says no: that viewer would be
told 304 and keep the live copy, without its ENDLIST and its last segment, as the replay.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from django.conf import settings
from django.http import HttpResponse
from django.utils.cache import get_conditional_response
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
    suffix = Path(path).suffix.lower()
    if suffix == ".m3u8":
        return _playlist(request, path)
    # Read settings per request, so tests can point MEDIA_ROOT elsewhere.
    response = serve(request, path, document_root=settings.MEDIA_ROOT)
    if response.status_code == 200 and suffix in TYPES:
        response["Content-Type"] = TYPES[suffix]
        response["Cache-Control"] = cache_control_for(path)
    return response


def _playlist(request, path):
    """A playlist with an ETag of its bytes, answered 304 only when they are the same."""
    request.META.pop("HTTP_IF_MODIFIED_SINCE", None)  # never by date (see above)
    served = serve(request, path, document_root=settings.MEDIA_ROOT)
    # The bytes of the file serve() opened: a playlist is replaced by a rename, never rewritten
    # in place, so the ETag names exactly the version sent.
    with served.file_to_stream as handle:
        content = handle.read()
    response = HttpResponse(content, content_type=TYPES[".m3u8"])
    response["Cache-Control"] = cache_control_for(path)
    response["ETag"] = f'"{hashlib.sha256(content).hexdigest()[:32]}"'
    return get_conditional_response(request, etag=response["ETag"], response=response)
