from django.apps import AppConfig


class SampleConfig(AppConfig):
    """Holds the ``load_sample`` and ``demo_logins`` commands; no models."""

    name = "linli.sample"
    label = "sample"
    verbose_name = "Sample district"
