from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "reports"

    def ready(self) -> None:
        from cnt_detox.core import registry
        from cnt_detox.core.roles import Role

        # Register the tasks in every process (web too), so eager mode can run them by name.
        from reports import tasks  # noqa: F401

        registry.register_nav("Unit board", "reports:board", (Role.NURSE, Role.PHYSICIAN), order=10)
        registry.register_nav("Reports", "reports:index", (Role.ADMIN,), order=60)
        # Where each role lands after login: the page they use most.
        registry.register_role_home(Role.NURSE, "reports:board")
        registry.register_role_home(Role.PHYSICIAN, "reports:board")
        registry.register_role_home(Role.ADMIN, "reports:index")
