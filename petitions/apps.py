from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PetitionsConfig(AppConfig):
    name = "petitions"
    verbose_name = _("Petitions")

    def ready(self) -> None:
        # Connects co-signers' carrying to the case events' transaction (mark_duplicate).
        from petitions import receivers  # noqa: F401
