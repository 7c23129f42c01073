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
        from aftercare import hooks as aftercare_hooks
        from aftercare import reminders
        from aftercare.demo import seed_support_groups
        from cnt_detox.core import hooks, registry
        from cnt_detox.core.roles import Role

        clinicians = (Role.NURSE, Role.PHYSICIAN)
        registry.register_nav("Follow-ups", "aftercare:follow_ups", clinicians, order=55)
        registry.register_demo_seeder("aftercare", seed_support_groups, order=60)
        # The patient page's Discharge button opens the readiness page instead of the plain form.
        registry.register_patient_link(
            "Discharge", "aftercare:discharge", slot="discharge", order=10
        )
        registry.register_patient_context("aftercare", aftercare_hooks.patient_page_context)
        registry.register_patient_panel("aftercare", "aftercare/_patient_panel.html", order=5)
        registry.register_reminder_source("follow_ups", reminders.follow_up_reminders)
        hooks.on_discharge(aftercare_hooks.discharge_guard)
