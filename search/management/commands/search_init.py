from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from search.base import SearchUnavailable
from search.elastic import ElasticBackend


class Command(BaseCommand):
    help = "Create the search index behind its alias if there is none (idempotent); then run search_reindex."

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.SEARCH_URL:
            raise CommandError(
                "Neither ELASTICSEARCH_URL nor OPENSEARCH_URL is set: search runs in the database, "
                "which needs no index."
            )
        backend = ElasticBackend()
        try:
            created = backend.ensure_index()
            behind = backend.indices()
        except SearchUnavailable as exc:
            raise CommandError(str(exc)) from exc
        if created:
            self.stdout.write(self.style.SUCCESS(f"Created index {created} behind alias {backend.alias}."))
        else:
            self.stdout.write(f"Alias {backend.alias} already points to {', '.join(behind)}; nothing to do.")
