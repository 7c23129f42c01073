"""The discharge summary's content, built from the stay's records, and its plain-words copy.

Every number here is read from a stored record (admission, movements, substances, CIWA-B
assessments, flags, escalations, taper plan versions, scheduled doses and their records,
aftercare plan, follow-ups); nothing is recomputed from a rule, so the summary says what the
chart says. The continuing taper is the active plan's remaining scheduled doses (tapering.md
section 3: each dose with its tablets; section 6: doses due at unit times of day).

``CONTENT_VERSION`` names this shape; it is stored with every signed summary.

One topic a module: ``records`` (CIWA-B, flags, plans and doses of the stay), ``taper`` (the
continuing taper) and ``content`` (the whole content and its canonical bytes). Import the
public names from ``aftercare.summary``.
"""

from aftercare.summary.content import CONTENT_VERSION, build_content, canonical
from aftercare.summary.taper import continuing_taper, part_of_day

__all__ = ["CONTENT_VERSION", "build_content", "canonical", "continuing_taper", "part_of_day"]
