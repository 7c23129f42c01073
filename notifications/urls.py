from django.urls import path

from notifications import views

app_name = "notifications"
urlpatterns = [
    path("", views.notification_list, name="list"),
    path(
        "<uuid:public_id>/acknowledge/",
        views.notification_acknowledge,
        name="acknowledge",
    ),
]
