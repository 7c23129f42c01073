from django.apps import AppConfig


class AftercareConfig(AppConfig):
    """Discharge readiness, aftercare plans, follow-ups, discharge summaries, patient copies.

    Layer: above notifications (it reads patients, assessments and tapering, and registers its
    follow-up reminders with the notifications sweep), below reports. Lower apps never import
    it: the patient page card and the discharge check go through cnt_detox.core.registry.
    """

    name = "aftercare"
    verbose_name = "Discharge and aftercare"

    def ready(self) -> None:
        from aftercare import hooks, reminders
        from cnt_detox.core import registry

        registry.register_patient_panel(hooks.patient_panel)
        registry.register_discharge_guard(hooks.discharge_guard)
        registry.register_reminder_source(reminders.follow_up_reminders)
