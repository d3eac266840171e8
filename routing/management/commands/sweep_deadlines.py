from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from routing.sweep import sweep_deadlines


class Command(BaseCommand):
    help = "Escalate untriaged cases, mark overdue ones, record reminders and auto-close responded cases."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--batch-size", type=int, default=2000)

    def handle(self, *args: Any, **options: Any) -> None:
        report = sweep_deadlines(batch_size=options["batch_size"])
        self.stdout.write(
            self.style.SUCCESS(
                f"Escalated {report.escalated}, marked overdue {report.overdue}, "
                f"reminders {report.reminded}, auto-closed {report.auto_closed}, "
                f"citizens reminded {report.citizens_reminded}, returned without an answer {report.unanswered}."
            )
        )
