"""Example policy ``sinktopk``: at each decode step every query head keeps its attention sinks, a
recent window and, of the other rows, the ``budget`` share of the context with the highest scores,
picked by the hardware's top-k engine (``hw.topk.engine``); the prefill is dense.

The whole policy is this file: its params model and its planner, tied by ``@register``.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import Field

from accelsim.config.policy import Bits, Budget, PolicyConfig
from accelsim.policies import register
from accelsim.policies.common import PlanBuilder, require_trace, window_mask
from accelsim.trace.format import Trace
from accelsim.workplan import WorkPlan


class SinkTopKPolicy(PolicyConfig):
    """Sinks + recent window + engine-selected top rows, per query head and decode step."""

    name: Literal["sinktopk"] = "sinktopk"
    sink: int = Field(4, ge=0)
    """First rows always kept (StreamingLLM ``start_size=4``)."""
    recent: int = Field(8, ge=0)
    """Last rows always kept (example choice)."""
    budget: Budget = 0.2
    """Rows kept per head and step, sinks and window included, as a fraction of the context."""
    bits: Bits = 12
    """K/V width (SpAtten on-chip width: 12)."""
    seed: int = 0
    """Seed of the random choices of the top-k engine (the hardware's, ``hw.topk.engine``)."""


@register(SinkTopKPolicy)
def plan_sinktopk(cfg: SinkTopKPolicy, workload: Trace | WorkPlan, phases: str = "both") -> WorkPlan:
    """Every key scored, the kept rows' values fetched; one top-k job per head and step."""
    trace = require_trace(workload, "sinktopk")
    ps = PlanBuilder(trace, phases, bits=cfg.bits, seed=cfg.seed)
    for layer, _ in ps.layers():
        dl = ps.decode_layer(layer)
        steps, heads, n = dl.p.shape
        owner = ps.next_rows(steps)
        forced = window_mask(dl.context, n, cfg.sink, cfg.recent)[:, None, :]
        want = np.maximum(np.round(cfg.budget * dl.context).astype(np.int64) - forced.sum(axis=-1)[:, 0], 0)
        scores = np.where(dl.valid[:, None, :] & ~forced, dl.p_q, np.nan).reshape(steps * heads, n)
        chosen = ps.select(scores, np.repeat(want, heads), owner.reshape(-1), "value").reshape(steps, heads, n)
        context = np.repeat(dl.context[:, None], trace.meta.kv_heads, axis=1)
        ps.decode_rows(layer, dl, chosen | forced, keys=context, qk_rows=np.repeat(dl.context[:, None], heads, axis=1))
    return ps.finish("sinktopk")
