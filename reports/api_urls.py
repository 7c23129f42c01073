"""API routes of the reports app, mounted under /api/v1/."""

from django.urls import path

from reports import api

urlpatterns = [
    path("reports/census", api.CensusView.as_view(), name="api-reports-census"),
    path("reports/period", api.PeriodView.as_view(), name="api-reports-period"),
    path("reports/exports", api.ExportJobsView.as_view(), name="api-reports-exports"),
    path(
        "reports/exports/<uuid:job_id>", api.ExportJobView.as_view(), name="api-reports-export-job"
    ),
    path(
        "reports/exports/<uuid:job_id>/download",
        api.ExportJobDownloadView.as_view(),
        name="api-reports-export-download",
    ),
]
