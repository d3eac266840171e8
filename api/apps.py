from __future__ import annotations

from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "api"
    verbose_name = "API"

    def ready(self) -> None:
        # Registers the partner key's security scheme with drf-spectacular.
        from api import schema  # noqa: F401
