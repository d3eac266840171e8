from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from petitions.demo import DEMO_PASSWORD, DemoSetupError, build_demo
from routing.management.progress import progress_bar
from routing.models import Level, Unit
from routing.units import CENTRAL_CODE, load_units


class Command(BaseCommand):
    help = (
        "Create demo staff accounts and demo petitions in every state of the case lifecycle "
        "(idempotent; loads the units first if they are missing)."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--petitions", type=int, default=300, help="How many demo petitions (default 300)."
        )
        parser.add_argument("--seed", type=int, default=2026, help="Random seed (default 2026).")
        parser.add_argument(
            "--i-know-this-is-production",
            action="store_true",
            dest="production_ok",
            help="Seed even with DJANGO_DEBUG=0 (demo accounts have a published password).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        verbosity = options["verbosity"]
        if settings.PRODUCTION_MODE and not options["production_ok"]:
            raise CommandError(
                "This is production (DJANGO_DEBUG=0): demo accounts, among them a superuser, have a "
                "password published in the README. Add --i-know-this-is-production to seed anyway."
            )
        if options["petitions"] < 0:
            raise CommandError("--petitions must not be negative.")
        if not Unit.objects.filter(code=CENTRAL_CODE, level=Level.CENTRAL).exists():
            loaded = load_units()
            if verbosity:
                self.stdout.write(f"Loaded the administrative units ({loaded.created} created).")

        def progress(plans: Sequence[Any]) -> Iterable[Any]:
            return progress_bar(
                plans, stream=self.stderr, desc="petitions", unit="petition", quiet=verbosity == 0
            )

        try:
            report = build_demo(
                petitions=options["petitions"],
                seed=options["seed"],
                stdout=self.stderr,
                progress=progress,
            )
        except DemoSetupError as exc:
            raise CommandError(str(exc)) from exc
        if verbosity == 0:
            return

        self.stdout.write(self.style.MIGRATE_HEADING(f"Demo accounts (password for all: {DEMO_PASSWORD})"))
        width = max(len(username) for username, _, _ in report.accounts)
        self.stdout.write(f"  {'username':<{width}}  {'role':<8}  unit")
        for username, role, unit in report.accounts:
            self.stdout.write(f"  {username:<{width}}  {role:<8}  {unit}")

        self.stdout.write(
            self.style.MIGRATE_HEADING(
                f"Demo petitions (seed {report.seed}): {report.petitions_created} created, "
                f"{report.petitions_existing} already there"
            )
        )
        for state, count in report.states.items():
            self.stdout.write(f"  {state:<18}{count:>5}")
        self.stdout.write(f"  {'total':<18}{sum(report.states.values()):>5}  ({report.overdue} overdue)")
        self.stdout.write(
            self.style.SUCCESS(
                f"{report.users_created} new accounts, {report.petitions_created} new petitions."
                + (f" {len(report.warnings)} warnings above." if report.warnings else "")
            )
        )
