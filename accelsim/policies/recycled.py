"""Recycled Attention / RefreshKV (arXiv 2411.05787).

Per KV head a recycled set C of K rows. After the prefill, C is the top-K of the last prompt
query's attention (max over the group's query heads, max-pooled). A full step attends to every
row and rebuilds C the same way from its own attention; a partial step attends to C plus the new
row, then evicts C's lowest-attention row so |C| stays K. Full steps come every ``stride`` steps
(``fixed``) or, checked every ``check_every`` steps, when the cosine between the head-mean query
and the head-mean query of the last full step falls below ``cosine``.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import Field, model_validator

from accelsim.config.policy import Bits, Budget, PolicyConfig, Ratio
from accelsim.policies.base import register
from accelsim.policies.common import PlanBuilder, pool1d, require_decode
from accelsim.trace.format import Trace
from accelsim.workplan import WorkPlan


class RecycledPolicy(PolicyConfig):
    """Recycled Attention / RefreshKV: full-attention steps refresh a per-KV-head top-K set that
    partial steps attend to (arXiv 2411.05787)."""

    name: Literal["recycled"] = "recycled"
    budget: Budget = 0.125
    """Size K of the recycled set as a fraction of the context at the refresh (paper: K = n/8)."""
    schedule: Literal["fixed", "cosine"] = "fixed"
    """``fixed``: a full step every ``stride`` steps; ``cosine``: every ``check_every`` steps a full
    step when cos(mean_h q_t, mean_h q at the last full step) < ``cosine``."""
    stride: int = Field(10, ge=1)
    """Steps between full steps (paper: S in {10, 15})."""
    check_every: int = Field(5, ge=1)
    """Steps between query-similarity checks (paper: QC in {5, 10})."""
    cosine: Ratio = 0.85
    """Query-cosine threshold (paper: 0.85 Llama-3.1-8B, 0.95 Qwen2-7B)."""
    pool: int = Field(5, ge=1)
    """Max-pool kernel over the scores before top-K (the paper max-pools; kernel 5 here, as
    SnapKV's, is this tool's choice)."""
    bits: Bits = 12
    """K/V width (SpAtten on-chip width: 12)."""
    seed: int = 0
    """Seed of the random pivots of the top-k engine (the hardware's, ``hw.topk.engine``)."""

    @model_validator(mode="after")
    def _check(self) -> RecycledPolicy:
        if self.pool % 2 == 0:
            raise ValueError(f"pool must be odd, not {self.pool}")
        return self


def _refresh(ps: PlanBuilder, p: np.ndarray, n: int, budget: float, pool: int, owner: np.ndarray | None) -> np.ndarray:
    """C [G, N]: top ``round(budget * n)`` of the max-pooled, group-max attention ``p`` [H, N]."""
    m = ps.m
    g = p[:, :n].reshape(m.kv_heads, m.group, n).max(axis=1)
    out = np.zeros((m.kv_heads, p.shape[-1]), bool)
    k = np.full(m.kv_heads, max(round(budget * n), 1))
    out[:, :n] = ps.select(pool1d(g, pool, "max"), k, owner, "token")
    return out


def is_full_step(cfg: RecycledPolicy, step: int, q: np.ndarray, q_full: np.ndarray) -> bool:
    """Scheduler decision for decode ``step`` with head-mean query ``q`` (``q_full``: last full step's)."""
    if cfg.schedule == "fixed":
        return (step + 1) % cfg.stride == 0
    if (step + 1) % cfg.check_every:
        return False
    cos = q @ q_full / max(np.linalg.norm(q) * np.linalg.norm(q_full), 1e-30)
    return bool(cos < cfg.cosine)


@register(RecycledPolicy)
def plan_recycled(cfg: RecycledPolicy, workload: Trace | WorkPlan, phases: str = "both") -> WorkPlan:
    """Full steps refresh the recycled set that partial steps attend; the prefill is dense."""
    trace = require_decode(workload, "recycled", phases)
    m = trace.meta
    ps = PlanBuilder(trace, phases, bits=cfg.bits, seed=cfg.seed)
    t, n_all = m.prompt_len, m.prompt_len + m.decode_steps
    first = np.arange(m.heads) % m.group == 0
    for layer, prefill in ps.layers():
        ((_, p_last, vis),) = ps.prefill_probs(layer, np.array([t - 1]))
        p0 = np.zeros((m.heads, n_all))
        p0[:, : vis.shape[1]] = p_last[:, 0]
        cset = _refresh(ps, p0, t, cfg.budget, cfg.pool, None if prefill is None else prefill[first])
        q_full = trace.prefill(layer)[0][:, t - 1].astype(np.float64).mean(axis=0)
        dl = ps.decode_layer(layer)
        owner = ps.next_rows(m.decode_steps)
        keep = np.zeros(dl.p.shape, bool)
        full_steps = np.zeros(m.decode_steps, bool)
        for s, n in enumerate(dl.context):
            q = dl.q[s].mean(axis=0)
            if is_full_step(cfg, s, q, q_full):
                full_steps[s] = True
                keep[s] = dl.valid[s]
                cset = _refresh(ps, dl.p[s], n, cfg.budget, cfg.pool, owner[s][first])
                q_full = q
                continue
            size = cset.sum(axis=1)
            cset[:, n - 1] = True
            keep[s] = cset[ps.groups]
            w = dl.p[s] * keep[s]
            w = (w / w.sum(axis=1, keepdims=True)).reshape(m.kv_heads, m.group, -1).max(axis=1)
            low = np.argmin(np.where(cset, w, np.inf), axis=1)
            over = cset.sum(axis=1) > size
            cset[np.flatnonzero(over), low[over]] = False
        ps.decode_rows(layer, dl, keep)
    return ps.finish("recycled")
