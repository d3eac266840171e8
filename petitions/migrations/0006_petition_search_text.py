import unicodedata

from django.db import migrations, models

BATCH_SIZE = 1000


def _fold(text):
    # A frozen copy of search.documents.fold as it was when this migration was written.
    lowered = unicodedata.normalize("NFC", text or "").lower().replace("đ", "d")
    return "".join(c for c in unicodedata.normalize("NFD", lowered) if not unicodedata.combining(c))


def backfill(apps, schema_editor):
    Petition = apps.get_model("petitions", "Petition")
    last = 0
    while True:
        batch = list(Petition.objects.filter(pk__gt=last).order_by("pk").only("pk", "title", "text")[:BATCH_SIZE])
        if not batch:
            return
        for petition in batch:
            petition.search_text = _fold(f"{petition.title} {petition.text}")
        Petition.objects.bulk_update(batch, ["search_text"])
        last = batch[-1].pk


class Migration(migrations.Migration):
    dependencies = [("petitions", "0005_petition_sms_opt_out")]

    operations = [
        migrations.AddField(
            model_name="petition",
            name="search_text",
            field=models.TextField(blank=True, editable=False, verbose_name="folded title and text"),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop, elidable=True),
    ]
