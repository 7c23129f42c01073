"""Reads for the FHIR app, always through the user's access rules (patients.selectors).

Another unit's record is a 404, never a 403. ``load_stays`` loads everything a stay's
resources need in a fixed number of queries for any number of admissions, so the Bundle and
the bulk export cost the same queries whatever the number of assessments.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.http import Http404

from assessments.models import Assessment
from fhir_r4.models import ExportJob, ReceivedResponse
from patients.models import Admission, AdmissionMovement, SubstanceUse
from patients.selectors import admission_for_user, admissions_for_user
from tapering.models import DoseAdministration, PlanSignature, TaperPlan


@dataclass
class Stay:
    admission: Admission
    substances: list[SubstanceUse] = field(default_factory=list)
    movements: list[AdmissionMovement] = field(default_factory=list)
    assessments: list[Assessment] = field(default_factory=list)
    received: dict[int, ReceivedResponse] = field(default_factory=dict)
    plans: list[TaperPlan] = field(default_factory=list)
    administrations: list[DoseAdministration] = field(default_factory=list)

    def signature(self, plan: TaperPlan) -> PlanSignature | None:
        # Reverse one-to-one loaded by select_related: a plan without one raises, no query.
        return getattr(plan, "signature", None)

    def plan_of(self, record: DoseAdministration) -> TaperPlan:
        plan_id = record.scheduled_dose.plan_id
        return next(p for p in self.plans if p.pk == plan_id)


def load_stays(admissions: Iterable[Admission]) -> list[Stay]:
    """Stays for already loaded admissions (with patient, unit, bed): seven queries."""
    stays = {a.pk: Stay(a) for a in admissions}
    if not stays:
        return []
    ids = list(stays)
    for s in SubstanceUse.all_objects.filter(admission_id__in=ids).order_by("position", "id"):
        stays[s.admission_id].substances.append(s)
    movements = AdmissionMovement.objects.filter(admission_id__in=ids).select_related(
        "to_unit", "to_bed"
    )
    for m in movements.order_by("moved_at", "id"):
        stays[m.admission_id].movements.append(m)
    assessments = Assessment.objects.filter(admission_id__in=ids).select_related("entered_by")
    by_pk: dict[int, Stay] = {}
    for a in assessments.order_by("assessed_at", "id"):
        stays[a.admission_id].assessments.append(a)
        by_pk[a.pk] = stays[a.admission_id]
    if by_pk:
        for r in ReceivedResponse.objects.filter(assessment__admission_id__in=ids):
            by_pk[r.assessment_id].received[r.assessment_id] = r
    plans = TaperPlan.objects.filter(admission_id__in=ids).select_related(
        "signature__signed_by", "created_by", "supersedes"
    )
    has_plans = False
    for p in plans.order_by("version"):
        stays[p.admission_id].plans.append(p)
        has_plans = True
    if has_plans:
        records = DoseAdministration.objects.filter(
            scheduled_dose__plan__admission_id__in=ids
        ).select_related("scheduled_dose__plan", "recorded_by")
        for r in records.order_by("occurred_at", "id"):
            stays[r.scheduled_dose.plan.admission_id].administrations.append(r)
    return list(stays.values())


def export_admission_pks(unit_ids: list[int]) -> list[int]:
    """Admissions of a bulk export (by their current unit), in a stable order."""
    return list(
        Admission.objects.filter(unit_id__in=unit_ids).order_by("id").values_list("pk", flat=True)
    )


def admissions_by_pks(pks: list[int]) -> list[Admission]:
    return list(
        Admission.objects.filter(pk__in=pks).select_related("patient", "unit", "bed").order_by("id")
    )


def stay_for_user(user: Any, public_id: uuid.UUID | str) -> Stay:
    return load_stays([admission_for_user(user, public_id)])[0]


# For each resource type read by id: the model whose public id the resource id carries, and
# the path from it to its admission. Derived resources (suffix) carry their record's id.
_OWNERS: dict[str, tuple[Any, str]] = {
    "MedicationStatement": (SubstanceUse.all_objects, "admission"),
    "QuestionnaireResponse": (Assessment.objects, "admission"),
    "Observation": (Assessment.objects, "admission"),
    "Flag": (Assessment.objects, "admission"),
    "MedicationRequest": (TaperPlan.objects, "admission"),
    "Provenance": (PlanSignature.objects, "plan__admission"),
    "MedicationAdministration": (DoseAdministration.objects, "scheduled_dose__plan__admission"),
}
# Resources whose id is the admission's own public id (plus a suffix for derived ones).
_ADMISSION_LEVEL = {"Encounter", "Condition", "Observation", "Flag"}


def owning_admission(
    user: Any, resource_type: str, public_id: uuid.UUID, *, admission_level: bool
) -> Admission:
    """The admission a resource belongs to, if the user may see it; else 404 (one query, or
    two for a record below the admission)."""
    visible = admissions_for_user(user)
    if admission_level and resource_type in _ADMISSION_LEVEL:
        found = visible.filter(public_id=public_id).first()
        if found is not None:
            return found
    manager, path = _OWNERS.get(resource_type, (None, ""))
    if manager is None:
        raise Http404("No such resource.")
    admission_pk = (
        manager.filter(public_id=public_id, **{f"{path}__in": visible})
        .values_list(f"{path}", flat=True)
        .first()
    )
    if admission_pk is None:
        raise Http404("No such resource.")
    return visible.get(pk=admission_pk)


def as_uuid(value: uuid.UUID | str) -> uuid.UUID:
    """A public id from a URL; anything that is not one is simply not found."""
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except ValueError:
        raise Http404("No such resource.") from None


def export_job_for_user(user: Any, public_id: uuid.UUID | str) -> ExportJob:
    """An export job is visible to the admin who asked for it only."""
    try:
        return ExportJob.objects.get(public_id=as_uuid(public_id), requested_by=user)
    except (ExportJob.DoesNotExist, ValueError, TypeError):
        raise Http404("No such export.") from None
