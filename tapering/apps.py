from django.apps import AppConfig


class TaperingConfig(AppConfig):
    name = "tapering"

    def ready(self) -> None:
        from cnt_detox.core import registry
        from cnt_detox.core.roles import Role
        from tapering.demo import seed_demo_taper_plan
        from tapering.selectors import patient_page_context

        registry.register_nav("Taper builder", "tapering:builder", (Role.PHYSICIAN,), order=40)
        registry.register_demo_seeder("tapering", seed_demo_taper_plan, order=40)
        registry.register_patient_link(
            "Taper plan", "tapering:plan_for_admission", slot="actions", order=20
        )
        registry.register_patient_link(
            "Taper plan", "tapering:plan_for_admission", slot="taper", order=10
        )
        registry.register_patient_link("Today's doses", "tapering:today", slot="taper", order=20)
        registry.register_patient_context("tapering", patient_page_context)
