from django.urls import path

from cnt_detox.core.middleware import background_view
from notifications import api

urlpatterns = [
    path("notifications/", api.NotificationListView.as_view(), name="api-notifications"),
    path(
        "notifications/count/",
        background_view(api.NotificationCountView.as_view()),
        name="api-notifications-count",
    ),
    path(
        "notifications/<uuid:public_id>/acknowledge/",
        api.NotificationAcknowledgeView.as_view(),
        name="api-notification-acknowledge",
    ),
]
