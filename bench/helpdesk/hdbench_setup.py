"""Migrate django-helpdesk's database and make sure a public queue exists (run in its virtualenv)."""

import os
import sys

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hdbench_settings")

import django

django.setup()

from django.core.management import call_command  # noqa: E402

call_command("migrate", "--noinput", verbosity=0)
from helpdesk.models import Queue  # noqa: E402

queue, created = Queue.objects.get_or_create(
    slug="public",
    defaults={"title": "Public requests", "allow_public_submission": True},
)
if not queue.allow_public_submission:
    queue.allow_public_submission = True
    queue.save()
print(f"queue {queue.slug} id={queue.pk} {'created' if created else 'exists'}")
sys.exit(0)
