from django.urls import path

from eschool.chat.consumers import ChatConsumer

websocket_urlpatterns = [
    path("ws/sessions/<int:pk>/chat/", ChatConsumer.as_asgi()),
]
