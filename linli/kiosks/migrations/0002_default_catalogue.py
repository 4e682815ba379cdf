import datetime as dt

from django.db import migrations


def load(apps, schema_editor):
    from linli.kiosks.catalogue import DEFAULT_ITEMS
    from linli.kiosks.thresholds import DEFAULT_RULES, DEFAULT_VERSION

    MeasurementItem = apps.get_model("kiosks", "MeasurementItem")
    for order, item in enumerate(DEFAULT_ITEMS):
        MeasurementItem.objects.update_or_create(
            code=item.code, defaults={**item._asdict(), "sort_order": order}
        )
    ThresholdTable = apps.get_model("kiosks", "ThresholdTable")
    ThresholdTable.objects.get_or_create(
        version=DEFAULT_VERSION,
        defaults={"valid_from": dt.date(2000, 1, 1), "rules": DEFAULT_RULES},
    )


class Migration(migrations.Migration):
    dependencies = [("kiosks", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
