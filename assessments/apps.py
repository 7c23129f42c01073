from django.apps import AppConfig


class AssessmentsConfig(AppConfig):
    name = "assessments"

    def ready(self) -> None:
        from assessments.demo import seed
        from assessments.selectors import patient_page_context
        from cnt_detox.core import registry

        registry.register_demo_seeder("assessments", seed, order=30)
        registry.register_patient_link(
            "Record CIWA-B", "assessments:new", slot="actions", order=10, primary=True
        )
        registry.register_patient_link(
            "CIWA-B timeline and vitals", "assessments:timeline", slot="assessments", order=10
        )
        registry.register_patient_context("assessments", patient_page_context)
