"""Celery tasks of the core: the audit sealer (scheduled by beat, see settings)."""

from __future__ import annotations

from celery import shared_task

from cnt_detox.core.audit import seal_pending


@shared_task(name="core.seal_audit", ignore_result=True)
def seal_audit(full: bool = False) -> int:
    """Link every committed, unsealed audit row into the chain; safe to run twice at once."""
    return seal_pending(full=full)
