from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = "Reminders and escalation"

    def ready(self) -> None:
        # Register the tasks in every process (web too), so eager mode can run them by name.
        from notifications import tasks  # noqa: F401
