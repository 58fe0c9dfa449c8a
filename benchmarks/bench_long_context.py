"""Phase 1 at long contexts: decode-only plans of SpAtten, H2O and StreamingLLM on synthetic traces.

Usage: python benchmarks/bench_long_context.py [--contexts 1024 4096 16384 32768] [--policies spatten h2o streaming]
       [--layers 12] [--heads 12] [--head-dim 64] [--steps 8]

Each (context, policy) runs in a process of its own (its peak RSS is its own): it generates the trace
(``accelsim.trace.synthetic``, float16, held whole in memory), then times ``make_plan(policy, trace,
phases="decode")``. The plan's time splits into the prompt pass a policy needs before its first decode
step (SpAtten: the prefill's cascade pruning and token importance; H2O: the attention each prompt row
received from the prompt queries, which is quadratic in the prompt by the algorithm's definition;
StreamingLLM: none) and the decode steps, reported per step and layer, in wall and in CPU seconds (the
process's own: steadier on a shared machine). Peak RSS includes the trace.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CONTEXTS = (1024, 4096, 16384, 32768)  # prompt tokens (issue 19)
POLICIES = ("spatten", "h2o", "streaming")


def _rss_gb() -> float:
    """Resident set size now, GB."""
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * resource.getpagesize() / 1e9


def run_case(context: int, policy: str, layers: int, heads: int, head_dim: int, steps: int) -> dict:
    """Plan one case in this process; the times of its prompt pass and of its decode steps."""
    from accelsim.config import load_policy
    from accelsim.policies import h2o, make_plan, spatten
    from accelsim.trace.synthetic import synthetic_trace

    trace = synthetic_trace(
        layers=layers, heads=heads, head_dim=head_dim, prompt_len=context, decode_steps=steps, seed=0
    )
    trace_gb = _rss_gb()
    spent: dict[str, float] = defaultdict(float)  # wall seconds
    cpu: dict[str, float] = defaultdict(float)  # CPU seconds of this process (steadier on a shared machine)

    def timed(fn, phase):
        def wrapper(*args, **kwargs):
            t0, c0 = time.perf_counter(), time.process_time()
            try:
                return fn(*args, **kwargs)
            finally:
                spent[phase(*args, **kwargs)] += time.perf_counter() - t0
                cpu[phase(*args, **kwargs)] += time.process_time() - c0

        return wrapper

    builder = spatten.SpAttenPlanBuilder
    builder._layer = timed(builder._layer, lambda _self, _l, _s, prefill, *a: "prompt" if prefill else "decode")
    h2o.prompt_attention = timed(h2o.prompt_attention, lambda *a: "prompt")
    t0, c0 = time.perf_counter(), time.process_time()
    plan = make_plan(load_policy(policy), trace, phases="decode")
    total, total_cpu = time.perf_counter() - t0, time.process_time() - c0
    prompt = spent["prompt"]
    return {
        "context": context,
        "policy": policy,
        "requests": len(plan.requests),
        "total_s": total,
        "prompt_s_per_layer": prompt / layers,
        "decode_s_per_step_layer": (total - prompt) / (steps * layers),
        "decode_cpu_s_per_step_layer": (total_cpu - cpu["prompt"]) / (steps * layers),
        "trace_gb": trace_gb,
        "peak_rss_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e9,
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--contexts", type=int, nargs="+", default=list(CONTEXTS))
    ap.add_argument("--policies", nargs="+", default=list(POLICIES))
    ap.add_argument("--layers", type=int, default=12)
    ap.add_argument("--heads", type=int, default=12)
    ap.add_argument("--head-dim", type=int, default=64)
    ap.add_argument("--steps", type=int, default=8)
    ap.add_argument("--threads", type=int, default=1, help="BLAS threads of each case (OPENBLAS/OMP_NUM_THREADS)")
    ap.add_argument("--case", nargs=2, metavar=("CONTEXT", "POLICY"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    shape = (args.layers, args.heads, args.head_dim, args.steps)
    if args.case:
        print(json.dumps(run_case(int(args.case[0]), args.case[1], *shape)))
        return
    env = os.environ | {"OPENBLAS_NUM_THREADS": str(args.threads), "OMP_NUM_THREADS": str(args.threads)}
    print(
        f"{args.layers} layers, {args.heads} heads, head dim {args.head_dim}, {args.steps} decode steps; "
        f"decode-only plans; {args.threads} BLAS thread(s)"
    )
    print(
        "| context | policy | prompt pass s/layer | decode s/step/layer | decode CPU s/step/layer "
        "| decode CPU us/step/layer per 1k tokens | peak RSS GB | trace GB |"
    )
    print("|---:|---|---:|---:|---:|---:|---:|---:|")
    for context in args.contexts:
        for policy in args.policies:
            cmd = [
                sys.executable,
                __file__,
                "--case",
                str(context),
                policy,
                "--layers",
                str(args.layers),
                "--heads",
                str(args.heads),
                "--head-dim",
                str(args.head_dim),
                "--steps",
                str(args.steps),
            ]
            out = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, env=env)
            if out.returncode:
                print(f"| {context} | {policy} | failed: {out.stderr.strip().splitlines()[-1]} | | | | | |", flush=True)
                continue
            r = json.loads(out.stdout)
            per_k = r["decode_cpu_s_per_step_layer"] * 1e6 / (context / 1024)
            print(
                f"| {context} | {policy} | {r['prompt_s_per_layer']:.3f} | {r['decode_s_per_step_layer']:.4f} | "
                f"{r['decode_cpu_s_per_step_layer']:.4f} | {per_k:.0f} | {r['peak_rss_gb']:.2f} | "
                f"{r['trace_gb']:.2f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
