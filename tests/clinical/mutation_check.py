"""Branch-mutation check of the clinical rules (not a test module: run it by hand).

    .venv/bin/python tests/clinical/mutation_check.py [ID-REGEX] [TEST PATHS...]

Copies the project into a temporary directory (the work tree is never changed), applies one
mutation at a time to a rule in ``clinical/`` (a comparison flipped, a branch removed, a
threshold moved by one step, an ``or`` made ``and``), runs the tests, and prints which test
failed first. A mutation that no test catches is printed as SURVIVED: add a test for it.
The last run's results are recorded in tests/clinical/test_rule_branches.py.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[2]
S = "clinical/risk/sedation.py"
B = "clinical/equivalence/bands.py"
I = "clinical/risk/intake.py"  # noqa: E741
A = "clinical/risk/assessment.py"
T = "clinical/risk/setting.py"
BASE = "clinical/risk/base.py"
# (id, file, text to replace, replacement): each text must occur exactly once in its file.
MUTATIONS: list[tuple[str, str, str, str]] = [
    # sedation hold rule
    (
        "S1",
        S,
        "sedation_level >= HOLD_AT_SEDATION_LEVEL",
        "sedation_level > HOLD_AT_SEDATION_LEVEL",
    ),
    (
        "S2",
        S,
        "sedation_level >= HOLD_AT_SEDATION_LEVEL",
        "sedation_level == HOLD_AT_SEDATION_LEVEL",
    ),
    ("S3", S, "CANNOT_STAY_AWAKE_LEVEL = 2", "CANNOT_STAY_AWAKE_LEVEL = 1"),
    ("S4", S, "CANNOT_STAY_AWAKE_LEVEL = 2", "CANNOT_STAY_AWAKE_LEVEL = 3"),
    ("S5", S, "if sedation_level is not None and sedation_level", "if sedation_level"),
    ("S6", S, "        return True\n", "        return False\n"),
    ("S7", S, "return unable_reason in HOLD_WHEN_UNABLE", "return False"),
    (
        "S8",
        S,
        "return unable_reason in HOLD_WHEN_UNABLE",
        "return unable_reason not in HOLD_WHEN_UNABLE",
    ),
    (
        "S9",
        S,
        "frozenset({UnableReason.DIFFICULT_TO_ROUSE, UnableReason.CONFUSED})",
        "frozenset({UnableReason.CONFUSED})",
    ),
    (
        "S10",
        S,
        "frozenset({UnableReason.DIFFICULT_TO_ROUSE, UnableReason.CONFUSED})",
        "frozenset({UnableReason.DIFFICULT_TO_ROUSE})",
    ),
    (
        "S11",
        S,
        "frozenset({UnableReason.DIFFICULT_TO_ROUSE, UnableReason.CONFUSED})",
        "frozenset({UnableReason.DIFFICULT_TO_ROUSE, UnableReason.CONFUSED, "
        "UnableReason.ASLEEP_EASILY_ROUSED})",
    ),
    ("S12", S, "        return True\n", "        return unable_reason in HOLD_WHEN_UNABLE\n"),
    (
        "S13",
        S,
        "    if sedation_level is not None and sedation_level >= HOLD_AT_SEDATION_LEVEL:\n"
        "        return True\n",
        "    if sedation_level is not None:\n"
        "        return sedation_level >= HOLD_AT_SEDATION_LEVEL\n",
    ),
    (
        "S16",
        S,
        "    return unable_reason in HOLD_WHEN_UNABLE",
        "    return sedation_level is None and unable_reason in HOLD_WHEN_UNABLE",
    ),
    # dose bands and withdrawal risk (2025 Joint Guideline Table 2)
    ("B1", B, "diazepam_mg <= LOW_BAND_MAX_MG", "diazepam_mg < LOW_BAND_MAX_MG"),
    ("B2", B, "diazepam_mg <= MODERATE_BAND_MAX_MG", "diazepam_mg < MODERATE_BAND_MAX_MG"),
    ("B3", B, 'LOW_BAND_MAX_MG = Decimal("10")', 'LOW_BAND_MAX_MG = Decimal("9.99")'),
    ("B4", B, 'LOW_BAND_MAX_MG = Decimal("10")', 'LOW_BAND_MAX_MG = Decimal("10.01")'),
    ("B5", B, 'MODERATE_BAND_MAX_MG = Decimal("15")', 'MODERATE_BAND_MAX_MG = Decimal("14.99")'),
    ("B6", B, 'MODERATE_BAND_MAX_MG = Decimal("15")', 'MODERATE_BAND_MAX_MG = Decimal("15.01")'),
    ("B7", B, "        return DoseBand.MODERATE\n", "        return DoseBand.HIGH\n"),
    ("B8", B, "        return DoseBand.LOW\n", "        return DoseBand.MODERATE\n"),
    ("B9", B, "    return DoseBand.HIGH\n", "    return DoseBand.MODERATE\n"),
    ("B10", B, '    _check_mg(diazepam_mg, "Diazepam dose")\n    if', "    if"),
    ("B11", B, "if any_unconverted and band is not DoseBand.HIGH:", "if any_unconverted:"),
    (
        "B12",
        B,
        "if any_unconverted and band is not DoseBand.HIGH:",
        "if band is not DoseBand.HIGH:",
    ),
    (
        "B13",
        B,
        "if any_unconverted and band is not DoseBand.HIGH:",
        "if any_unconverted or band is not DoseBand.HIGH:",
    ),
    (
        "B14",
        B,
        "if any_unconverted and band is not DoseBand.HIGH:",
        "if any_unconverted and band is DoseBand.LOW:",
    ),
    ("B15", B, "        return None\n    return band\n", "        return band\n    return band\n"),
    (
        "W1",
        B,
        "days_per_week <= _RARE_MAX_DAYS_PER_WEEK",
        "days_per_week < _RARE_MAX_DAYS_PER_WEEK",
    ),
    ("W2", B, "duration_months < _SHORT_USE_MONTHS", "duration_months <= _SHORT_USE_MONTHS"),
    ("W3", B, "duration_months < _LONG_USE_MONTHS", "duration_months <= _LONG_USE_MONTHS"),
    ("W4", B, "        if band is None:\n            return None\n", ""),
    (
        "W5",
        B,
        "WithdrawalRisk.LOWER if band is DoseBand.LOW else",
        "WithdrawalRisk.LOWER if band is not DoseBand.HIGH else",
    ),
    ("W6", B, "        return WithdrawalRisk.LOWER\n", "        return WithdrawalRisk.EXPECTED\n"),
    ("W7", B, "        return WithdrawalRisk.RARE\n", "        return WithdrawalRisk.LOWER\n"),
    (
        "W8",
        B,
        "    return WithdrawalRisk.EXPECTED\n",
        "    return WithdrawalRisk.LOWER if band is DoseBand.LOW else WithdrawalRisk.EXPECTED\n",
    ),
    ("W9", B, "if not 0 <= days_per_week <= 7:", "if not 0 <= days_per_week <= 8:"),
    ("W10", B, "duration_months < 0:", "duration_months < -1:"),
    ("W11", B, "_RARE_MAX_DAYS_PER_WEEK = 3", "_RARE_MAX_DAYS_PER_WEEK = 4"),
    # seizure risk: intake history and abrupt stop at a high dose, assessment seizure, setting
    (
        "Z1",
        I,
        "    if intake.withdrawal_seizures or intake.epilepsy:",
        "    if intake.withdrawal_seizures:",
    ),
    ("Z2", I, "    if intake.withdrawal_seizures or intake.epilepsy:", "    if intake.epilepsy:"),
    (
        "Z3",
        I,
        "    if intake.withdrawal_seizures or intake.epilepsy:",
        "    if intake.withdrawal_seizures and intake.epilepsy:",
    ),
    (
        "Z4",
        I,
        '            "history_withdrawal_seizures_or_epilepsy",\n            Level.HIGH,',
        '            "history_withdrawal_seizures_or_epilepsy",\n            Level.ELEVATED,',
    ),
    ("Z5", I, "if stopped and intake.dose_band == DoseBand.HIGH:", "if stopped:"),
    (
        "Z6",
        I,
        "if stopped and intake.dose_band == DoseBand.HIGH:",
        "if intake.dose_band == DoseBand.HIGH:",
    ),
    (
        "Z7",
        I,
        "if stopped and intake.dose_band == DoseBand.HIGH:",
        "if stopped or intake.dose_band == DoseBand.HIGH:",
    ),
    (
        "Z8",
        I,
        '            "high_dose_abrupt_stop_seizure",\n            Level.HIGH,',
        '            "high_dose_abrupt_stop_seizure",\n            Level.ELEVATED,',
    ),
    (
        "Z9",
        I,
        "as_of - substance.last_dose_at > ABRUPT_STOP_AFTER",
        "as_of - substance.last_dose_at >= ABRUPT_STOP_AFTER",
    ),
    (
        "Z10",
        I,
        "    if substance.last_dose_at is None:\n        return False",
        "    if substance.last_dose_at is None:\n        return True",
    ),
    (
        "Z11",
        BASE,
        "ABRUPT_STOP_AFTER = timedelta(hours=24)",
        "ABRUPT_STOP_AFTER = timedelta(hours=23)",
    ),
    (
        "Z12",
        BASE,
        "ABRUPT_STOP_AFTER = timedelta(hours=24)",
        "ABRUPT_STOP_AFTER = timedelta(hours=25)",
    ),
    ("Z13", A, '(current.seizure, "seizure_since_last"', '(False, "seizure_since_last"'),
    (
        "Z14",
        T,
        "    if intake.withdrawal_seizures or intake.epilepsy:",
        "    if intake.withdrawal_seizures:",
    ),
    ("Z15", T, "    if intake.withdrawal_seizures or intake.epilepsy:", "    if intake.epilepsy:"),
    (
        "Z16",
        I,
        "    if intake.alcohol_dependence or intake.other_cns_depressants:",
        "    if intake.alcohol_dependence:",
    ),
    (
        "Z17",
        I,
        "    if intake.alcohol_dependence or intake.other_cns_depressants:",
        "    if intake.other_cns_depressants:",
    ),
    (
        "Z18",
        I,
        '            "high_dose_abrupt_stop_delirium",\n            Level.ELEVATED,',
        '            "high_dose_abrupt_stop_delirium",\n            Level.HIGH,',
    ),
    (
        "Z19",
        I,
        "    stopped = [s for s in intake.substances if _stopped_abruptly(s, as_of)]",
        "    stopped = [s for s in intake.substances[:1] if _stopped_abruptly(s, as_of)]",
    ),
]


def main(argv: list[str]) -> int:
    only = argv[0] if argv and argv[0] != "all" else None
    tests = argv[1:] or [
        "tests/clinical/test_risk.py",
        "tests/clinical/test_equivalence.py",
        "tests/clinical/test_rule_branches.py",
    ]
    survived = 0
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "project"
        shutil.copytree(
            PROJECT,
            root,
            ignore=shutil.ignore_patterns(".venv", ".git", "test-artifacts", ".run", "__pycache__"),
        )
        for mid, path, old, new in MUTATIONS:
            if only and not re.fullmatch(only, mid):
                continue
            target = root / path
            source = target.read_text()
            if source.count(old) != 1:
                print(f"{mid}: text found {source.count(old)} times in {path}: update the list")
                survived += 1
                continue
            target.write_text(source.replace(old, new))
            try:
                run = subprocess.run(
                    [
                        sys.executable,
                        "-m",
                        "pytest",
                        "-q",
                        "-x",
                        "-p",
                        "no:xdist",
                        "-p",
                        "no:cacheprovider",
                        *tests,
                    ],
                    cwd=root,
                    capture_output=True,
                    text=True,
                    timeout=900,
                    check=False,
                )
            finally:
                target.write_text(source)
            failed = re.findall(r"^(?:FAILED|ERROR) (\S+)", run.stdout, re.M)
            if run.returncode == 0:
                survived += 1
                print(f"{mid}: SURVIVED ({path}: {old.strip()[:60]!r} -> {new.strip()[:60]!r})")
            else:
                last = run.stdout.strip().splitlines()[-1:] or ["no output"]
                print(f"{mid}: killed by {(failed or last)[0]}")
            sys.stdout.flush()
    return 1 if survived else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
