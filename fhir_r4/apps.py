from django.apps import AppConfig


class FhirConfig(AppConfig):
    name = "fhir_r4"
    verbose_name = "FHIR R4"

    def ready(self) -> None:
        # Register the tasks in every process (web too), so eager mode can run them by name.
        from fhir_r4 import tasks  # noqa: F401
