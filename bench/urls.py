"""Baseline views, mounted at /bench/ only when settings.BENCH_VIEWS is on."""

from django.urls import path

from bench import views

app_name = "bench"
urlpatterns = [
    path("noop", views.noop, name="noop"),
    path("floor", views.floor, name="floor"),
]
