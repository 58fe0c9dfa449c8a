"""The numba kernels load from their on-disk cache: a process after the first compiles nothing
(``scripts/setup.sh`` warms the cache once, so no command or test worker pays the compile)."""

from __future__ import annotations

import json
import subprocess
import sys

# warm both kernels as setup.sh does, run a real fast-path point, and report numba's counts
PROBE = """
import json
from accelsim.hw.dram import controller, model
from accelsim.sim import fast
from accelsim import api
from accelsim.config import load_hardware
from accelsim.trace.synthetic import synthetic_trace
from accelsim.policies.spatten import SpAttenPolicy
fast.warm()
model.warm()
plan = api.plan(SpAttenPolicy(), synthetic_trace(layers=1, heads=2, head_dim=32, prompt_len=16, decode_steps=2))
api.simulate_fast(load_hardware("spatten"), fast.FastModel(plan))
stats = {name: (sum(k.stats.cache_hits.values()), sum(k.stats.cache_misses.values()), len(k.signatures))
         for name, k in (("fast", fast._pipelines), ("dram", controller.run))}
print(json.dumps(stats))
"""


def probe() -> dict:
    out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True).stdout
    return json.loads(out.splitlines()[-1])


def test_second_process_loads_every_kernel_from_the_cache():
    probe()  # compiles only where the cache is cold (or the source changed since)
    second = probe()
    for name in ("fast", "dram"):
        hits, misses, signatures = second[name]
        assert (hits, misses, signatures) == (1, 0, 1), name  # one signature each, loaded, not compiled
