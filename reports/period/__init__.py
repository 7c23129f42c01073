"""Period report: admissions, discharges, length of stay, CIWA-B peaks, timeliness, escalations.

Definitions (shown on the page and in the README):
- The period is whole days in the unit's time zone, from the start date 00:00 to the end of
  the end date.
- Admissions: stays whose first placement was on the unit and that began in the period.
  Discharges: stays that ended in the period while on the unit.
- Stays in the report: stays that overlap the period and were on the unit at some time.
- On time: an assessment is on time when it was done no later than the due time set by the
  previous valid assessment of the same stay (``Assessment.next_due_at``). A stay's first
  assessment has no due time and is not counted; entries marked "entered in error" neither.
- Follow-ups: appointments after discharge of this unit's stays that fall in the period, by
  outcome; attendance is attended / (attended + did not attend).
- Readmissions within 30 days: discharges from the unit in the period whose patient (same MRN)
  was admitted again within 30 days of that discharge (issue 16's definition; a reporting
  window, not a clinical threshold).

One topic a module: ``model`` (period, per-stay figures, totals), ``stays`` (the stays
covered and their assessment figures in one query), ``summary`` (the summary and its stay
rows) and ``rows`` (the assessment rows export). Import the public names from
``reports.period``.
"""

from reports.period.model import NOT_AVAILABLE, AdmissionStats, Period, PeriodSummary
from reports.period.rows import ASSESSMENT_HEADER, assessment_row_count, assessment_rows
from reports.period.stays import report_admissions
from reports.period.summary import ADMISSION_HEADER, READMISSION_WINDOW, period_summary

__all__ = [
    "ADMISSION_HEADER",
    "ASSESSMENT_HEADER",
    "NOT_AVAILABLE",
    "READMISSION_WINDOW",
    "AdmissionStats",
    "Period",
    "PeriodSummary",
    "assessment_row_count",
    "assessment_rows",
    "period_summary",
    "report_admissions",
]
