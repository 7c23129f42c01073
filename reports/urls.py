"""Pages of the reports app."""

from django.urls import path

from reports import views, views_exports

app_name = "reports"
urlpatterns = [
    path("", views.index, name="index"),
    path("board/", views.board, name="board"),
    path("board/rows/", views.board_rows_fragment, name="board-rows"),
    path("census/export/", views.census_export, name="census-export"),
    path("period/", views.period, name="period"),
    path("period/export/", views.period_export, name="period-export"),
    path("exports/", views_exports.export_jobs, name="export-jobs"),
    path("exports/start/", views_exports.export_start, name="export-start"),
    path("exports/<uuid:job_id>/", views_exports.export_job, name="export-job"),
    path(
        "exports/<uuid:job_id>/download/",
        views_exports.export_download,
        name="export-download",
    ),
]
