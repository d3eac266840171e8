"""Staged files keep a keyed hash of their uploader's session, never the key itself; claimed files
keep nothing of it. The public list of published petitions gets its index, and the consent its
wording (the petition is published with its response, and may be co-signed)."""

from django.db import migrations, models
from django.utils.crypto import salted_hmac


def hash_staging_keys(apps, schema_editor):
    for name in ("Attachment", "Document"):
        model = apps.get_model("petitions", name)
        # Claimed files belong to their petition: set-based.
        model.objects.filter(petition__isnull=False).exclude(session_key="").update(session_key="")
        # Staged ones (a day's worth at most: the purge deletes older) keep the hash the code now looks for.
        for pk, key in (
            model.objects.filter(petition__isnull=True)
            .exclude(session_key="")
            .values_list("pk", "session_key")
        ):
            hashed = salted_hmac("petitions.staging", key, algorithm="sha256").hexdigest()
            model.objects.filter(pk=pk).update(session_key=hashed)


class Migration(migrations.Migration):
    dependencies = [
        ("petitions", "0015_phone_codes_and_cosigners"),
    ]

    operations = [
        migrations.AlterField(
            model_name="petition",
            name="consent_publish",
            field=models.BooleanField(
                default=False, verbose_name="consents to publish the petition and response"
            ),
        ),
        migrations.AddIndex(
            model_name="petition",
            index=models.Index(
                condition=models.Q(("consent_publish", True)),
                fields=["-submitted_at", "-id"],
                name="petition_published_idx",
            ),
        ),
        # Not undone: a hash cannot give the session key back (staged files are then re-uploaded).
        migrations.RunPython(hash_staging_keys, migrations.RunPython.noop),
    ]
