"""Click-to-confirmation in Debian's chromium: tap the 20 scores, press Save, time until the
confirmation page has loaded.

``python bench/browser.py driver-config.json out.json [runs]``, started by bench/run.py
while gunicorn is up. Same launch flags as tests/browser/conftest.py.
"""

from __future__ import annotations

import json
import os
import random
import sys
import time
from pathlib import Path

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def main() -> None:
    cfg = json.loads(Path(sys.argv[1]).read_text())
    out = Path(sys.argv[2])
    runs = int(sys.argv[3]) if len(sys.argv) > 3 else 20
    if not Path(CHROMIUM).exists():
        out.write_text(json.dumps({"error": f"{CHROMIUM} not installed"}))
        return
    from playwright.sync_api import sync_playwright

    base = f"http://{cfg['host']}:{cfg['port']}"
    nurse = next(p for p in cfg["phases"] if p["scenario"] == "page_save")["users"][1]
    form_url = cfg["endpoints"]["page_save"]["url"]
    rng = random.Random(5)
    samples, fill, errors = [], [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        context = browser.new_context(viewport={"width": 375, "height": 812})
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.goto(f"{base}/accounts/login/")
        page.fill("#id_username", nurse["username"])
        page.fill("#id_password", cfg["password"])
        page.click("button[type=submit]")
        page.wait_for_load_state("load")
        for i in range(runs + 1):  # the first run warms the browser cache and is dropped
            admission = rng.choice(nurse["admissions"])
            page.goto(base + form_url.replace("ADMISSION", admission["public_id"]))
            started = time.perf_counter()
            for n in range(1, 21):
                page.click(f"label[for=i{n}-{rng.choice([0, 0, 1, 1, 2])}]")
            filled = time.perf_counter()
            try:
                with page.expect_navigation(wait_until="load"):
                    page.click("#ciwa-save")
                took = time.perf_counter() - filled
                if "/new/" in page.url:
                    errors.append(f"stayed on the form: {page.url}")
                elif i:
                    samples.append(took * 1000)
                    fill.append((filled - started) * 1000)
            except Exception as exc:  # reported, not raised: the run goes on
                errors.append(str(exc)[:200])
        browser.close()
    samples.sort()

    def pct(q: float) -> float | None:
        return (
            round(samples[min(len(samples) - 1, round(q * (len(samples) - 1)))], 1)
            if samples
            else None
        )

    out.write_text(
        json.dumps(
            {
                "runs": len(samples),
                "p50_ms": pct(0.5),
                "p95_ms": pct(0.95),
                "max_ms": round(max(samples), 1) if samples else None,
                "errors": len(errors),
                "error_samples": errors[:3],
                "note": "time from the click on Save to the load event of the confirmation page "
                "(phone viewport, JavaScript on, server idle apart from this browser)",
                "samples_ms": [round(s, 1) for s in samples],
            },
            indent=1,
        )
    )


if __name__ == "__main__":
    main()
