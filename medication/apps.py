from django.apps import AppConfig


class MedicationConfig(AppConfig):
    name = "medication"
    verbose_name = "Medication orders"

    def ready(self) -> None:
        from cnt_detox.core import registry

        registry.register_patient_link(
            "Medicines and doses", "medication:record", slot="taper", order=30
        )
