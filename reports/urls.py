"""Pages of the reports app."""

from django.urls import path

from reports import views

app_name = "reports"
urlpatterns = [
    path("", views.index, name="index"),
    path("board/", views.board, name="board"),
    path("board/rows/", views.board_rows_fragment, name="board-rows"),
    path("census/export/", views.census_export, name="census-export"),
    path("period/", views.period, name="period"),
    path("period/export/", views.period_export, name="period-export"),
]
