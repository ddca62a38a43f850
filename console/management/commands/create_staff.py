"""Create a console user (or reset one's second factor) from the command line."""

from __future__ import annotations

import getpass
import secrets
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from console.roles import Role, assign_role
from console.twofactor import reset_device, secret_base32


class Command(BaseCommand):
    help = (
        "Create a staff user for the console with a role, or with --reset-2fa give an "
        "existing one a new authenticator to set up at their next login."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--role", choices=[r.value for r in Role], default=Role.EDITOR)
        parser.add_argument("--email", default="")
        parser.add_argument(
            "--password-from-env",
            metavar="VARIABLE",
            help="read the password from this environment variable instead of a prompt",
        )
        parser.add_argument("--reset-2fa", action="store_true")

    @transaction.atomic
    def handle(self, *args: Any, **options: Any) -> None:
        users = get_user_model()
        username = options["username"]
        if options["reset_2fa"]:
            user = users.objects.filter(username=username).first()
            if user is None:
                raise CommandError(f"No user called {username!r}.")
            device = reset_device(user)
            self._explain(user.get_username(), device)
            return
        if users.objects.filter(username=username).exists():
            raise CommandError(f"{username!r} already exists; use --reset-2fa to reset it.")
        password = self._password(options)
        user = users(username=username, email=options["email"])
        try:
            validate_password(password, user)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        user.set_password(password)
        user.save()
        assign_role(user, Role(options["role"]))
        device = reset_device(user)
        self.stdout.write(f"Created {options['role']} {username!r}.")
        self._explain(username, device)

    def _password(self, options: dict[str, Any]) -> str:
        import os

        if options["password_from_env"]:
            password = os.environ.get(options["password_from_env"], "")
            if not password:
                raise CommandError(f"{options['password_from_env']} is empty or unset.")
            return password
        if not self.stdin_is_interactive():
            generated = secrets.token_urlsafe(15)
            self.stdout.write(f"Password (shown once): {generated}")
            return generated
        first = getpass.getpass("Password: ")
        if first != getpass.getpass("Password (again): "):
            raise CommandError("The passwords differ.")
        return first

    def stdin_is_interactive(self) -> bool:
        import sys

        return sys.stdin.isatty()

    def _explain(self, username: str, device: Any) -> None:
        self.stdout.write(
            f"At their next login {username} scans a QR code (or types the key below) into an "
            "authenticator app and confirms with a code.\n"
            f"Key: {secret_base32(device)}"
        )
