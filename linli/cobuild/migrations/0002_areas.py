"""The co-construction day's areas now point at linli.areas (same tables; state only)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('areas', '0001_initial'),
        ('cobuild', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            # The tables stay where they are: only Django's idea of which app owns them moves.
            state_operations=[
                migrations.AlterField(
                    model_name='cobuildday',
                    name='district',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='areas.district'),
                ),
                migrations.AlterField(
                    model_name='cobuildday',
                    name='subdistrict',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='cobuild_days', to='areas.subdistrict'),
                ),
                migrations.AlterField(
                    model_name='cobuildpolicy',
                    name='district',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='areas.district'),
                ),
                migrations.AlterField(
                    model_name='cobuildpolicy',
                    name='subdistrict',
                    field=models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='cobuild_policy', to='areas.subdistrict'),
                ),
                migrations.AlterField(
                    model_name='dutyunit',
                    name='community',
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='duty_units', to='areas.community'),
                ),
                migrations.AlterField(
                    model_name='dutyunit',
                    name='district',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='areas.district'),
                ),
                migrations.AlterField(
                    model_name='dutyunit',
                    name='subdistrict',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='duty_units', to='areas.subdistrict'),
                ),
                migrations.AlterField(
                    model_name='resource',
                    name='community',
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='cobuild_resources', to='areas.community', verbose_name='community'),
                ),
                migrations.AlterField(
                    model_name='resource',
                    name='district',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='areas.district'),
                ),
                migrations.AlterField(
                    model_name='resource',
                    name='subdistrict',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='cobuild_resources', to='areas.subdistrict'),
                ),
                migrations.AlterField(
                    model_name='swaprequest',
                    name='district',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='areas.district'),
                ),
                migrations.AlterField(
                    model_name='swaprequest',
                    name='subdistrict',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='duty_swaps', to='areas.subdistrict'),
                ),
            ],
            database_operations=[],
        ),
    ]
