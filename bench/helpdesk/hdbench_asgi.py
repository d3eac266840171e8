"""Django's own ASGI handler for django-helpdesk (no Channels: helpdesk has no sockets)."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hdbench_settings")

from django.core.asgi import get_asgi_application

application = get_asgi_application()
