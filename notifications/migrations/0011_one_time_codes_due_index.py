"""One-time codes waiting to be sent, claimed before the other messages (``notifications.sending``).

Built ``CONCURRENTLY`` on PostgreSQL: the table holds every message ever sent.
"""

from django.db import migrations, models

from config.dbops import AddIndexConcurrentlyOnPostgreSQL


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("notifications", "0010_sweep_digest"),
    ]

    operations = [
        AddIndexConcurrentlyOnPostgreSQL(
            model_name="notification",
            index=models.Index(
                condition=models.Q(("status__in", ["pending", "sending"]), ("template", "phone_code")),
                fields=["next_attempt_at"],
                name="notification_code_due_idx",
            ),
        ),
    ]
