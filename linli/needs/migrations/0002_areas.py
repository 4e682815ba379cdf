"""Needs' areas now point at linli.areas (same tables; state only)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('areas', '0001_initial'),
        ('needs', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            # The tables stay where they are: only Django's idea of which app owns them moves.
            state_operations=[
                migrations.AlterField(
                    model_name='apiclient',
                    name='district',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='areas.district'),
                ),
                migrations.AlterField(
                    model_name='need',
                    name='assigned_grid',
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='assigned_needs', to='areas.grid', verbose_name='handling grid'),
                ),
                migrations.AlterField(
                    model_name='need',
                    name='community',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='needs', to='areas.community', verbose_name='community'),
                ),
                migrations.AlterField(
                    model_name='need',
                    name='district',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='needs', to='areas.district'),
                ),
                migrations.AlterField(
                    model_name='need',
                    name='grid',
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='needs', to='areas.grid'),
                ),
                migrations.AlterField(
                    model_name='need',
                    name='subdistrict',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='needs', to='areas.subdistrict'),
                ),
                migrations.AlterField(
                    model_name='routingrule',
                    name='community',
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='areas.community'),
                ),
                migrations.AlterField(
                    model_name='routingrule',
                    name='district',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='areas.district'),
                ),
            ],
            database_operations=[],
        ),
    ]
