"""A trigram index on the folded petition text, so database search on PostgreSQL avoids a full scan.

The database backend matches words with ``search_text LIKE '%word%'``; a GIN index with
``gin_trgm_ops`` answers such patterns (of three characters or more) from the index. pg_trgm
is a trusted extension (PostgreSQL 13+): the database owner may create it. SQLite has no such
index; the migration does nothing there.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations

CREATE = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS petition_search_text_trgm_idx "
    "ON petitions_petition USING gin (search_text gin_trgm_ops)",
]
DROP = ["DROP INDEX IF EXISTS petition_search_text_trgm_idx"]


def _run(statements: list[str]) -> Any:
    def run(apps: Any, schema_editor: Any) -> None:
        if schema_editor.connection.vendor != "postgresql":
            return
        for statement in statements:
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("search", "0001_initial"),
        ("petitions", "0006_petition_search_text"),
    ]

    operations = [migrations.RunPython(_run(CREATE), _run(DROP))]
