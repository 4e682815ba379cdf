"""Planning's areas now point at linli.areas (same tables; state only)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("areas", "0001_initial"),
        ("planning", "0002_siting_premises"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            # The tables stay where they are: only Django's idea of which app owns them moves.
            state_operations=[
                migrations.AlterField(
                    model_name="analysisrun",
                    name="district",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="analysis_runs",
                        to="areas.district",
                    ),
                ),
                migrations.AlterField(
                    model_name="compoundaccess",
                    name="district",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="areas.district",
                    ),
                ),
                migrations.AlterField(
                    model_name="coveragerow",
                    name="community",
                    field=models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="areas.community",
                    ),
                ),
                migrations.AlterField(
                    model_name="coveragerow",
                    name="district",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="areas.district",
                    ),
                ),
                migrations.AlterField(
                    model_name="coveragerow",
                    name="subdistrict",
                    field=models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="areas.subdistrict",
                    ),
                ),
                migrations.AlterField(
                    model_name="gap",
                    name="district",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="areas.district",
                    ),
                ),
                migrations.AlterField(
                    model_name="sitingrun",
                    name="district",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="areas.district",
                    ),
                ),
            ],
            database_operations=[],
        ),
    ]
