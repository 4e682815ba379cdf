"""Users' and phone codes' areas now point at linli.areas (same tables; state only)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0006_family_doctor_role"),
        ("areas", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            # The tables stay where they are: only Django's idea of which app owns them moves.
            state_operations=[
                migrations.AlterField(
                    model_name="phonecode",
                    name="district",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="areas.district",
                    ),
                ),
                migrations.AlterField(
                    model_name="user",
                    name="community",
                    field=models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="users",
                        to="areas.community",
                        verbose_name="community",
                    ),
                ),
                migrations.AlterField(
                    model_name="user",
                    name="district",
                    field=models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="users",
                        to="areas.district",
                        verbose_name="district",
                    ),
                ),
                migrations.AlterField(
                    model_name="user",
                    name="subdistrict",
                    field=models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="users",
                        to="areas.subdistrict",
                        verbose_name="subdistrict",
                    ),
                ),
            ],
            database_operations=[],
        ),
    ]
