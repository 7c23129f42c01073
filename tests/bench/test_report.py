"""bench/report.py renders partial results (features not yet merged) without failing."""

from __future__ import annotations

from bench import report


def _phase(name: str, p95: float, rps: float, errors: int = 0) -> dict:
    return {
        "clients": 8,
        "endpoints": {
            name: {
                "count": 100,
                "errors": errors,
                "rps": rps,
                "p50_ms": p95 / 2,
                "p95_ms": p95,
                "p99_ms": p95,
                "error_samples": [],
            }
        },
    }


def test_renders_empty_results():
    text = report.render({})
    assert report.START in text and report.END in text
    assert "not available" in text


def test_targets_compare_save_with_floor():
    results = {
        "load": {
            "floor@8": _phase(report.FLOOR, 50, 100),
            "api_save@8": _phase(report.SAVE_API, 90, 60),
        },
        "queries": {"api_save": {"counts": [9], "statements": [7]}},
    }
    rows = {t: (v, d) for t, v, d in report.targets(results)}
    assert rows["Save (API) p95 < 100 ms at 8 clients"] == ("90 ms", "**met**")
    assert rows["Save (API) throughput >= 50% of floor at 8 client(s)"][1] == "**met**"
    assert rows["Save (API) <= 8 queries (whole request, BEGIN/COMMIT counted)"][1] == "**MISSED**"
    assert rows["Save (API) <= 8 queries (whole request, without BEGIN/COMMIT)"][1] == "**met**"


def test_rewrite_keeps_hand_written_analysis(tmp_path):
    path = tmp_path / "RESULTS.md"
    path.write_text(f"# Results\n\n{report.START}\nold\n{report.END}\n\n## Analysis\nkept\n")
    report.write_results_md(path, f"{report.START}\nnew\n{report.END}")
    text = path.read_text()
    assert "new" in text and "old" not in text and "## Analysis\nkept" in text
