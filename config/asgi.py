"""ASGI entry point: HTTP through Django, WebSockets through Channels."""

from __future__ import annotations

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

from channels.routing import ProtocolTypeRouter, URLRouter
from channels.security.websocket import AllowedHostsOriginValidator
from channels.sessions import SessionMiddlewareStack
from django.conf import settings
from django.core.asgi import get_asgi_application

django_asgi_app = get_asgi_application()

from config.jobs import serve_on_thread  # noqa: E402

serve_on_thread()  # in-process jobs leave the requests for the jobs thread

from config import memory  # noqa: E402

memory.install()  # SIGUSR2 writes where memory grew, when PYTHONTRACEMALLOC is set
if settings.DEBUG:
    # The embedded default serves static files itself; production puts a proxy in front.
    from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler

    django_asgi_app = ASGIStaticFilesHandler(django_asgi_app)

from config.bodies import RequestBodyLimit, cap_daphne_request_bodies  # noqa: E402

# Bodies over the cap are dropped as they arrive (daphne keeps them otherwise) and refused with 413.
cap_daphne_request_bodies(settings.REQUEST_BODY_MAX_BYTES)
http_app = RequestBodyLimit(django_asgi_app, max_bytes=settings.REQUEST_BODY_MAX_BYTES)

# Imported after Django is set up: the consumers import models.
from notifications.routes import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": http_app,
        # Sockets only from this site's own pages (Origin against ALLOWED_HOSTS), with the
        # session of the browser's cookie, loaded when a consumer reads it. Not channels'
        # AuthMiddleware: it loads the user in a thread of its own for every handshake, a
        # citizen's too; the staff consumers load it in the thread where they authorise.
        "websocket": AllowedHostsOriginValidator(SessionMiddlewareStack(URLRouter(websocket_urlpatterns))),
    }
)
