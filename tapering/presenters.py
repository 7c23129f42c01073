"""Plain-words view of a computed plan (the ``to_dict`` shape stored on each version).

Each dose is shown with its tablets or capsules ("7 mg = 1 x 5 mg + 1 x 2 mg tablet",
tapering.md section 3); dates become dates, so templates format them for people.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from clinical.taper.rounding import formulation_for
from tapering.plan_content import units_text


def present(result: dict[str, Any]) -> dict[str, Any]:
    formulation = formulation_for(result["target_agent"])
    steps = []
    for number, step in enumerate(result["steps"], start=1):
        start = dt.date.fromisoformat(step["start_date"])
        end = dt.date.fromisoformat(step["end_date"])
        steps.append(
            {
                "number": number,
                "start_date": start,
                "end_date": end,
                "days": (end - start).days + 1,
                "daily_total_mg": step["daily_total_mg"],
                "doses": [
                    {
                        "time": d["time"],
                        "mg": d["mg"],
                        "units_text": units_text(d["units"], formulation),
                    }
                    for d in step["doses"]
                ],
                "note": step["note"],
                "derivation": step["derivation"],
                "limited": step["limited_by_tablet_size"],
            }
        )
    violations = set(result.get("violations", []))
    warnings = [{**w, "needs_override": w["code"] in violations} for w in result["warnings"]]
    dispense = [
        {
            "text": f"{t['whole_units']} x {t['strength_mg']} mg {t['form']}"
            + ("s" if t["whole_units"] != 1 else ""),
            "count": t["count"],
        }
        for t in result["dispense_totals"]
    ]
    return {
        **result,
        "agent_label": result["target_agent"].capitalize(),
        "form": formulation.form,
        "steps": steps,
        "warnings": warnings,
        "violations": sorted(violations),
        "dispense": dispense,
        "end_date": steps[-1]["end_date"] if steps else None,
    }
