"""Rewrite ``Petition.search_text`` as whole folded words (``search.documents.search_text``).

Before, it was the folded title and text as written, and the database search matched any
substring (``ho`` matched ``pho``); now each word stands between spaces, title then a bar then text.
"""

import re
import unicodedata

from django.db import migrations

BATCH_SIZE = 1000
_WORD = re.compile(r"\w+")


def _fold(text):
    # Frozen copies of search.documents.fold and search_text as they were when this was written.
    lowered = unicodedata.normalize("NFC", text or "").lower().replace("đ", "d")
    return "".join(c for c in unicodedata.normalize("NFD", lowered) if not unicodedata.combining(c))


def _search_text(title, text):
    return f" {' '.join(_WORD.findall(_fold(title)))} | {' '.join(_WORD.findall(_fold(text)))} "


def rewrite(apps, schema_editor):
    Petition = apps.get_model("petitions", "Petition")
    last = 0
    while True:
        batch = list(Petition.objects.filter(pk__gt=last).order_by("pk").only("pk", "title", "text")[:BATCH_SIZE])
        if not batch:
            return
        for petition in batch:
            petition.search_text = _search_text(petition.title, petition.text)
        Petition.objects.bulk_update(batch, ["search_text"])
        last = batch[-1].pk


class Migration(migrations.Migration):
    dependencies = [("petitions", "0008_petition_anonymised_at")]

    operations = [migrations.RunPython(rewrite, migrations.RunPython.noop, elidable=True)]
