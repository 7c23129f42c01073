"""Reads of export jobs (selectors.py holds the board and census reads).

Who sees a job: the admins of its unit today (a period export names one unit; so does a
one-unit census), the requester included only while the unit is still theirs. A census of
"all my units" is seen by its requester only, and only while every unit it covers is still
theirs. Access follows the units as they are now, not as they were when the job was asked
for: an admin moved off a unit loses that unit's files with it. Anyone else gets 404, as for
any other unit's record; the role check (admins only, else 403) is the view's.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404

from patients.selectors import units_for_user
from reports.models import ExportJob


def export_jobs_for_user(user: Any) -> QuerySet[ExportJob]:
    mine = units_for_user(user).values("pk")
    return ExportJob.objects.filter(
        Q(unit__in=mine) | Q(unit__isnull=True, requested_by=user)
    ).select_related("unit", "requested_by")


def export_job_for_user(user: Any, public_id: uuid.UUID | str) -> ExportJob:
    try:
        job = export_jobs_for_user(user).get(public_id=uuid.UUID(str(public_id)))
    except (ExportJob.DoesNotExist, ValueError, TypeError):
        raise Http404("No such export.") from None
    if job.unit_id is None:
        mine = set(units_for_user(user).values_list("pk", flat=True))
        if not set(job.unit_ids) <= mine:
            raise Http404("No such export.")
    return job
