from django.apps import AppConfig


class MedicationConfig(AppConfig):
    name = "medication"
    verbose_name = "Medication orders"

    def ready(self) -> None:
        from cnt_detox.core import registry
        from medication.demo import seed_formulary
        from medication.selectors import prn_timeline_markers

        registry.register_patient_link(
            "Medicines and doses", "medication:record", slot="taper", order=30
        )
        registry.register_demo_seeder("medication", seed_formulary, order=50)
        # A marker on the CIWA-B chart at each as-needed benzodiazepine dose (issue 15 item 3);
        # through the registry, as assessments may not import medication.
        registry.register_timeline_markers("medication-prn", prn_timeline_markers)
