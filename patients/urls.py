"""Pages of the patients app, mounted at /patients/."""

from django.urls import path

from patients import views

app_name = "patients"
urlpatterns = [
    path("", views.patient_list, name="list"),
    path("admit/", views.admit, name="admit"),
    path("<uuid:public_id>/", views.detail, name="detail"),
    path("<uuid:public_id>/edit/", views.edit_intake, name="edit"),
    path("<uuid:public_id>/transfer/", views.transfer, name="transfer"),
    path("<uuid:public_id>/discharge/", views.discharge, name="discharge"),
]
