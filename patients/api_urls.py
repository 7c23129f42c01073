"""API routes of the patients app, mounted under /api/v1/."""

from rest_framework.routers import SimpleRouter

from patients.api import AdmissionViewSet, PatientViewSet

router = SimpleRouter()
router.register("patients", PatientViewSet, basename="patient")
router.register("admissions", AdmissionViewSet, basename="admission")

urlpatterns = router.urls
