"""WebSocket routes of every app, gathered for config.asgi (each app keeps its own routing.py)."""

websocket_urlpatterns: list = []

from eschool.tutoring.routing import websocket_urlpatterns as tutoring_routes  # noqa: E402

websocket_urlpatterns += tutoring_routes

from eschool.chat.routing import websocket_urlpatterns as chat_routes  # noqa: E402

websocket_urlpatterns += chat_routes

from eschool.live.routing import websocket_urlpatterns as live_routes  # noqa: E402

websocket_urlpatterns += live_routes
