from django.apps import AppConfig


class AssessmentsConfig(AppConfig):
    name = "assessments"

    def ready(self) -> None:
        # A new admission is due for its first CIWA-B at once (issue 20 item 4); the patients
        # app sits below this one, so it reaches the schedule through the core hook.
        from assessments.services import schedule_first_assessment
        from cnt_detox.core.hooks import on_admission_created

        on_admission_created(schedule_first_assessment)
