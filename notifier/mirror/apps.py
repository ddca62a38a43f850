from django.apps import AppConfig


class MirrorConfig(AppConfig):
    name = "notifier.mirror"
    label = "mirror"
    verbose_name = "Static mirror"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from notifier.mirror import changes

        changes.connect()
