from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from search.base import SearchUnavailable
from search.elastic import ElasticBackend

#: Seconds between two tries while waiting for the engine.
RETRY_SECONDS = 2.0


class Command(BaseCommand):
    help = "Create the search index behind its alias if there is none (idempotent); then run search_reindex."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--wait",
            type=float,
            default=0.0,
            metavar="SECONDS",
            help="keep trying this long while the search engine does not answer (e.g. it is starting)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.SEARCH_URL:
            raise CommandError(
                "Neither ELASTICSEARCH_URL nor OPENSEARCH_URL is set: search runs in the database, "
                "which needs no index."
            )
        deadline = time.monotonic() + max(options["wait"], 0.0)
        while True:
            backend = ElasticBackend()
            try:
                created = backend.ensure_index()
                added = [] if created else backend.add_new_fields()
                behind = backend.indices()
                break
            except SearchUnavailable as exc:
                if time.monotonic() + RETRY_SECONDS > deadline:
                    raise CommandError(str(exc)) from exc
                self.stderr.write(
                    f"The search engine does not answer yet; trying again in {RETRY_SECONDS:.0f} s."
                )
                time.sleep(RETRY_SECONDS)
        if created:
            self.stdout.write(self.style.SUCCESS(f"Created index {created} behind alias {backend.alias}."))
        elif added:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Added the fields {', '.join(added)} to the mapping of {', '.join(behind)}; "
                    "documents written before gain them when written again (search_reindex fills them all)."
                )
            )
        else:
            self.stdout.write(f"Alias {backend.alias} already points to {', '.join(behind)}; nothing to do.")
