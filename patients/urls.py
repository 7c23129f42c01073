"""Pages of the patients app."""

from django.urls import path  # noqa: F401

app_name = "patients"
urlpatterns: list = []
