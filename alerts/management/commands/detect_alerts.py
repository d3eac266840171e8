from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from alerts.services import alerts_detect


class Command(BaseCommand):
    help = "Look for emerging-issue spikes (place × topic or word, last 24 and 72 hours) and raise or update alerts."

    def handle(self, *args: Any, **options: Any) -> None:
        report = alerts_detect()
        self.stdout.write(
            self.style.SUCCESS(
                f"Spikes {report.spikes}: raised {len(report.raised)}, updated {len(report.updated)} alerts; "
                f"{report.digests} digest e-mails to leaders."
            )
        )
