from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from routing.management.progress import progress_bar
from routing.units import load_units


class Command(BaseCommand):
    help = "Create or update the central committee, 34 provinces and 3,321 communes (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        quiet = options["verbosity"] == 0

        def progress(items: Any) -> Any:
            return progress_bar(items, stream=self.stderr, desc="units", unit="unit", quiet=quiet)

        report = load_units(progress=progress)
        levels = ", ".join(f"{level}: {count}" for level, count in report.by_level.items())
        self.stdout.write(
            self.style.SUCCESS(
                f"Units in the register ({levels}). Created {report.created}, updated {report.updated}, "
                f"unchanged {report.unchanged}, deactivated {report.deactivated}."
            )
        )
