from django.urls import path

from medication import views

app_name = "medication"

urlpatterns = [
    path("admissions/<uuid:admission_id>/", views.record, name="record"),
    path("admissions/<uuid:admission_id>/orders/new/", views.order_new, name="order_new"),
    path("orders/<uuid:order_id>/change/", views.order_change, name="order_change"),
    path("orders/<uuid:order_id>/discontinue/", views.order_discontinue, name="order_discontinue"),
    path("orders/<uuid:order_id>/doses/", views.dose_record, name="dose_record"),
    path("doses/<uuid:dose_id>/in-error/", views.dose_in_error, name="dose_in_error"),
]
