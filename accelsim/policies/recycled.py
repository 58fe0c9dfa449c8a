"""Recycled Attention / RefreshKV (arXiv 2411.05787).

Per KV head a recycled set C of K rows. After the prefill, C is the top-K of the last prompt
query's attention (max over the group's query heads, max-pooled). A full step attends to every
row and rebuilds C the same way from its own attention; a partial step attends to C plus the new
row, then evicts C's lowest-attention row so |C| stays K. Full steps come every ``stride`` steps
(``fixed``) or, checked every ``check_every`` steps, when the cosine between the head-mean query
and the head-mean query of the last full step falls below ``cosine``.
"""

from __future__ import annotations

import numpy as np

from accelsim.config.policy import RecycledPolicy
from accelsim.policies.base import register
from accelsim.policies.common import Pass, pool1d, require_decode
from accelsim.trace.format import Trace
from accelsim.workplan import WorkPlan


def _refresh(ps: Pass, p: np.ndarray, n: int, budget: float, pool: int, owner: np.ndarray | None) -> np.ndarray:
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


@register("recycled")
def plan_recycled(cfg: RecycledPolicy, workload: Trace | WorkPlan, phases: str = "both") -> WorkPlan:
    """Full steps refresh the recycled set that partial steps attend; the prefill is dense."""
    trace = require_decode(workload, "recycled", phases)
    m = trace.meta
    ps = Pass(trace, phases, bits=cfg.bits, seed=cfg.seed)
    t, n_all = m.prompt_len, m.prompt_len + m.decode_steps
    first = np.arange(m.heads) % m.group == 0
    for layer, prefill in ps.layers():
        (_, p_last, _), = ps.prefill_probs(layer, np.array([t - 1]))
        p0 = np.zeros((m.heads, n_all))
        p0[:, :t] = p_last[:, 0]
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
