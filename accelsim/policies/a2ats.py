"""A²ATS (junhuihe-hjh/vqkey ``vqkey/models/llama_masked.py``, ``notebooks/construct_codebooks.py``).

Per (layer, KV head) a codebook is fitted offline to the prompt keys under the query-aware metric
``H = Σ q qᵀ`` of the group's prompt queries (``H /= rms(H)``, ``L = chol(H + 1e-6 I)``, k-means
of ``k L``); every key is stored as the id of its nearest centroid. A decode step builds a lookup
table ``q · ĉ`` over the codebook (``ĉ = c L⁻¹``), estimates every score as ``lut[id_j]``, keeps
``sink`` + ``window`` rows and the top ``topk · n`` estimates per query head, and attends exactly
to the union over the KV group. DRAM traffic: the ids of all rows (and the codebook unless it is
held on chip) as side bytes, K and V of the union.

Differences from the source: trace keys are post-RoPE, so they are coded as they are (the source
codes pre-RoPE keys and rotates queries to a fixed position); k-means starts from distinct
prompt keys drawn at random instead of k-means++; the codebook has at most one entry per prompt key.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import Field

from accelsim.config.policy import Bits, Budget, PolicyConfig, Ratio
from accelsim.policies.base import register
from accelsim.policies.common import PlanBuilder, block_rows, qk_scores, require_decode, window_mask
from accelsim.trace.format import Trace
from accelsim.workplan import WorkPlan


class A2ATSPolicy(PolicyConfig):
    """A²ATS: keys vector-quantized to codebook ids, scores estimated from a per-step lookup table,
    top-k per query head, exact attention on the union per KV head
    (junhuihe-hjh/vqkey ``vqkey/models/llama_masked.py``)."""

    name: Literal["a2ats"] = "a2ats"
    codebook: int = Field(4096, ge=2)
    """Codebook entries per (layer, KV head) (vqkey: 4096, 12-bit ids); capped at the prompt length."""
    topk: Ratio = 0.03
    """Rows selected by estimated score per query head, as a fraction of the context (vqkey: 0.03)."""
    sink: int = Field(8, ge=0)
    """First rows always kept (vqkey: 8)."""
    window: int = Field(64, ge=0)
    """Last rows always kept (vqkey: 64)."""
    budget: Budget | None = None
    """If set, each step keeps ``B = round(budget * n)`` rows per query head: ``min(sink, B // 8)``
    sink rows, ``min(window, B // 4)`` window rows, the rest by estimated score."""
    kmeans_iters: int = Field(10, ge=1)
    """Lloyd iterations after k-means++ seeding of each codebook."""
    codebook_in_sram: bool = False
    """The codebook stays on chip (no DRAM traffic); otherwise it is fetched at every step."""
    bits: Bits = 12
    """K/V and codebook element width (SpAtten on-chip width: 12)."""
    seed: int = 0
    """Seed of k-means++ and of the top-k engine's random pivots."""


def nearest(x: np.ndarray, c: np.ndarray) -> np.ndarray:
    """Index of the nearest row of ``c`` [C, D] for each row of ``x`` [N, D], a block of rows at a time."""
    norm = (c * c).sum(axis=1)[None, :]
    rows = block_rows(len(c))
    return np.concatenate([np.argmin(norm - 2.0 * x[i : i + rows] @ c.T, axis=1) for i in range(0, len(x), rows)])


def kmeans(x: np.ndarray, entries: int, iters: int, rng: np.random.Generator) -> np.ndarray:
    """Codebook [entries, D] of ``x`` by Lloyd's algorithm from ``entries`` random rows."""
    c = x[rng.choice(len(x), size=entries, replace=False)].copy()
    for _ in range(iters):
        ids = nearest(x, c)
        counts = np.bincount(ids, minlength=entries)
        sums = np.zeros_like(c)
        np.add.at(sums, ids, x)
        c = np.where(counts[:, None] > 0, sums / np.maximum(counts, 1)[:, None], c)
    return c


def estimated_keys(
    k: np.ndarray, prompt_len: int, q_prompt: np.ndarray, entries: int, iters: int, rng: np.random.Generator
) -> np.ndarray:
    """Keys [N, D] as the score estimate sees them: each replaced by its centroid. The codebook is
    fitted on the first ``prompt_len`` keys under the metric of the prompt queries ``q_prompt``."""
    d = k.shape[1]
    h = q_prompt.T @ q_prompt
    h /= max(np.sqrt(np.mean(h * h)), 1e-30)
    chol = np.linalg.cholesky(h + 1e-6 * np.eye(d))
    kw = k @ chol
    code = kmeans(kw[:prompt_len], entries, iters, rng)
    return np.linalg.solve(chol.T, code[nearest(kw, code)].T).T


@register(A2ATSPolicy)
def plan_a2ats(cfg: A2ATSPolicy, workload: Trace | WorkPlan, phases: str = "both") -> WorkPlan:
    """VQ score estimation, top-k per query head, exact attention on the KV group's union."""
    trace = require_decode(workload, "a2ats", phases)
    m = trace.meta
    ps = PlanBuilder(trace, phases, bits=cfg.bits, seed=cfg.seed)
    t, d = m.prompt_len, m.head_dim
    entries = min(cfg.codebook, t)
    id_bits = max(int(np.ceil(np.log2(entries))), 1)
    for layer, _ in ps.layers():
        k = ps.layer_kv(layer)[0]
        qp = trace.prefill(layer)[0].astype(np.float64)
        k_hat = np.stack(
            [
                estimated_keys(
                    k[g], t, qp[g * m.group : (g + 1) * m.group].reshape(-1, d), entries, cfg.kmeans_iters, ps.rng
                )
                for g in range(m.kv_heads)
            ]
        )
        dl = ps.decode_layer(layer)
        steps, heads, n = dl.p.shape
        est = qk_scores(dl.q.transpose(1, 0, 2), k_hat[ps.groups].astype(np.float32)).transpose(1, 0, 2)
        if cfg.budget is None:
            forced = window_mask(dl.context, n, cfg.sink, cfg.window)
            want = np.round(cfg.topk * dl.context)
        else:  # sink and window take at most 1/8 and 1/4 of each step's budget
            total = np.round(cfg.budget * dl.context).astype(np.int64)
            j, c = np.arange(n)[None, :], dl.context[:, None]
            forced = (j < c) & (
                (j < np.minimum(cfg.sink, total // 8)[:, None]) | (j >= c - np.minimum(cfg.window, total // 4)[:, None])
            )
            want = total - forced.sum(axis=-1)
        forced = forced[:, None, :]
        scores = np.where(dl.valid[:, None, :] & ~forced, est, np.nan).reshape(steps * heads, n)
        chosen = ps.select(
            scores, np.repeat(np.maximum(want, 0).astype(np.int64), heads), ps.next_rows(steps).reshape(-1), "value"
        ).reshape(steps, heads, n)
        union = (chosen | forced).reshape(steps, m.kv_heads, m.group, n).any(axis=2)
        keep = union[:, ps.groups]
        side = dl.context[:, None] * id_bits / 8 + (0 if cfg.codebook_in_sram else entries * d * cfg.bits / 8)
        ps.decode_rows(
            layer, dl, keep, qk_rows=keep.sum(axis=-1) + entries, side_bytes=np.repeat(side, m.kv_heads, axis=1)
        )
    return ps.finish("a2ats")
