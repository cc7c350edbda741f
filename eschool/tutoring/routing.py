from django.urls import path

from eschool.tutoring.consumers import RoomConsumer

websocket_urlpatterns = [
    path("ws/tutoring/<int:session_pk>/", RoomConsumer.as_asgi()),
]
