from django.urls import path

from eschool.live.consumers import IngestConsumer

websocket_urlpatterns = [
    path("ws/live/<int:session_pk>/ingest/", IngestConsumer.as_asgi()),
]
