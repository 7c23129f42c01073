"""Pages of the tapering app."""

from django.urls import path

from tapering import views

app_name = "tapering"
urlpatterns = [
    path("", views.builder, name="builder"),
    path("admissions/<uuid:admission_id>/", views.plan_for_admission, name="plan_for_admission"),
    path("admissions/<uuid:admission_id>/today/", views.today, name="today"),
    path("admissions/<uuid:admission_id>/today/record/", views.record_dose, name="record_dose"),
    path(
        "admissions/<uuid:admission_id>/today/in-error/", views.dose_in_error, name="dose_in_error"
    ),
    path("plans/<uuid:plan_id>/", views.plan_detail, name="plan"),
    path("plans/<uuid:plan_id>/edit/", views.edit, name="edit"),
    path("plans/<uuid:plan_id>/print/", views.plan_print, name="print"),
    path("plans/<uuid:plan_id>/print/page.css", views.plan_print_page_css, name="print-page-css"),
    path("plans/<uuid:plan_id>/sign/", views.sign, name="sign"),
    path("plans/<uuid:plan_id>/second-signature/", views.second_sign, name="second_sign"),
    path("plans/<uuid:plan_id>/amend/", views.amend, name="amend"),
    path("plans/<uuid:plan_id>/discontinue/", views.discontinue, name="discontinue"),
]
