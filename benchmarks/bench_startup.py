"""Whole-process wall time of ``accelsim --help``, ``accelsim run --help`` and ``import accelsim``.

Covers: interpreter start-up plus imports plus help rendering, as a user sees them (issue 19, target
``accelsim --help`` under 0.25 s). The console script is run directly from the interpreter's ``bin``
(a pyenv shim in front of it adds its own start-up, about 0.06 s); ``python -c pass`` is the floor.
Scenario: the commands run in turn, REPEAT rounds after one warm-up round; prints min and median of
wall and of CPU (user + system) seconds: on a shared machine CPU seconds move less with its load.

Usage: python benchmarks/bench_startup.py [--repeat N]
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

SCRIPT = Path(sys.executable).parent / "accelsim"
ACCELSIM = [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-m", "accelsim.cli"]
COMMANDS = {
    "python -c pass": [sys.executable, "-c", "pass"],
    "python -c 'import accelsim'": [sys.executable, "-c", "import accelsim"],
    "python -c 'import accelsim.cli'": [sys.executable, "-c", "import accelsim.cli"],
    "accelsim --help": [*ACCELSIM, "--help"],
    "accelsim run --help": [*ACCELSIM, "run", "--help"],
}


def cpu() -> float:
    """CPU seconds of this process's finished children so far."""
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def timed(cmd: list[str]) -> tuple[float, float]:
    """Wall and CPU seconds ``cmd`` takes from spawn to exit (it must succeed)."""
    t, c = time.perf_counter(), cpu()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t, cpu() - c


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=10)
    args = ap.parse_args()
    print(f"accelsim: {' '.join(ACCELSIM)}")
    for cmd in COMMANDS.values():
        timed(cmd)
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in COMMANDS}
    for _ in range(args.repeat):  # interleaved: a burst of load on the machine hits every command alike
        for name, cmd in COMMANDS.items():
            times[name].append(timed(cmd))
    for name, ts in times.items():
        w, c = [t[0] for t in ts], [t[1] for t in ts]
        print(
            f"{name:32s} wall min {min(w):.3f} s median {statistics.median(w):.3f} s; "
            f"CPU min {min(c):.3f} s median {statistics.median(c):.3f} s"
        )


if __name__ == "__main__":
    main()
