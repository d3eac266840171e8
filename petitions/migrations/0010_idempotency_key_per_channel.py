"""Idempotency keys of the JSON API are stored within their interface and partner (``api-12-<key>``).

Open311's keys were stored as ``open311-<partner>-<key>`` already; the API's were stored as the client
sent them, so an API key ``open311-2-x`` took Open311 partner 2's key ``x``. The API's stored keys are
moved into their namespace, in one set-based update, so that a retry of a petition filed before
this release still finds it.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations, models
from django.db.models import Value
from django.db.models.functions import Cast, Coalesce, Concat


def scope_api_keys(apps: Any, schema_editor: Any) -> None:
    Petition = apps.get_model("petitions", "Petition")
    Petition.objects.filter(channel="api", idempotency_key__isnull=False).exclude(idempotency_key="").update(
        idempotency_key=Concat(
            Value("api-"),
            Coalesce(Cast("partner_id", models.CharField()), Value("0")),
            Value("-"),
            "idempotency_key",
            output_field=models.CharField(),
        )
    )


class Migration(migrations.Migration):
    dependencies = [
        ("petitions", "0009_search_text_whole_words"),
    ]

    operations = [
        migrations.AlterField(
            model_name="petition",
            name="idempotency_key",
            field=models.CharField(
                blank=True, max_length=120, null=True, unique=True, verbose_name="idempotency key"
            ),
        ),
        # Not undone: after this release two partners may hold one key, which the old form cannot
        # store twice. A rollback keeps the scoped keys (a retry of an older API petition then files
        # anew, which the per-phone limit and the repeat window still catch).
        migrations.RunPython(scope_api_keys, migrations.RunPython.noop),
    ]
