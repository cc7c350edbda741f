"""The development server sends media with the headers nginx sends in production."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    live = tmp_path / "live" / "7"
    live.mkdir(parents=True)
    (live / "index.m3u8").write_text("#EXTM3U\n#EXT-X-PLAYLIST-TYPE:EVENT\n")
    (live / "seg-00001.ts").write_bytes(b"\x47" * 188)
    replay = tmp_path / "replays" / "7" / "3" / "360p"
    replay.mkdir(parents=True)
    (replay.parent / "master.m3u8").write_text("#EXTM3U\n")
    (replay / "index.m3u8").write_text("#EXTM3U\n#EXT-X-ENDLIST\n")
    (replay / "seg-00000.ts").write_bytes(b"\x47" * 188)
    (tmp_path / "covers").mkdir()
    (tmp_path / "covers" / "a.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    return tmp_path


@pytest.mark.parametrize(
    ("path", "content_type", "cache_control"),
    [
        ("live/7/index.m3u8", "application/vnd.apple.mpegurl", "public, max-age=1"),
        ("live/7/seg-00001.ts", "video/mp2t", "public, max-age=31536000, immutable"),
        ("replays/7/3/master.m3u8", "application/vnd.apple.mpegurl", "public, max-age=300"),
        ("replays/7/3/360p/index.m3u8", "application/vnd.apple.mpegurl", "public, max-age=300"),
        ("replays/7/3/360p/seg-00000.ts", "video/mp2t", "public, max-age=31536000, immutable"),
    ],
)
def test_playlists_and_segments(client, media, path, content_type, cache_control):
    response = client.get(f"/media/{path}")
    assert response.status_code == 200
    assert response["Content-Type"] == content_type
    assert response["Cache-Control"] == cache_control
    assert "Access-Control-Allow-Origin" not in response  # same origin: no CORS needed
    assert b"".join(response.streaming_content) == (media / path).read_bytes()


def test_other_media_and_missing_files_keep_the_defaults(client, media):
    cover = client.get("/media/covers/a.png")
    assert cover.status_code == 200
    assert cover["Content-Type"] == "image/png"
    assert "Cache-Control" not in cover
    assert client.get("/media/live/7/missing.m3u8").status_code == 404
    assert client.get("/media/../secret.m3u8").status_code in {400, 404}  # never outside
