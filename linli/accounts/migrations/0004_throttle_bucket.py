# Counters per client address for the login limits (linli.accounts.throttle).

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_session"),
    ]

    operations = [
        migrations.CreateModel(
            name="ThrottleBucket",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("scope", models.CharField(max_length=20)),
                ("address", models.CharField(max_length=64)),
                ("hits", models.PositiveIntegerField(default=0)),
                ("expires_at", models.DateTimeField()),
            ],
            options={
                "verbose_name": "address limit",
                "verbose_name_plural": "address limits",
                "constraints": [
                    models.UniqueConstraint(
                        fields=("scope", "address"), name="throttle_scope_address"
                    )
                ],
            },
        ),
    ]
