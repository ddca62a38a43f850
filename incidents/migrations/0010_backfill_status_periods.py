"""Status periods and daily uptime for the history written before the actions kept them.

Replays each component's changes from the record (incidents/uptime/replay.py) with the
historical models, then rolls the days up. Components that already have periods are left
alone, so running it again changes nothing.
"""

from django.db import migrations

from incidents.uptime.days import roll_up_history
from incidents.uptime.models import HistoryModels
from incidents.uptime.replay import replay_periods


def backfill(apps, schema_editor):
    models = HistoryModels.from_apps(apps)
    replayed = replay_periods(models, only_missing=True)
    roll_up_history(replayed, models=models)


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0009_evidence"),
    ]

    operations = [
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
