"""nginx-rtmp's callbacks (deploy/nginx/rtmp.conf), included at /rtmp/ in config/urls.py.

The paths are spelled exactly as in rtmp.conf: nginx-rtmp would take a redirect (for a
missing slash) as a rename of the stream.
"""

from django.urls import path

from eschool.live import rtmp

app_name = "rtmp"

urlpatterns = [
    path("publish/", rtmp.on_publish, name="publish"),
    path("play/", rtmp.on_play, name="play"),
    path("update/", rtmp.on_update, name="update"),
    path("publish-done/", rtmp.on_publish_done, name="publish_done"),
]
