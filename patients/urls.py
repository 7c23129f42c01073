"""Pages of the patients app, mounted at /patients/."""

from django.urls import path

from patients import views, views_emergency

app_name = "patients"
urlpatterns = [
    path("", views.patient_list, name="list"),
    path("admit/", views.admit, name="admit"),
    path("<uuid:public_id>/", views.detail, name="detail"),
    path("<uuid:public_id>/edit/", views.edit_intake, name="edit"),
    path("<uuid:public_id>/transfer/", views.transfer, name="transfer"),
    path("<uuid:public_id>/discharge/", views.discharge, name="discharge"),
    # Break the glass: a patient outside your units (emergency access) and its admin review.
    path("emergency/", views_emergency.request_access, name="emergency"),
    path("emergency/review/", views_emergency.review_list, name="emergency-review"),
    path(
        "emergency/<uuid:public_id>/review/",
        views_emergency.mark_reviewed,
        name="emergency-mark-reviewed",
    ),
]
