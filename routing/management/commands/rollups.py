from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from routing.rollups import rollups_catch_up, rollups_check, rollups_rebuild


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError as error:
        raise CommandError(f"not a date (YYYY-MM-DD): {value}") from error


class Command(BaseCommand):
    help = (
        "The leader pages' daily rollups: catch up (the periodic job's work, the default), "
        "--rebuild them from the cases, or --check them against a recount (exits 1 on a difference)."
    )

    def add_arguments(self, parser: Any) -> None:
        action = parser.add_mutually_exclusive_group()
        action.add_argument("--rebuild", action="store_true", help="rebuild the days from the cases")
        action.add_argument("--check", action="store_true", help="recount the days and compare")
        parser.add_argument("--since", type=_date, help="first day (default: the first case's)")
        parser.add_argument("--until", type=_date, help="last day (default: the last rolled-up day)")

    def handle(self, *args: Any, **options: Any) -> None:
        since, until = options["since"], options["until"]
        if options["check"]:
            mismatches = rollups_check(since=since, until=until)
            for mismatch in mismatches[:20]:
                self.stderr.write(f"{mismatch.key}: stored {mismatch.stored}, counted {mismatch.counted}")
            if mismatches:
                raise CommandError(
                    f"{len(mismatches)} rollup rows differ from a recount; run `manage.py rollups --rebuild`",
                    returncode=1,
                )
            self.stdout.write(self.style.SUCCESS("The rollups equal a recount from the cases."))
            return
        if options["rebuild"]:
            report = rollups_rebuild(since=since, until=until)
            self.stdout.write(
                self.style.SUCCESS(f"Rebuilt {report.days} days ({report.rows} rows) in {report.seconds} s.")
            )
            return
        caught = rollups_catch_up()
        self.stdout.write(
            self.style.SUCCESS(
                f"Rolled up through {caught.through}: {caught.days} days rebuilt ({caught.rows} rows) "
                f"after {caught.events} events on {caught.cases} cases, in {caught.seconds} s."
            )
        )
