from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    name = "incidents"
    verbose_name = "Incidents, maintenance and posts"

    def ready(self) -> None:
        from incidents import signals

        signals.connect()
