from django.apps import AppConfig


class PatientsConfig(AppConfig):
    name = "patients"

    def ready(self) -> None:
        from cnt_detox.core import registry
        from cnt_detox.core.roles import Role
        from patients.demo import seed_demo_patients

        clinicians = (Role.NURSE, Role.PHYSICIAN)
        registry.register_nav("Patients", "patients:list", clinicians, order=20)
        registry.register_nav("Admit", "patients:admit", clinicians, order=30)
        registry.register_demo_seeder("patients", seed_demo_patients, order=10)
