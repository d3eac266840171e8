from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        # receivers connects the outbox to case events on import; live pushes changes to
        # websockets after commit.
        from notifications import live, receivers  # noqa: F401

        live.connect()
