"""District, Subdistrict, Community and Grid move from places to areas (issue #10).

State only: the tables were created by ``places.0001_initial`` and keep their names (``db_table``).
Depending on places' last migration makes sure they exist before any later areas migration
alters them.
"""

import django.core.validators
import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("places", "0003_station_updated_index"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            # The tables stay where they are: only Django's idea of which app owns them moves.
            state_operations=[
                migrations.CreateModel(
                    name="District",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("code", models.CharField(max_length=32, unique=True, verbose_name="code")),
                        ("name", models.CharField(max_length=100, verbose_name="name")),
                        (
                            "is_sample",
                            models.BooleanField(
                                default=False,
                                help_text="Fictional data shipped for demonstration.",
                                verbose_name="sample data",
                            ),
                        ),
                        (
                            "centre_lon",
                            models.FloatField(
                                default=0,
                                validators=[
                                    django.core.validators.MinValueValidator(-180),
                                    django.core.validators.MaxValueValidator(180),
                                ],
                                verbose_name="centre longitude",
                            ),
                        ),
                        (
                            "centre_lat",
                            models.FloatField(
                                default=0,
                                validators=[
                                    django.core.validators.MinValueValidator(-90),
                                    django.core.validators.MaxValueValidator(90),
                                ],
                                verbose_name="centre latitude",
                            ),
                        ),
                        ("min_lon", models.FloatField(blank=True, null=True)),
                        ("min_lat", models.FloatField(blank=True, null=True)),
                        ("max_lon", models.FloatField(blank=True, null=True)),
                        ("max_lat", models.FloatField(blank=True, null=True)),
                        (
                            "network_file",
                            models.CharField(
                                blank=True,
                                help_text="OSM .pbf file of the district's walking network, relative to the data folder.",
                                max_length=300,
                                verbose_name="street network file",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "district",
                        "verbose_name_plural": "districts",
                        "db_table": "places_district",
                        "ordering": ["code"],
                    },
                ),
                migrations.CreateModel(
                    name="Subdistrict",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("code", models.CharField(max_length=32, verbose_name="code")),
                        ("name", models.CharField(max_length=100, verbose_name="name")),
                        (
                            "district",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="subdistricts",
                                to="areas.district",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "subdistrict",
                        "verbose_name_plural": "subdistricts",
                        "db_table": "places_subdistrict",
                        "ordering": ["code"],
                    },
                ),
                migrations.CreateModel(
                    name="Community",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("code", models.CharField(max_length=32, verbose_name="code")),
                        ("name", models.CharField(max_length=100, verbose_name="name")),
                        (
                            "district",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="communities",
                                to="areas.district",
                            ),
                        ),
                        (
                            "subdistrict",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="communities",
                                to="areas.subdistrict",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "community",
                        "verbose_name_plural": "communities",
                        "db_table": "places_community",
                        "ordering": ["code"],
                    },
                ),
                migrations.CreateModel(
                    name="Grid",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("code", models.CharField(max_length=32, verbose_name="code")),
                        ("name", models.CharField(max_length=100, verbose_name="name")),
                        (
                            "community",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="grids",
                                to="areas.community",
                            ),
                        ),
                        (
                            "district",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="grids",
                                to="areas.district",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "grid",
                        "verbose_name_plural": "grids",
                        "db_table": "places_grid",
                        "ordering": ["code"],
                        "constraints": [
                            models.UniqueConstraint(
                                fields=("district", "code"), name="grid_code_unique"
                            )
                        ],
                    },
                ),
                migrations.AddConstraint(
                    model_name="subdistrict",
                    constraint=models.UniqueConstraint(
                        fields=("district", "code"), name="subdistrict_code_unique"
                    ),
                ),
                migrations.AddConstraint(
                    model_name="community",
                    constraint=models.UniqueConstraint(
                        fields=("district", "code"), name="community_code_unique"
                    ),
                ),
            ],
            database_operations=[],
        ),
    ]
