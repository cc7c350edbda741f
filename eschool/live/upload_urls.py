"""Uploading recorded lessons and the replay's chapters (included at "" in config/urls.py)."""

from django.urls import path

from eschool.live import replay_views, upload_views

app_name = "replays"

urlpatterns = [
    path("live/sessions/<int:pk>/upload/", upload_views.upload_page, name="upload"),
    path("live/sessions/<int:pk>/uploads/", upload_views.upload_start, name="upload_start"),
    path("live/uploads/<str:upload_id>/", upload_views.upload_chunks, name="upload_chunks"),
    path(
        "live/recordings/<int:pk>/progress.json",
        upload_views.recording_progress,
        name="progress",
    ),
    path(
        "live/recordings/<int:pk>/replay/",
        upload_views.make_replay,
        name="make_replay",
    ),
    path(
        "live/recordings/<int:recording_pk>/chapters/",
        replay_views.chapter_add,
        name="chapter_add",
    ),
    path(
        "live/chapters/<int:pk>/remove/",
        replay_views.chapter_remove,
        name="chapter_remove",
    ),
]
