from django.db import migrations


def load(apps, schema_editor):
    from linli.kiosks.catalogue import DEFAULT_ITEMS

    MeasurementItem = apps.get_model("kiosks", "MeasurementItem")
    for order, item in enumerate(DEFAULT_ITEMS):
        MeasurementItem.objects.update_or_create(
            code=item.code, defaults={**item._asdict(), "sort_order": order}
        )


class Migration(migrations.Migration):
    dependencies = [("kiosks", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
