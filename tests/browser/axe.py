"""Accessibility check with vendored axe-core: fail on serious or critical violations."""

from __future__ import annotations

from pathlib import Path
from typing import Any

AXE_JS = (Path(__file__).parent / "vendor" / "axe.min.js").read_text()
FAIL_IMPACTS = {"serious", "critical"}


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """Serious and critical WCAG 2.1 A/AA violations on the current page."""
    # The page's CSP may forbid injected scripts; evaluate() runs in the page context
    # through the DevTools protocol, which CSP does not govern.
    page.evaluate(AXE_JS)
    result = page.evaluate(
        """async () => await axe.run(document, {
            runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}
        })"""
    )
    return [
        {
            "id": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "targets": [n["target"] for n in v["nodes"][:5]],
        }
        for v in result["violations"]
        if v["impact"] in FAIL_IMPACTS
    ]


def assert_accessible(page: Any) -> None:
    violations = axe_violations(page)
    assert not violations, f"axe found serious accessibility problems: {violations}"
