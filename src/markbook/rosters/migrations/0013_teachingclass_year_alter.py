"""Academic years, step 3 of 3 (alter): the class's year is the link, required; the
free-text year is dropped, and names stay unique per school and year."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("rosters", "0012_teachingclass_year_fill"),
    ]

    operations = [
        migrations.RemoveConstraint(model_name="teachingclass", name="class_name_per_year"),
        migrations.RemoveField(model_name="teachingclass", name="academic_year"),
        migrations.RenameField(
            model_name="teachingclass", old_name="year", new_name="academic_year"
        ),
        migrations.AlterField(
            model_name="teachingclass",
            name="academic_year",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.RESTRICT,
                related_name="classes",
                to="schools.academicyear",
            ),
        ),
        migrations.AddConstraint(
            model_name="teachingclass",
            constraint=models.UniqueConstraint(
                models.F("school"),
                models.F("academic_year"),
                models.F("name"),
                name="class_name_per_year",
            ),
        ),
    ]
