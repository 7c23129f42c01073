from django.apps import AppConfig

from cnt_detox.core import hooks


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = "Reminders and escalation"

    def ready(self) -> None:
        # Register the tasks in every process (web too), so eager mode can run them by name.
        from cnt_detox.core import registry
        from cnt_detox.core.roles import Role
        from notifications import tasks  # noqa: F401
        from notifications.demo import seed_on_call
        from notifications.health import sweep_health

        registry.register_nav(
            "Notifications", "notifications:list", (Role.NURSE, Role.PHYSICIAN), order=50
        )
        registry.register_demo_seeder("notifications", seed_on_call, order=20)
        # Reminder sweep heartbeat and late reminders (health.py explains when a fresh install
        # with no sweep yet is still healthy).
        registry.register_health_check("sweep", sweep_health)
        registry.register_patient_panel(
            "escalations", "notifications/_escalation_steps.html", order=10
        )
        from notifications.services import close_dose_reminders

        # A recorded dose closes its reminders at once (issue 20 item 7), not at the next sweep.
        hooks.on_dose_recorded(close_dose_reminders)
