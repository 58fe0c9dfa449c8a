"""Wall time of the event-mode replay of the authors' GPT-2-small SpAtten trace (4608 requests).

Usage: python benchmarks/bench_replay.py [--repeat N] [--pycache DIR]
Prints load (CSV -> WorkPlan), simulate (phase 2) and total per run, on one core, excluding
interpreter start-up and imports; then the whole process as a user runs it (``accelsim run -w CSV
--json``: start-up, imports, run and output), wall and CPU (user + system) seconds, min and median;
then where a fresh process spends its time (``STEPS``, each timed in its own interpreter, min). The
fresh processes run twice: with a warm bytecode cache, as an installed package has it (in ``--pycache
DIR``, default a temporary folder, via ``PYTHONPYCACHEPREFIX``; the first run fills it), and without
one (``PYTHONDONTWRITEBYTECODE``, as on the shared dev machine, where every process compiles accelsim's
modules again).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from accelsim import api
from accelsim.config import load_hardware

CSV = Path(__file__).resolve().parents[1] / "workloads/spatten/summary-gpt2-small-wikitext2-per8.csv"
SCRIPT = Path(sys.executable).parent / "accelsim"  # the console script itself, not a pyenv shim
ACCELSIM = [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-m", "accelsim.cli"]


def child_env(pycache: str | None) -> dict[str, str]:
    """The environment of the fresh processes: this one's, with the bytecode cache in ``pycache``, or
    none if None."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "PYTHONPYCACHEPREFIX")}
    return {**env, "PYTHONPYCACHEPREFIX": pycache} if pycache else {**env, "PYTHONDONTWRITEBYTECODE": "1"}


def whole_process(repeat: int, env: dict[str, str]) -> None:
    """Wall and CPU seconds of ``accelsim run -w CSV --json``, ``repeat`` times after one warm-up."""
    wall, cpu = [], []
    for i in range(repeat + 1):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t = time.perf_counter()
        subprocess.run([*ACCELSIM, "run", "-w", str(CSV), "--json"], check=True, stdout=subprocess.DEVNULL, env=env)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if i:
            wall.append(time.perf_counter() - t)
            cpu.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    print("bytecode cache " + ("on (warm)" if "PYTHONPYCACHEPREFIX" in env else "off"))
    print(
        f"whole process (accelsim run -w CSV --json): wall min {min(wall):.3f} s median "
        f"{statistics.median(wall):.3f} s; CPU min {min(cpu):.3f} s median {statistics.median(cpu):.3f} s"
    )


STEPS = f"""
import time
t = [time.perf_counter()]
import accelsim.api, accelsim.cli.run, accelsim.facade, accelsim.sim.engine, accelsim.timers.event
t.append(time.perf_counter())
from accelsim import api
from accelsim.config import load_hardware, load_policy
hw, policy = load_hardware("spatten"), load_policy("spatten")
t.append(time.perf_counter())
plan = api.plan(policy, api.load_workload({str(CSV)!r}, 0, api.plan_engine(hw, True)), engine=api.plan_engine(hw, True))
t.append(time.perf_counter())
result, _ = api.simulate(hw, plan)
t.append(time.perf_counter())
result.model_dump_json()
t.append(time.perf_counter())
print(*(b - a for a, b in zip(t, t[1:])))
"""
"""A run's steps in a fresh interpreter: imports, configs (hardware and policy YAML), load and plan,
simulate, JSON."""


def breakdown(repeat: int, env: dict[str, str]) -> None:
    """Min over ``repeat`` fresh interpreters of each of ``STEPS``' times, and of the bare interpreter."""
    bare = min(_wall([sys.executable, "-c", "pass"], env) for _ in range(repeat))
    steps = [min(col) for col in zip(*(_steps(env) for _ in range(repeat + 1)), strict=True)]
    names = ("imports", "configs", "load+plan", "simulate", "json")
    print(
        f"fresh process, min of {repeat}: interpreter {bare:.3f} s, "
        + ", ".join(f"{n} {v:.3f} s" for n, v in zip(names, steps, strict=True))
    )


def _wall(cmd: list[str], env: dict[str, str]) -> float:
    t = time.perf_counter()
    subprocess.run(cmd, check=True, env=env)
    return time.perf_counter() - t


def _steps(env: dict[str, str]) -> list[float]:
    out = subprocess.run([sys.executable, "-c", STEPS], check=True, capture_output=True, text=True, env=env).stdout
    return [float(v) for v in out.split()]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--pycache", help="bytecode cache directory of the fresh processes (PYTHONPYCACHEPREFIX; "
                    "default: a temporary folder)")
    args = ap.parse_args()
    hw = load_hardware("spatten")
    loads, sims = [], []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        plan = api.load_workload(CSV)
        t1 = time.perf_counter()
        result, _ = api.simulate(hw, plan)
        t2 = time.perf_counter()
        loads.append(t1 - t0)
        sims.append(t2 - t1)
    tot = [a + b for a, b in zip(loads, sims, strict=True)]
    print(f"requests {result.requests}, cycles {result.cycles:,.0f}")
    print(f"load     median {statistics.median(loads):.3f} s")
    print(f"simulate median {statistics.median(sims):.3f} s")
    print(f"total    median {statistics.median(tot):.3f} s  (min {min(tot):.3f} s)")
    with tempfile.TemporaryDirectory() as tmp:
        for pycache in (args.pycache or tmp, None):
            env = child_env(pycache)
            whole_process(args.repeat, env)
            breakdown(args.repeat, env)


if __name__ == "__main__":
    main()
