from django.urls import path

from aftercare import views

app_name = "aftercare"

urlpatterns = [
    path("follow-ups/", views.follow_up_list, name="follow_ups"),
    path("admissions/<uuid:admission_id>/", views.stay, name="stay"),
    path("admissions/<uuid:admission_id>/discharge/", views.discharge, name="discharge"),
    path("admissions/<uuid:admission_id>/aftercare/", views.aftercare_edit, name="aftercare_edit"),
    path("admissions/<uuid:admission_id>/follow-ups/", views.follow_up_add, name="follow_up_add"),
    path(
        "admissions/<uuid:admission_id>/follow-ups/outcome/",
        views.follow_up_outcome,
        name="follow_up_outcome",
    ),
    path("admissions/<uuid:admission_id>/summary/", views.summary_preview, name="summary_preview"),
    path("admissions/<uuid:admission_id>/summary/sign/", views.summary_sign, name="summary_sign"),
    path(
        "admissions/<uuid:admission_id>/patient-links/",
        views.patient_link_create,
        name="patient_link_create",
    ),
    path(
        "admissions/<uuid:admission_id>/patient-links/<uuid:link_id>/revoke/",
        views.patient_link_revoke,
        name="patient_link_revoke",
    ),
    path("summaries/<uuid:summary_id>/", views.summary_detail, name="summary"),
    path("summaries/<uuid:summary_id>/print/", views.summary_print, name="summary_print"),
    path("summaries/<uuid:summary_id>/pdf/", views.summary_pdf, name="summary_pdf"),
    path(
        "summaries/<uuid:summary_id>/patient-copy/",
        views.patient_copy_print,
        name="patient_copy",
    ),
]
