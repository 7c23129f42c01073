"""The patient's phone link: outside the staff pages, no login (aftercare.views.public_copy)."""

from django.urls import path

from aftercare import views

app_name = "aftercare-public"

urlpatterns = [path("<str:token>/", views.public_copy, name="public_copy")]
