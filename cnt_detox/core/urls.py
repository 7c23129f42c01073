"""Pages of the core app (audit viewer and account pages live here)."""

from django.urls import path  # noqa: F401

app_name = "core"
urlpatterns: list = []
