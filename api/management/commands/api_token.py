"""``manage.py api_token <username>``: give a staff member a new API token and print it."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from rest_framework.authtoken.models import Token

from routing.models import membership_of


class Command(BaseCommand):
    help = (
        "Create a new API token for an active staff member with a unit and print it. "
        "Any earlier token of that user stops working."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument(
            "--revoke", action="store_true", help="Only delete the user's token; print nothing."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.select_related("membership__unit").filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"No user {options['username']!r}.")
        with transaction.atomic():
            Token.objects.filter(user=user).delete()
            if options["revoke"]:
                self.stderr.write(f"The API token of {user.username} was revoked.")
                return
            if not user.is_active or membership_of(user) is None:
                raise CommandError(
                    f"{user.username} is not an active staff member with a unit; API tokens are for staff only."
                )
            token = Token.objects.create(user=user)
        self.stdout.write(token.key)
