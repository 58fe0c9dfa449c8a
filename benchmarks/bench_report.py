"""Size and browser render time of the report of a 1,000-point sweep.

Usage: python benchmarks/bench_report.py [--points N] [--repeat N]
Builds a synthetic N-point results table (16 real design points on a small synthetic trace, resampled
with jittered metrics: tests/report/conftest.py), writes its report and opens it in a fresh headless Chromium
N times. Prints the Python time to write the report, the HTML size, and per load the time from
navigation start to every figure drawn (of which drawing the figures), and the same for a page holding
only plotly.js (the floor any self-contained Plotly page pays), with the load average.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the sweep generator and the browser driver are test helpers

import pandas as pd  # noqa: E402
from plotly.offline import get_plotlyjs  # noqa: E402

from accelsim.report import results_from_table, write_report  # noqa: E402
from accelsim.trace.synthetic import synthetic_trace  # noqa: E402
from tests.report.chromium import Chromium, chromium_binary  # noqa: E402
from tests.report.conftest import sweep_rows, synthetic_sweep  # noqa: E402


def load_times(binary: str, page: Path, repeat: int) -> list[tuple[float, float]]:
    """(rendered, drawing) seconds per load of ``page``, each in a fresh browser and profile."""
    out = []
    for _ in range(repeat):
        with Chromium(binary, timeout=120) as browser:
            browser.open(page.as_uri())
            browser.wait_for("document.body && document.body.dataset.rendered", timeout=120)
            assert browser.errors() == [], browser.errors()
            out.append((float(browser.evaluate("document.body.dataset.rendered")) / 1e3,
                        float(browser.evaluate("document.body.dataset.plotted")) / 1e3))
        print(f"  {page.name}: rendered after {out[-1][0]:.2f} s (drawing {out[-1][1]:.2f} s); "
              f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--points", type=int, default=1000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    trace = synthetic_trace(layers=4, heads=4, head_dim=32, prompt_len=96, decode_steps=6, seed=1)
    table = synthetic_sweep(pd.DataFrame(sweep_rows(trace)), args.points)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "report.html"
        t0 = time.perf_counter()
        names = write_report(results_from_table(table, "synthetic"), out)
        write_s = time.perf_counter() - t0
        print(f"{args.points} points, {len(names)} figures ({', '.join(names)})")
        print(f"write_report: {write_s:.2f} s; HTML {out.stat().st_size / 2**20:.2f} MiB")
        binary = chromium_binary()
        if binary is None:
            sys.exit("chromium not found (scripts/setup.sh installs it)")
        # Baseline: a page with plotly.js alone, to tell the machine's speed from the report's cost.
        empty = Path(tmp) / "plotly-only.html"
        empty.write_text(f"<!DOCTYPE html><html><head><meta charset='utf-8'><script>{get_plotlyjs()}</script></head>"
                         "<body><script>document.body.dataset.rendered = performance.now().toFixed(0); "
                         "document.body.dataset.plotted = '0';</script></body></html>")
        base = load_times(binary, empty, args.repeat)
        report = load_times(binary, out, args.repeat)
        med = [statistics.median(x) for x in zip(*report, strict=True)]
        print(f"median: rendered after {med[0]:.2f} s (drawing {med[1]:.2f} s); plotly.js alone "
              f"{statistics.median(b[0] for b in base):.2f} s")

if __name__ == "__main__":
    main()
