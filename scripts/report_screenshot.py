"""Screenshot an accelsim HTML report in headless Chromium (for docs/img/report.png).

Usage: python scripts/report_screenshot.py REPORT.html OUT.png [--height PX] [--scale S]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the browser driver is a test helper

from tests.report.chromium import Chromium, chromium_binary


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("report", type=Path)
    ap.add_argument("out", type=Path)
    ap.add_argument("--width", type=int, default=1200)
    ap.add_argument("--height", type=int, default=None, help="CSS pixels from the top (default: whole page)")
    ap.add_argument("--scale", type=float, default=0.6)
    args = ap.parse_args()
    binary = chromium_binary()
    if binary is None:
        sys.exit("chromium not found (scripts/setup.sh installs it)")
    with Chromium(binary, width=args.width, timeout=120) as browser:
        browser.open(args.report.resolve().as_uri())
        browser.wait_for("document.body && document.body.dataset.rendered", timeout=120)
        if browser.errors():
            sys.exit(f"the report logged errors: {browser.errors()}")
        args.out.parent.mkdir(parents=True, exist_ok=True)
        browser.screenshot(args.out, width=args.width, height=args.height, scale=args.scale)
    print(f"{args.out}: {args.out.stat().st_size / 1024:.0f} KiB")


if __name__ == "__main__":
    main()
