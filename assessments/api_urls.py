"""API routes of the assessments app, mounted under /api/v1/."""

from django.urls import path

from assessments import api

urlpatterns: list = [
    path("assessments/", api.AssessmentCreateView.as_view(), name="api-assessment-create"),
    path(
        "assessments/<uuid:public_id>/",
        api.AssessmentDetailView.as_view(),
        name="api-assessment-detail",
    ),
    path(
        "assessments/<uuid:public_id>/entered-in-error/",
        api.AssessmentEnteredInErrorView.as_view(),
        name="api-assessment-entered-in-error",
    ),
    path(
        "admissions/<uuid:admission_id>/assessments/",
        api.AdmissionAssessmentListView.as_view(),
        name="api-admission-assessments",
    ),
]
