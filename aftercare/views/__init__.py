"""Pages: discharge with readiness, the stay's aftercare page, aftercare plan editing,
follow-ups, summary preview and signing, signed summary (page, print, PDF), patient copy and
the patient's public phone link.

Thin: forms collect input, selectors resolve (other units: 404), services write. Every read
of a summary or patient copy is audited (view, print, download).
"""

from aftercare.views.follow_ups import PAGE_SIZE, follow_up_add, follow_up_list, follow_up_outcome
from aftercare.views.links import patient_link_create, patient_link_revoke, public_copy
from aftercare.views.stay import aftercare_edit, discharge, stay
from aftercare.views.summaries import (
    patient_copy_print,
    summary_detail,
    summary_pdf,
    summary_preview,
    summary_print,
    summary_sign,
)

__all__ = [
    "PAGE_SIZE",
    "aftercare_edit",
    "discharge",
    "follow_up_add",
    "follow_up_list",
    "follow_up_outcome",
    "patient_copy_print",
    "patient_link_create",
    "patient_link_revoke",
    "public_copy",
    "stay",
    "summary_detail",
    "summary_pdf",
    "summary_preview",
    "summary_print",
    "summary_sign",
]
