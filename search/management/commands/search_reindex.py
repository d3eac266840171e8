from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from routing.management.progress import progress_bar
from routing.models import Case
from search.base import SearchUnavailable
from search.elastic import ElasticBackend


class _Counted:
    """An iterable with a length, so the progress bar can show how far along it is."""

    def __init__(self, items: Iterable[Any], total: int) -> None:
        self._items = items
        self._total = total

    def __iter__(self) -> Iterator[Any]:
        return iter(self._items)

    def __len__(self) -> int:
        return self._total


class Command(BaseCommand):
    help = (
        "Build a new search index of every case, then swap the alias to it and delete the old one; "
        "searches keep working throughout."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.SEARCH_URL:
            raise CommandError(
                "Neither ELASTICSEARCH_URL nor OPENSEARCH_URL is set: search runs in the database, "
                "which needs no index."
            )
        quiet = options["verbosity"] == 0
        total = Case.objects.count()

        def progress(items: Iterable[Any]) -> Iterable[Any]:
            return progress_bar(
                _Counted(items, total), stream=self.stderr, desc="cases", unit="doc", quiet=quiet
            )

        backend = ElasticBackend()
        try:
            report = backend.reindex(progress=progress)
        except SearchUnavailable as exc:
            raise CommandError(str(exc)) from exc
        removed = ", ".join(report.removed) or "none"
        self.stdout.write(
            self.style.SUCCESS(
                f"Indexed {report.documents} cases into {report.index} in {report.seconds:.1f} s "
                f"(then {report.caught_up} recently changed cases again); alias {report.alias} swapped; "
                f"removed: {removed}."
            )
        )
