from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from actions import issue_api_token
from incidents.auditing import acting_via
from incidents.clean_text import cleaned
from incidents.models import Scope


class Command(BaseCommand):
    help = (
        "Create a staff API token and print it once (only its hash is stored). "
        "Example: create_api_token Nagios --scope incidents --scope read --user ops"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", help="Who or what uses the token, e.g. Nagios.")
        parser.add_argument(
            "--scope",
            action="append",
            choices=Scope.values,
            required=True,
            help="What the token may do; repeat for several.",
        )
        parser.add_argument("--user", help="Username named as the author of what it posts.")

    def handle(self, *args: Any, **options: Any) -> None:
        user = None
        if options["user"]:
            model = get_user_model()
            try:
                user = model.objects.get(**{model.USERNAME_FIELD: options["user"]})
            except model.DoesNotExist:
                raise CommandError(f"No user {options['user']!r}.") from None
        try:
            name = cleaned(options["name"])
        except ValueError as problem:
            raise CommandError(f"name: {problem}") from None
        try:
            with acting_via("manage.py create_api_token"):
                token, secret = issue_api_token(name=name, scopes=options["scope"], user=user)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        self.stderr.write(
            f"Token {token.prefix} for {token.name!r}, scopes: {', '.join(token.scopes)}. "
            "Store it now; it cannot be shown again:"
        )
        self.stdout.write(secret)
