from django.db import migrations

DEFAULTS = {"central": 20, "province": 15, "commune": 10}


def seed(apps, schema_editor):
    SLAPolicy = apps.get_model("routing", "SLAPolicy")
    for level, resolution_days in DEFAULTS.items():
        SLAPolicy.objects.get_or_create(
            level=level,
            category=None,
            defaults={
                "triage_days": 3,
                "resolution_days": resolution_days,
                "feedback_days": 7,
                "max_extension_days": 10,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("routing", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
