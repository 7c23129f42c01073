from django.apps import AppConfig


class AssessmentsConfig(AppConfig):
    name = "assessments"

    def ready(self) -> None:
        from assessments.demo import seed
        from assessments.selectors import patient_page_context
        from assessments.services import schedule_first_assessment
        from cnt_detox.core import registry
        from cnt_detox.core.hooks import on_admission_created

        registry.register_demo_seeder("assessments", seed, order=30)
        registry.register_patient_link(
            "Record CIWA-B", "assessments:new", slot="actions", order=10, primary=True
        )
        registry.register_patient_link(
            "CIWA-B timeline and vitals", "assessments:timeline", slot="assessments", order=10
        )
        registry.register_patient_context("assessments", patient_page_context)
        # A new admission is due for its first CIWA-B at once (issue 20 item 4); the patients
        # app sits below this one, so it reaches the schedule through the core hook.
        on_admission_created(schedule_first_assessment)
