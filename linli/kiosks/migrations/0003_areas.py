"""The smart huts' areas now point at linli.areas (same tables; state only)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("areas", "0001_initial"),
        ("kiosks", "0002_default_catalogue"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            # The tables stay where they are: only Django's idea of which app owns them moves.
            state_operations=[
                migrations.AlterField(
                    model_name="device",
                    name="district",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="kiosk_devices",
                        to="areas.district",
                    ),
                ),
                migrations.AlterField(
                    model_name="fault",
                    name="district",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="areas.district",
                    ),
                ),
                migrations.AlterField(
                    model_name="followup",
                    name="community",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="areas.community",
                    ),
                ),
                migrations.AlterField(
                    model_name="followup",
                    name="district",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="areas.district",
                    ),
                ),
                migrations.AlterField(
                    model_name="healthsubject",
                    name="community",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="health_subjects",
                        to="areas.community",
                    ),
                ),
                migrations.AlterField(
                    model_name="healthsubject",
                    name="district",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="areas.district",
                    ),
                ),
                migrations.AlterField(
                    model_name="reading",
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
