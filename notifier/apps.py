from django.apps import AppConfig


class NotifierConfig(AppConfig):
    name = "notifier"
    verbose_name = "Notifications"

    def ready(self) -> None:
        # Every process that may publish knows the tasks by name (notifier/queueing.py),
        # not only the workers, which find them by autodiscovery.
        from notifier import tasks  # noqa: F401
