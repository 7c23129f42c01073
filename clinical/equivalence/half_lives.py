"""Half-lives of the benzodiazepines and Z-drugs, and which of them are short-acting.

Source: /work/shared/domain/equivalence.md "Half-lives" (NHS Scotland table; Medscape). Part
of ``clinical.equivalence`` (module version 2: see the package docstring).

Pure domain code: no Django, no clock.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from types import MappingProxyType

from clinical.equivalence.tables import _normalise_agent, _parse_range


@dataclass(frozen=True)
class HalfLife:
    parent_low_h: Decimal
    parent_high_h: Decimal
    metabolite_low_h: Decimal | None = None
    metabolite_high_h: Decimal | None = None


def _h(parent: str, metabolite: str | None = None) -> HalfLife:
    if metabolite is None:
        return HalfLife(*_parse_range(parent))
    return HalfLife(*_parse_range(parent), *_parse_range(metabolite))


HALF_LIVES: Mapping[str, HalfLife] = MappingProxyType(
    {
        # equivalence.md "Half-lives" (NHS Scotland table; Medscape). Hours; metabolite is the
        # active metabolite. Midazolam has no figure there, so none is given here.
        "alprazolam": _h("6-12"),
        "chlordiazepoxide": _h("5-30", "36-200"),
        "clonazepam": _h("18-50"),
        "clorazepate": _h("36-100"),
        "diazepam": _h("20-100", "36-200"),
        "estazolam": _h("10-24"),
        "flurazepam": _h("40-250"),
        "lorazepam": _h("10-20"),
        "oxazepam": _h("4-15"),
        "temazepam": _h("8-22"),
        "triazolam": _h("2"),
        "zolpidem": _h("2"),
        "zopiclone": _h("5-6"),
        "clobazam": _h("12-60"),
        "nitrazepam": _h("15-38"),
        "lormetazepam": _h("10-12"),
        "loprazolam": _h("6-12"),
    }
)

# equivalence.md "Half-lives": the listed set, taken as given rather than derived from
# HALF_LIVES, because midazolam is short-acting but has no half-life in the source.
SHORT_ACTING: frozenset[str] = frozenset({
    "alprazolam", "lorazepam", "oxazepam", "temazepam", "triazolam",
    "lormetazepam", "loprazolam", "midazolam", "zolpidem", "zopiclone",
})  # fmt: skip


def is_short_acting(agent: str) -> bool:
    """Short-acting per equivalence.md: parent half-life under 24 h, no long active metabolite."""
    return _normalise_agent(agent) in SHORT_ACTING
