"""Celery application. Settings come from Django settings with the CELERY_ prefix."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cnt_detox.settings")

app = Celery("cnt_detox")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
