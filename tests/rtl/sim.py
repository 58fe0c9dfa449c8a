"""Amaranth-simulator verbs for the top-k components: play a job, collect its items."""

from __future__ import annotations

import itertools

import numpy as np
from amaranth.sim import Simulator

from accelsim.topk.statistical import z_coefficient

HANG_CYCLES = 100_000  # a job running longer than this is stuck


def params_for(engine: str, own: dict | None = None, **shared):
    """``engine``'s params with the shared fields ``shared`` and those of ``own`` (engine-specific fields,
    e.g. streaming's ``max_k``) that its model declares: one call for every engine of a parametrized test."""
    from accelsim.topk import ENGINES, engine_params

    fields = ENGINES[engine].params_type.model_fields
    return engine_params(engine, **shared, **{k: v for k, v in (own or {}).items() if k in fields})


def always():
    return itertools.repeat(1)


def run_jobs(dut, jobs, *, ready=always, idle=always, vcd: str | None = None):
    """Play ``jobs`` [(scores, k), ...] back to back on ``dut``.

    ``ready`` and ``idle`` make the sink's ready and the source's valid patterns (factories of
    iterators of 0/1). Returns, per job, the emitted indices and the cycles from its first
    accepted beat until ``busy`` falls.
    """
    streaming = not hasattr(dut.scores.payload.shape(), "elem_shape")
    lanes = 1 if streaming else dut.params.input_parallelism
    results = []

    async def bench(ctx):
        for scores, k in jobs:
            n = len(scores)
            beats = [[int(v) for v in scores[b : b + lanes]] for b in range(0, n, lanes)]
            ctx.set(dut.n, n)
            ctx.set(dut.k, k)
            if hasattr(dut, "z"):
                ctx.set(dut.z, int(z_coefficient(n, k, dut.params.z_frac_bits)[0]))
            rdy, src = ready(), idle()
            out, bi, t, t0 = [], 0, 0, None
            while bi < len(beats) or ctx.get(dut.busy):
                offer = bi < len(beats) and next(src)
                if offer:
                    beat = beats[bi] + [0] * (lanes - len(beats[bi]))
                    ctx.set(dut.scores.payload, beat[0] if streaming else beat)
                ctx.set(dut.scores.valid, offer)
                ctx.set(dut.items.ready, next(rdy))
                if offer and ctx.get(dut.scores.ready):
                    t0 = t if t0 is None else t0
                    bi += 1
                if ctx.get(dut.items.valid) and ctx.get(dut.items.ready):
                    item = ctx.get(dut.items.payload)
                    out += [item.index] if streaming else [item.index[j] for j in range(item.count)]
                await ctx.tick()
                t += 1
                assert t < HANG_CYCLES, "busy stuck high"
            ctx.set(dut.scores.valid, 0)
            results.append((np.asarray(out, dtype=np.int64), t - t0))

    sim = Simulator(dut)
    sim.add_clock(1e-8)
    sim.add_testbench(bench)
    if vcd:
        with sim.write_vcd(vcd):
            sim.run()
    else:
        sim.run()
    return results


def pause_every_fourth():
    """taxi's ``cycle_pause``: on three cycles of four."""
    return itertools.cycle((1, 1, 1, 0))


def random_pattern(seed: int):
    rng = np.random.default_rng(seed)
    return lambda: iter(lambda: int(rng.random() < 0.5), None)
