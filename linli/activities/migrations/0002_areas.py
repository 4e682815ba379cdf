"""Activities' areas now point at linli.areas (same tables; state only)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("activities", "0001_initial"),
        ("areas", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="activity",
                    name="community",
                    field=models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="areas.community",
                        verbose_name="community",
                    ),
                ),
                migrations.AlterField(
                    model_name="activity",
                    name="district",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="areas.district",
                    ),
                ),
                migrations.AlterField(
                    model_name="activity",
                    name="subdistrict",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="areas.subdistrict",
                        verbose_name="subdistrict",
                    ),
                ),
                migrations.AlterField(
                    model_name="checkin",
                    name="community",
                    field=models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="areas.community",
                    ),
                ),
                migrations.AlterField(
                    model_name="checkin",
                    name="district",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="areas.district",
                    ),
                ),
                migrations.AlterField(
                    model_name="checkin",
                    name="subdistrict",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="areas.subdistrict",
                    ),
                ),
                migrations.AlterField(
                    model_name="signup",
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
