"""Places gives District, Subdistrict, Community and Grid to linli.areas (issue #10).

Its own foreign keys now point at the areas models; the models leave places' state. Nothing in
the database changes but the content types' app label.
"""

import django.db.models.deletion
from typing import Any

from django.db import migrations, models

MOVED = ("district", "subdistrict", "community", "grid")


def _relabel(apps: Any, source: str, target: str) -> None:
    content_type = apps.get_model("contenttypes", "ContentType")
    for model in MOVED:
        if not content_type.objects.filter(app_label=target, model=model).exists():
            content_type.objects.filter(app_label=source, model=model).update(app_label=target)


def move_content_types(apps: Any, schema_editor: Any) -> None:
    _relabel(apps, "places", "areas")


def move_content_types_back(apps: Any, schema_editor: Any) -> None:
    _relabel(apps, "areas", "places")


class Migration(migrations.Migration):
    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("accounts", "0007_areas"),
        ("areas", "0001_initial"),
        ("core", "0004_areas"),
        ("cobuild", "0002_areas"),
        ("kiosks", "0003_areas"),
        ("needs", "0002_areas"),
        ("activities", "0002_areas"),
        ("places", "0003_station_updated_index"),
        ("planning", "0003_areas"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            # The tables stay where they are: only Django's idea of which app owns them moves.
            state_operations=[
                migrations.RemoveConstraint(
                    model_name="community",
                    name="community_code_unique",
                ),
                migrations.AlterField(
                    model_name="compound",
                    name="community",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="compounds",
                        to="areas.community",
                    ),
                ),
                migrations.AlterField(
                    model_name="station",
                    name="community",
                    field=models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="stations",
                        to="areas.community",
                    ),
                ),
                migrations.AlterField(
                    model_name="station",
                    name="district",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="stations",
                        to="areas.district",
                    ),
                ),
                migrations.AlterField(
                    model_name="serviceatstation",
                    name="district",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="areas.district",
                    ),
                ),
                migrations.AlterField(
                    model_name="service",
                    name="district",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="services",
                        to="areas.district",
                    ),
                ),
                migrations.AlterField(
                    model_name="gate",
                    name="district",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="areas.district",
                    ),
                ),
                migrations.AlterField(
                    model_name="compound",
                    name="district",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="compounds",
                        to="areas.district",
                    ),
                ),
                migrations.AlterField(
                    model_name="organisation",
                    name="district",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="organisations",
                        to="areas.district",
                    ),
                ),
                migrations.RemoveConstraint(
                    model_name="grid",
                    name="grid_code_unique",
                ),
                migrations.AlterField(
                    model_name="compound",
                    name="grid",
                    field=models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="compounds",
                        to="areas.grid",
                    ),
                ),
                migrations.RemoveConstraint(
                    model_name="subdistrict",
                    name="subdistrict_code_unique",
                ),
                migrations.AlterField(
                    model_name="station",
                    name="subdistrict",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="stations",
                        to="areas.subdistrict",
                    ),
                ),
                migrations.RemoveField(
                    model_name="grid",
                    name="community",
                ),
                migrations.RemoveField(
                    model_name="grid",
                    name="district",
                ),
                migrations.RemoveField(
                    model_name="subdistrict",
                    name="district",
                ),
                migrations.DeleteModel(
                    name="Community",
                ),
                migrations.DeleteModel(
                    name="Grid",
                ),
                migrations.DeleteModel(
                    name="District",
                ),
                migrations.DeleteModel(
                    name="Subdistrict",
                ),
            ],
            database_operations=[],
        ),
        # Content types (and the permissions hanging off them) follow the models, so nothing that
        # refers to them by content type is lost.
        migrations.RunPython(move_content_types, move_content_types_back),
    ]
