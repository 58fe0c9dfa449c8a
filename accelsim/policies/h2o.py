"""H2O, heavy-hitter oracle (FMInference/H2O ``utils_real_drop/modify_llama.py``).

Per query head: after the dense prefill, the cache keeps the ``heavy`` rows with the largest
attention summed over the prompt queries (outside the recent window) plus the last ``recent``
rows. Each decode step appends the new row, attends to the cache, adds the attention each cached
row received to its score, and evicts one row: the non-recent row with the lowest accumulated
score. Evicted rows never return.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from accelsim.config.policy import Bits, Budget, PolicyConfig, Ratio
from accelsim.policies.base import register
from accelsim.policies.common import PlanBuilder, require_decode
from accelsim.trace.format import Trace
from accelsim.workplan import WorkPlan


class H2OPolicy(PolicyConfig):
    """H2O: heavy hitters by accumulated attention plus a recent window, one eviction per step
    (FMInference/H2O ``utils_real_drop/modify_llama.py``)."""

    name: Literal["h2o"] = "h2o"
    heavy_ratio: Ratio = 0.1
    """Heavy-hitter rows as a fraction of the prompt (``heavy_ratio=0.1``, H2O)."""
    recent_ratio: Ratio = 0.1
    """Recent rows as a fraction of the prompt (``recent_ratio=0.1``, H2O)."""
    budget: Budget | None = None
    """If set, overrides both ratios with ``budget / 2`` each."""
    bits: Bits = 12
    """K/V width (SpAtten on-chip width: 12)."""
    seed: int = 0
    """Seed of the random pivots of the top-k engine (the hardware's, ``hw.topk.engine``)."""


def h2o_sizes(cfg: H2OPolicy, prompt_len: int) -> tuple[int, int]:
    """(heavy, recent) rows."""
    heavy, recent = (cfg.budget / 2,) * 2 if cfg.budget is not None else (cfg.heavy_ratio, cfg.recent_ratio)
    return round(heavy * prompt_len), max(round(recent * prompt_len), 1)


def _evict(
    ps: PlanBuilder, cache: np.ndarray, acc: np.ndarray, n: int, heavy: int, recent: int, owner: np.ndarray | None
) -> np.ndarray:
    """Cache [H, N] after keeping the top-``heavy`` accumulated scores of rows ``< n - recent``."""
    old = cache.copy()
    old[:, n - recent :] = False
    if not (old.sum(axis=1) > heavy).any():
        return cache
    kept = ps.select(np.where(old, acc, np.nan), np.full(len(cache), heavy), owner, "token")
    out = cache.copy()
    out[:, : max(n - recent, 0)] = kept[:, : max(n - recent, 0)]
    return out


def prompt_attention(ps: PlanBuilder, layer: int) -> np.ndarray:
    """[H, T]: the attention each prompt row received from the prompt queries, summed block by block."""
    acc = np.zeros((ps.m.heads, ps.m.prompt_len))
    for _, p, vis in ps.prefill_probs(layer):
        acc[:, : vis.shape[1]] += p.sum(axis=1)
    return acc


@register(H2OPolicy)
def plan_h2o(cfg: H2OPolicy, workload: Trace | WorkPlan, phases: str = "both") -> WorkPlan:
    """Heavy hitters plus recent rows, one eviction per decode step; the prefill is dense."""
    trace = require_decode(workload, "h2o", phases)
    m = trace.meta
    ps = PlanBuilder(trace, phases, bits=cfg.bits, seed=cfg.seed)
    heavy, recent = h2o_sizes(cfg, m.prompt_len)
    t, n_all = m.prompt_len, m.prompt_len + m.decode_steps
    for layer, prefill in ps.layers():
        acc = np.zeros((m.heads, n_all))
        acc[:, :t] = prompt_attention(ps, layer)
        cache = np.zeros((m.heads, n_all), bool)
        cache[:, :t] = True
        cache = _evict(ps, cache, acc, t, heavy, recent, prefill)  # the prefill's selection
        dl = ps.decode_layer(layer)
        owner = ps.next_rows(m.decode_steps)
        keep = np.zeros(dl.p.shape, bool)
        for s, n in enumerate(dl.context):
            cache[:, n - 1] = True
            keep[s] = cache
            w = dl.p[s] * cache
            acc += w / w.sum(axis=1, keepdims=True)
            cache = _evict(ps, cache, acc, n, heavy, recent, owner[s])
        ps.decode_rows(layer, dl, keep)
    return ps.finish("h2o")
