"""API routes of the tapering app, mounted under /api/v1/."""

from django.urls import path

from tapering import api

urlpatterns = [
    path("taper-previews/", api.TaperPreviewView.as_view(), name="api-taper-preview"),
    path(
        "admissions/<uuid:admission_id>/taper-plans/",
        api.AdmissionPlansView.as_view(),
        name="api-admission-taper-plans",
    ),
    path(
        "admissions/<uuid:admission_id>/doses/",
        api.AdmissionDosesView.as_view(),
        name="api-admission-doses",
    ),
    path("taper-plans/<uuid:plan_id>/", api.PlanView.as_view(), name="api-taper-plan"),
    path("taper-plans/<uuid:plan_id>/sign/", api.PlanSignView.as_view(), name="api-taper-sign"),
    path(
        "taper-plans/<uuid:plan_id>/second-signature/",
        api.PlanSecondSignView.as_view(),
        name="api-taper-second-sign",
    ),
    path("taper-plans/<uuid:plan_id>/amend/", api.PlanAmendView.as_view(), name="api-taper-amend"),
    path(
        "taper-plans/<uuid:plan_id>/discontinue/",
        api.PlanDiscontinueView.as_view(),
        name="api-taper-discontinue",
    ),
    path(
        "scheduled-doses/<uuid:dose_id>/administrations/",
        api.DoseRecordView.as_view(),
        name="api-dose-record",
    ),
    path(
        "dose-administrations/<uuid:record_id>/entered-in-error/",
        api.DoseInErrorView.as_view(),
        name="api-dose-in-error",
    ),
]
