"""``manage.py anonymise_petitions [--days N] [--dry-run]``: data retention (see petitions.retention)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from petitions.retention import petitions_anonymise, petitions_due_for_anonymisation, retention_cutoff


class Command(BaseCommand):
    help = "Remove citizens' personal data from petitions whose case ended more than RETENTION_DAYS ago."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=int, default=None, help="Override RETENTION_DAYS for this run.")
        parser.add_argument("--dry-run", action="store_true", help="Only count the petitions that are due.")

    def handle(self, *args: Any, days: int | None, dry_run: bool, **options: Any) -> None:
        if days is not None and days < 1:
            self.stderr.write("--days must be at least 1")
            raise SystemExit(2)
        cutoff = retention_cutoff(days=days)
        if dry_run:
            due = petitions_due_for_anonymisation(cutoff=cutoff).count()  # type: ignore[attr-defined]
            self.stdout.write(f"{due} petitions ended before {cutoff:%Y-%m-%d} would be anonymised.")
            return
        report = petitions_anonymise(days=days)
        self.stdout.write(
            f"Anonymised {report.petitions} petitions ended before {cutoff:%Y-%m-%d}; "
            f"deleted {report.photos} photos."
        )
