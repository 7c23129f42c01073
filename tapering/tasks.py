"""Celery tasks of the tapering app: one service call each, idempotent."""

from __future__ import annotations

from celery import shared_task

from tapering import completion


@shared_task(name="tapering.complete_finished_plans", ignore_result=True)
def complete_finished_plans() -> None:
    completion.plans_complete_finished()
