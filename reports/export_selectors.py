"""Reads of export jobs (selectors.py holds the board and census reads).

Who sees a job: the admin who asked for it, and the admins of its unit (a period export names
one unit; so does a one-unit census). A census of "all my units" is seen by its requester only:
another admin may share some of those units but not all. Anyone else gets 404, as for any
other unit's record; the role check (admins only, else 403) is the view's.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404

from patients.selectors import units_for_user
from reports.models import ExportJob


def export_jobs_for_user(user: Any) -> QuerySet[ExportJob]:
    return ExportJob.objects.filter(
        Q(requested_by=user) | Q(unit__in=units_for_user(user).values("pk"))
    ).select_related("unit", "requested_by")


def export_job_for_user(user: Any, public_id: uuid.UUID | str) -> ExportJob:
    try:
        return export_jobs_for_user(user).get(public_id=uuid.UUID(str(public_id)))
    except (ExportJob.DoesNotExist, ValueError, TypeError):
        raise Http404("No such export.") from None
