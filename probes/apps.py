from django.apps import AppConfig


class ProbesConfig(AppConfig):
    name = "probes"
    verbose_name = "Probes"

    def ready(self) -> None:
        # Connects the alert evaluation to results_recorded (a @receiver in the module).
        from probes import alerts  # noqa: F401
