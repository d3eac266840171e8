from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand

from petitions.attachments import attachments_purge_stale


class Command(BaseCommand):
    help = "Delete photos uploaded into submission forms that were never sent (older than --hours)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--hours", type=int, default=24)

    def handle(self, *args: Any, **options: Any) -> None:
        count = attachments_purge_stale(older_than=dt.timedelta(hours=options["hours"]))
        self.stdout.write(self.style.SUCCESS(f"Deleted {count} staged photos."))
