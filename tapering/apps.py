from django.apps import AppConfig


class TaperingConfig(AppConfig):
    name = "tapering"
