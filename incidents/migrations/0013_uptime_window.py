"""Each component's last 90 days as one row (UptimeWindow), for the status page's bars;
filled from the rolled-up days already written."""

import django.db.models.deletion
from django.db import migrations, models

from incidents.uptime.models import HistoryModels
from incidents.uptime.window import roll_up_windows


def backfill(apps, schema_editor):
    roll_up_windows(models=HistoryModels.from_apps(apps))


class Migration(migrations.Migration):

    dependencies = [
        ('incidents', '0012_maintenance_reminder'),
    ]

    operations = [
        migrations.CreateModel(
            name='UptimeWindow',
            fields=[
                ('component', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name='uptime_window', serialize=False, to='incidents.component')),
                ('first_day', models.DateField()),
                ('last_day', models.DateField()),
                ('covered_from', models.DateField(blank=True, null=True)),
                ('covered_to', models.DateField(blank=True, null=True)),
                ('observed_seconds', models.PositiveIntegerField(default=0)),
                ('major_outage_seconds', models.PositiveIntegerField(default=0)),
                ('partial_outage_seconds', models.PositiveIntegerField(default=0)),
                ('degraded_performance_seconds', models.PositiveIntegerField(default=0)),
                ('under_maintenance_seconds', models.PositiveIntegerField(default=0)),
                ('told_days', models.TextField(blank=True, default='[]')),
                ('computed_at', models.DateTimeField()),
            ],
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
