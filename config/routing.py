"""WebSocket routes of every app, gathered for config.asgi (each app keeps its own routing.py)."""

websocket_urlpatterns: list = []
