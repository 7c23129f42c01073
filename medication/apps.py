from django.apps import AppConfig


class MedicationConfig(AppConfig):
    name = "medication"
    verbose_name = "Medication orders"

    def ready(self) -> None:
        from cnt_detox.core import registry
        from medication.demo import seed_formulary

        registry.register_patient_link(
            "Medicines and doses", "medication:record", slot="taper", order=30
        )
        registry.register_demo_seeder("medication", seed_formulary, order=50)
