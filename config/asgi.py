import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.conf import settings  # noqa: E402

from config.routing import websocket_urlpatterns  # noqa: E402
from eschool.core.request_line import request_line  # noqa: E402
from eschool.watching.asgi import heartbeats_fast_path  # noqa: E402


def build_application(http_app):
    """HTTP by `http_app`, WebSockets by the consumers (bench/heartbeats.py builds both ways)."""
    return ProtocolTypeRouter(
        {
            "http": http_app,
            # The session cookie authenticates a socket; the Origin check stops another site's
            # page from opening one with it.
            "websocket": AllowedHostsOriginValidator(
                AuthMiddlewareStack(URLRouter(websocket_urlpatterns))
            ),
        }
    )


# On Redis, a valid heartbeat batch is accepted before Django (no middleware, no thread, no
# query): at 8:00 heartbeats are the load. On the embedded default this is django_asgi_app.
# Behind the fast path, at most ESCHOOL_REQUESTS_PER_WORKER requests are in Django at once:
# each holds a database connection, and PostgreSQL refuses more than max_connections.
application = build_application(
    heartbeats_fast_path(request_line(django_asgi_app, limit=settings.ESCHOOL_REQUESTS_PER_WORKER))
)
