"""Top-k jobs through the whole UART top level, pin to pin, with the host's own client.

Covers: ``accelsim.rtl.topk.host`` (engine, buffers, UART, command decoder) simulated by cocotb +
Icarus and driven by ``accelsim.rtl.topk.protocol.TopKClient``, the code ``accelsim rtl run --port``
uses with a board.
Scenario: random jobs (n in [1, max_n], k in [1, n], uniform / normal / tie-heavy scores) plus the
edge cases go through the serial pins of each engine's top level; each job's indices are compared
with the functional model and its cycle counter with the cycle model.

Run: ``python benchmarks/bench_host_uart.py --jobs 1000 [--engine quickselect] [--json out.json]``
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np

from accelsim.rtl.topk import harness
from accelsim.rtl.topk.host_sim import SIM_DIVISOR, verify_host
from accelsim.topk import engine_params

RANDOM_SEED = 2021  # SpAtten's year; any fixed seed
PARAMS = {  # small P and n (n <= 16): a job is a few thousand cycles at the simulation's UART divisor
    "quickselect": engine_params("quickselect", parallelism=4, index_width=4, input_parallelism=2),
    "streaming": engine_params("streaming", parallelism=1, index_width=4, max_k=8),
    "statistical": engine_params("statistical", parallelism=4, index_width=4),
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--jobs", type=int, default=1000, help="random jobs per engine (edge cases are added)")
    ap.add_argument("--engine", choices=sorted(PARAMS), action="append", help="engines (default: all)")
    ap.add_argument("--json", type=Path, help="write the summaries here")
    args = ap.parse_args()
    out = []
    with tempfile.TemporaryDirectory() as work:
        for engine in args.engine or sorted(PARAMS):
            params = PARAMS[engine]
            rng = np.random.default_rng(RANDOM_SEED)
            vec = harness.concat(harness.edge_vectors(params, rng), harness.random_vectors(params, args.jobs, rng))
            start = time.perf_counter()
            rep = verify_host(engine, params, vec, Path(work))
            wall = time.perf_counter() - start
            row = {**rep.as_dict(), "divisor": SIM_DIVISOR, "wall_s": round(wall, 1)}
            out.append(row)
            print(
                f"{engine}: {rep.vectors} jobs through the serial pins, {rep.mismatches} mismatches; cycles RTL "
                f"{rep.rtl_cycles_mean:.2f}, model {rep.model_cycles_mean:.2f}, max relative error "
                f"{rep.cycle_error_max:.4f}; simulation {rep.rtl_seconds:.0f} s, wall {wall:.0f} s",
                flush=True,
            )
    if args.json:
        args.json.write_text(json.dumps(out, indent=2) + "\n")


if __name__ == "__main__":
    main()
