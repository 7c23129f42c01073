from django.apps import AppConfig


class PatientsConfig(AppConfig):
    name = "patients"

    def ready(self) -> None:
        from cnt_detox.core import registry
        from cnt_detox.core.roles import Role
        from patients.demo import seed_demo_patients
        from patients.selectors import mrns_by_public_id

        clinicians = (Role.NURSE, Role.PHYSICIAN)
        registry.register_nav("Patients", "patients:list", clinicians, order=20)
        registry.register_nav("Admit", "patients:admit", clinicians, order=30)
        registry.register_demo_seeder("patients", seed_demo_patients, order=10)
        registry.register_patient_mrns(mrns_by_public_id)
        # Break the glass (patients.emergency) and its admin review.
        registry.register_nav("Emergency access", "patients:emergency", clinicians, order=80)
        registry.register_nav(
            "Emergency review", "patients:emergency-review", (Role.ADMIN,), order=90
        )
