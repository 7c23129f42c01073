"""API routes of the medication app, mounted under /api/v1/."""

from django.urls import path

from medication import api

urlpatterns = [
    path(
        "admissions/<uuid:admission_id>/medication-orders/",
        api.AdmissionOrdersView.as_view(),
        name="api-medication-orders",
    ),
    path(
        "admissions/<uuid:admission_id>/medication-record/",
        api.DayRecordView.as_view(),
        name="api-medication-record",
    ),
    path(
        "medication-orders/<uuid:order_id>/versions/",
        api.OrderVersionView.as_view(),
        name="api-medication-order-version",
    ),
    path(
        "medication-orders/<uuid:order_id>/discontinue/",
        api.OrderDiscontinueView.as_view(),
        name="api-medication-order-discontinue",
    ),
    path(
        "medication-orders/<uuid:order_id>/doses/",
        api.OrderDosesView.as_view(),
        name="api-medication-doses",
    ),
    path(
        "medication-doses/<uuid:dose_id>/entered-in-error/",
        api.DoseInErrorView.as_view(),
        name="api-medication-dose-in-error",
    ),
]
