"""The leader pages' "open now" counts read from one partial index (routing.metrics).

On PostgreSQL the index is built ``CONCURRENTLY``: a million cases keep taking writes meanwhile
(outside a transaction, hence ``atomic = False``); elsewhere as a plain index. An index-only scan
reads the table for every page not marked all-visible since its last change, so the cases table is
vacuumed after 2 % of its rows changed instead of PostgreSQL's default 20 % (a million cases:
every 20,000 changes, not 200,000; measured, the open count took 280 ms with a tenth of the pages
all-visible and 25 ms after a vacuum).
"""

from django.db import migrations, models

from config.dbops import AddIndexConcurrentlyOnPostgreSQL

TUNED = "autovacuum_vacuum_scale_factor = 0.02, autovacuum_vacuum_insert_scale_factor = 0.02"


def tune_autovacuum(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"ALTER TABLE routing_case SET ({TUNED})")


def untune_autovacuum(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "ALTER TABLE routing_case RESET (autovacuum_vacuum_scale_factor, autovacuum_vacuum_insert_scale_factor)"
        )


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("routing", "0012_daily_rollups"),
    ]

    operations = [
        AddIndexConcurrentlyOnPostgreSQL(
            model_name="case",
            index=models.Index(
                condition=models.Q(
                    state__in=(
                        "submitted",
                        "in_progress",
                        "awaiting_agency",
                        "awaiting_citizen",
                        "pending_approval",
                        "responded",
                    )
                ),
                fields=["unit", "category", "state", "is_overdue"],
                name="case_open_counts_idx",
            ),
        ),
        migrations.RunPython(tune_autovacuum, untune_autovacuum),
    ]
