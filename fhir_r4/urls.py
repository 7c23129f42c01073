from django.urls import path

from fhir_r4 import views, views_export

app_name = "fhir"

urlpatterns = [
    path("metadata", views.MetadataView.as_view(), name="metadata"),
    path("Patient/$export", views_export.PatientExportView.as_view(), name="export-patient"),
    path(
        "Group/<str:unit_id>/$export", views_export.GroupExportView.as_view(), name="export-group"
    ),
    path(
        "$export-status/<str:job_id>",
        views_export.ExportStatusView.as_view(),
        name="export-status",
    ),
    path(
        "$export-file/<str:job_id>/<str:name>",
        views_export.ExportFileView.as_view(),
        name="export-file",
    ),
    path(
        "Encounter/<str:resource_id>/$everything",
        views.EverythingView.as_view(),
        name="everything",
    ),
    path(
        "QuestionnaireResponse",
        views.QuestionnaireResponseCreateView.as_view(),
        name="questionnaire-response-create",
    ),
    path(
        "Questionnaire/<str:resource_id>", views.QuestionnaireView.as_view(), name="questionnaire"
    ),
    path("<str:resource_type>/<str:resource_id>", views.ReadView.as_view(), name="read"),
]
