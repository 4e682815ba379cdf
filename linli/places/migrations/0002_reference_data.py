from django.db import migrations


def load(apps, schema_editor):  # type: ignore[no-untyped-def]  # migrations are untyped (mypy excludes them)
    from linli.places.reference import sync_reference_data

    sync_reference_data(apps)


class Migration(migrations.Migration):
    dependencies = [("places", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
