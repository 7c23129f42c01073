"""Pages: builder with preview, plan page with signature and versions, print view, today's doses.

Thin: forms collect input, selectors resolve (other units: 404), services write. Every page
works without JavaScript: "Preview" is a plain form POST that re-renders with the schedule.
"""

from tapering.views.builder import builder, edit, plan_for_admission
from tapering.views.doses import dose_in_error, record_dose, today
from tapering.views.plans import plan_detail, plan_print, plan_print_page_css
from tapering.views.signing import amend, discontinue, second_sign, sign

__all__ = [
    "amend",
    "builder",
    "discontinue",
    "dose_in_error",
    "edit",
    "plan_detail",
    "plan_for_admission",
    "plan_print",
    "plan_print_page_css",
    "record_dose",
    "second_sign",
    "sign",
    "today",
]
