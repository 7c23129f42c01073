from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "cnt_detox.core"
    label = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in
        from django.db.models.signals import post_migrate

        from cnt_detox.core import registry
        from cnt_detox.core.audit import seal_health
        from cnt_detox.core.middleware import stamp_login
        from cnt_detox.core.otp import remember_enrolment
        from cnt_detox.core.roles import Role, ensure_role_groups

        # Permissions are created in post_migrate, so the role groups are (re)built after it.
        post_migrate.connect(ensure_role_groups, dispatch_uid="cnt_detox.core.role_groups")

        def _remember(sender: object, request: object, user: object, **kwargs: object) -> None:
            remember_enrolment(request, user)

        user_logged_in.connect(_remember, dispatch_uid="cnt_detox.core.otp_enrolment", weak=False)
        # Logging in is activity and starts the absolute session limit; stamping here saves
        # the first page after login a session write.
        user_logged_in.connect(stamp_login, dispatch_uid="cnt_detox.core.stamp_login", weak=False)

        # /healthz: rows still unsealed after AUDIT_UNSEALED_LIMIT_SECONDS mean the beat or the
        # worker has stopped, and the newest audit rows are not yet chained.
        registry.register_health_check("audit_sealer", seal_health)

        n, p, a = Role.NURSE, Role.PHYSICIAN, Role.ADMIN
        registry.register_nav("Audit log", "core:audit", (a,), order=70)
        registry.register_nav("Administration", "admin:index", (a,), order=100)
        registry.register_nav("API docs", "api-docs", (n, p, a), order=110)
        registry.register_nav("Account", "core:account", (n, p, a), order=120)
