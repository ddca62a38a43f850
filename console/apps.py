from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _grant_role_permissions(sender: AppConfig, using: str = "default", **kwargs: Any) -> None:
    # Permissions rows are made by auth's own post_migrate handler, app by app; the console is
    # the last app installed, so by its turn every permission it grants exists.
    from console.roles import grant_role_permissions

    grant_role_permissions()


class ConsoleConfig(AppConfig):
    name = "console"
    verbose_name = "Staff console"

    def ready(self) -> None:
        post_migrate.connect(_grant_role_permissions, sender=self)
