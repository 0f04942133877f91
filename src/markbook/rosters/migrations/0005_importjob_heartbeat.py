import django.utils.timezone
from django.db import migrations, models
from django.db.models.functions import Coalesce


def fill_heartbeat(apps, schema_editor):
    """Existing jobs' last sign of life: when they started, else when they were queued."""
    from markbook.core.tenancy import all_schools

    ImportJob = apps.get_model("rosters", "ImportJob")  # historical model: unscoped manager
    # Every school's rows: on PostgreSQL row-level security would otherwise hide them all.
    with all_schools():
        ImportJob.objects.update(heartbeat_at=Coalesce("started_at", "created_at"))


class Migration(migrations.Migration):
    """Stalled background imports (ROS-2, ROS-4): add -> fill -> alter."""

    dependencies = [
        ("rosters", "0004_importjob"),
    ]

    operations = [
        migrations.AddField(
            model_name="importjob",
            name="heartbeat_at",
            field=models.DateTimeField(null=True),
        ),
        migrations.AddField(
            model_name="importjob",
            name="attempt",
            field=models.PositiveSmallIntegerField(default=1),
        ),
        migrations.RunPython(fill_heartbeat, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="importjob",
            name="heartbeat_at",
            field=models.DateTimeField(default=django.utils.timezone.now),
        ),
    ]
