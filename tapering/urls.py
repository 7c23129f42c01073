"""Pages of the tapering app."""

from django.urls import path  # noqa: F401

app_name = "tapering"
urlpatterns: list = []
