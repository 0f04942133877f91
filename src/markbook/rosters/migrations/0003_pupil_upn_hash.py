import hashlib
import hmac

from django.conf import settings
from django.db import migrations, models


def fill_upn_hash(apps, schema_editor):
    """Existing UPNs get their keyed hash, so imports match on it (ROS-2, ACC-3)."""
    from markbook.core.tenancy import all_schools

    Pupil = apps.get_model("rosters", "Pupil")  # historical model: a plain, unscoped manager
    key = settings.MARKBOOK_HASH_KEY.encode()
    # Every school's rows: on PostgreSQL row-level security would otherwise hide them all.
    with all_schools():
        pupils = list(Pupil.objects.exclude(upn=None).exclude(upn="").only("pk", "upn"))
        for pupil in pupils:
            pupil.upn_hash = hmac.new(
                key, pupil.upn.strip().upper().encode(), hashlib.sha256
            ).hexdigest()
        Pupil.objects.bulk_update(pupils, ["upn_hash"], batch_size=500)


class Migration(migrations.Migration):
    dependencies = [
        ("rosters", "0002_pupil_oneroster_id"),
    ]

    operations = [
        migrations.AddField(
            model_name="pupil",
            name="upn_hash",
            field=models.CharField(
                blank=True, db_index=True, max_length=64, verbose_name="UPN hash"
            ),
        ),
        migrations.RunPython(fill_upn_hash, migrations.RunPython.noop),
    ]
