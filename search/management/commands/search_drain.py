"""Index the cases waiting in the indexing outbox (the job engine does this after every change)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from search.outbox import drain


class Command(BaseCommand):
    help = "Index the cases that changed and are due: catches up after a search or worker outage."

    def handle(self, *args: Any, **options: Any) -> None:
        report = drain()
        if options["verbosity"]:
            self.stdout.write(f"indexed {report.indexed}, still waiting {report.waiting}")
