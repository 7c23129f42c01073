from django.apps import AppConfig

from cnt_detox.core import hooks


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = "Reminders and escalation"

    def ready(self) -> None:
        # Register the tasks in every process (web too), so eager mode can run them by name.
        from notifications import tasks  # noqa: F401
        from notifications.services import close_dose_reminders

        # A recorded dose closes its reminders at once (issue 20 item 7), not at the next sweep.
        hooks.on_dose_recorded(close_dose_reminders)
