from django.urls import path

from aftercare import api

urlpatterns = [
    path(
        "admissions/<uuid:admission_id>/discharge-readiness/",
        api.ReadinessView.as_view(),
        name="api-discharge-readiness",
    ),
    path(
        "admissions/<uuid:admission_id>/aftercare-plans/",
        api.AftercarePlansView.as_view(),
        name="api-aftercare-plans",
    ),
    path(
        "admissions/<uuid:admission_id>/follow-ups/",
        api.FollowUpsView.as_view(),
        name="api-follow-ups",
    ),
    path(
        "follow-ups/<uuid:follow_up_id>/outcome/",
        api.FollowUpOutcomeView.as_view(),
        name="api-follow-up-outcome",
    ),
    path(
        "admissions/<uuid:admission_id>/discharge-summaries/",
        api.SummariesView.as_view(),
        name="api-discharge-summaries",
    ),
    path(
        "discharge-summaries/<uuid:summary_id>/",
        api.SummaryView.as_view(),
        name="api-discharge-summary",
    ),
    path(
        "discharge-summaries/<uuid:summary_id>/pdf/",
        api.SummaryPdfView.as_view(),
        name="api-discharge-summary-pdf",
    ),
    path(
        "admissions/<uuid:admission_id>/patient-links/",
        api.PatientLinksView.as_view(),
        name="api-patient-links",
    ),
]
