"""Oracle per-step top-k (docs/policies.md P0): ``S = topk(p, k) ∪ sink ∪ recent`` on the exact
full-attention probabilities. Every key is fetched and scored; only the values of S are fetched.
With no forced rows it is the upper bound of attention-mass recall at its budget."""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import Field

from accelsim.config.policy import Bits, Budget, PolicyConfig
from accelsim.policies.base import register
from accelsim.policies.common import PlanBuilder, require_decode, window_mask
from accelsim.trace.format import Trace
from accelsim.workplan import WorkPlan


class OraclePolicy(PolicyConfig):
    """Exact per-step top-k of full attention, plus optional sink and recent rows (docs/policies.md
    P0). All keys are scored; only the selected value rows are fetched. The yardstick: with the
    default sink = recent = 0 no set of the same size holds more attention mass."""

    name: Literal["oracle"] = "oracle"
    budget: Budget = 0.2
    """Rows kept per head and step, as a fraction of the context (sink and recent included)."""
    sink: int = Field(0, ge=0)
    """First rows always kept (P0's ``sink[0:a]``; 0 keeps the oracle an exact upper bound)."""
    recent: int = Field(0, ge=0)
    """Last rows always kept (P0's ``recent[n-w:n]``)."""
    bits: Bits = 12
    """K/V width (SpAtten on-chip width: 12)."""


def oracle_keep(ps: PlanBuilder, p: np.ndarray, valid: np.ndarray, context: np.ndarray, budget: float,
                sink: int, recent: int, owner: np.ndarray) -> np.ndarray:
    """Keep masks [S, H, N]: forced rows plus the exact top of ``p`` up to ``round(budget * n)``."""
    steps, heads, n = p.shape
    forced = window_mask(context, n, sink, recent)[:, None, :]
    want = np.maximum(np.round(budget * context).astype(np.int64) - forced.sum(axis=-1)[:, 0], 0)
    scores = np.where(valid[:, None, :] & ~forced, p, np.nan).reshape(steps * heads, n)
    chosen = ps.select(scores, np.repeat(want, heads), owner.reshape(-1), "value")
    return chosen.reshape(steps, heads, n) | forced


@register(OraclePolicy)
def plan_oracle(cfg: OraclePolicy, workload: Trace | WorkPlan, phases: str = "both") -> WorkPlan:
    """Exact top-k per decode step and head; the prefill is dense."""
    trace = require_decode(workload, "oracle", phases)
    ps = PlanBuilder(trace, phases, bits=cfg.bits)  # quick-select: an exact engine
    for layer, _ in ps.layers():
        dl = ps.decode_layer(layer)
        owner = ps.next_rows(len(dl.context))
        keep = oracle_keep(ps, dl.p, dl.valid, dl.context, cfg.budget, cfg.sink, cfg.recent, owner)
        ps.decode_rows(layer, dl, keep, keys=np.repeat(dl.context[:, None], trace.meta.kv_heads, axis=1),
                       qk_rows=np.repeat(dl.context[:, None], trace.meta.heads, axis=1))
    return ps.finish("oracle")
