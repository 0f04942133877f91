"""Academic years, step 1 of 3 (add): a nullable link from each class to its year."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("rosters", "0010_import_preview_status"),
        ("schools", "0008_academic_years_and_phase"),
    ]

    operations = [
        migrations.AddField(
            model_name="teachingclass",
            name="year",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.RESTRICT,
                related_name="+",
                to="schools.academicyear",
            ),
        ),
    ]
