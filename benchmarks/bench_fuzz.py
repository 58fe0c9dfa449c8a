"""Covers: the hostile-input fuzz test (tests/test_fuzz.py) at any size, timed per input kind.

Scenario: ``python benchmarks/bench_fuzz.py [N]`` feeds N seeded mutants (default 1,000) of each input
kind to its reader and 20 per kind to the CLI, and prints the seconds each kind took; every mutant must
be accepted or refused in one line.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CASES = int(sys.argv[1]) if len(sys.argv) > 1 else 1000  # mutants per input kind

if __name__ == "__main__":
    cmd = [
        sys.executable,
        "-m",
        "pytest",
        "tests/test_fuzz.py",
        "-q",
        "-n",
        "0",
        "-p",
        "no:cacheprovider",
        "--durations=0",
        "--durations-min=0",
    ]
    env = {**os.environ, "FUZZ_CASES": str(CASES), "PYTHONPATH": str(ROOT)}
    print(f"{CASES:,} mutants per input kind")
    raise SystemExit(subprocess.run(cmd, cwd=ROOT, env=env).returncode)
