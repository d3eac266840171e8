"""Copy each petition's category onto its case (counts per topic without joining the petitions).

Written to run while the previous release still serves (docs/operations.md): the column is
nullable (the previous release inserts cases without it; a later release fills what it wrote
and sets NOT NULL), and the backfill commits in batches of ids, so no statement holds the cases
for long. On PostgreSQL each batch is one ``UPDATE … FROM``; elsewhere (the embedded SQLite) one
set-based update.
"""

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import OuterRef, Subquery

BATCH = 50_000


def copy_categories(apps, schema_editor):
    Case = apps.get_model("routing", "Case")
    Petition = apps.get_model("petitions", "Petition")
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        Case.objects.filter(category__isnull=True).update(
            category_id=Subquery(
                Petition.objects.filter(pk=OuterRef("petition_id")).order_by().values("category_id")[:1]
            )
        )
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(min(id), 0), coalesce(max(id), -1) FROM routing_case")
        low, high = cursor.fetchone()
        for start in range(low, high + 1, BATCH):
            cursor.execute(
                "UPDATE routing_case c SET category_id = p.category_id FROM petitions_petition p"
                " WHERE p.id = c.petition_id AND c.category_id IS NULL AND c.id >= %s AND c.id < %s",
                [start, start + BATCH],
            )


class Migration(migrations.Migration):
    # Each backfill batch commits on its own (no transaction around the whole migration).
    atomic = False

    dependencies = [
        ("petitions", "0009_search_text_whole_words"),
        ("routing", "0005_case_triaged_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="case",
            name="category",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="petitions.category",
                verbose_name="category",
            ),
        ),
        migrations.RunPython(copy_categories, migrations.RunPython.noop, elidable=True),
        migrations.AddIndex(
            model_name="case",
            index=models.Index(fields=["unit", "category"], name="case_unit_category_idx"),
        ),
    ]
