"""Send the notifications that are due now (the job engine does this after every change)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from notifications.sending import drain


class Command(BaseCommand):
    help = "Send due notifications from the outbox: retries after a gateway or worker outage."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--batch-size", type=int, default=100)

    def handle(self, *args: Any, **options: Any) -> None:
        report = drain(batch_size=options["batch_size"])
        if options["verbosity"]:
            self.stdout.write(
                f"claimed {report.claimed}, sent {report.sent}, to retry {report.retried}, failed {report.failed}"
            )
