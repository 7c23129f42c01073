"""Pages of the assessments app."""

from django.urls import path

from assessments import views

app_name = "assessments"
urlpatterns: list = [
    path("admissions/<uuid:admission_id>/new/", views.new_assessment, name="new"),
    path("admissions/<uuid:admission_id>/timeline/", views.timeline, name="timeline"),
    path("<uuid:public_id>/", views.detail, name="detail"),
    path("<uuid:public_id>/entered-in-error/", views.entered_in_error, name="entered_in_error"),
]
