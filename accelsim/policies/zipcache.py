"""ZipCache (ThisisBillhe/ZipCache ``zipcache/models/modeling_llama.py``): every row is kept, at a
precision set by its normalized attention score.

After the dense prefill, probe queries (the last and a random earlier ``probes`` fraction of the
prompt) attend to the prompt; a row's score is the attention it received, summed over the probes
and the KV group's heads, divided by ``T - j`` (the queries that can see it). The ``lo_ratio``
lowest-scored rows are stored at ``lo_bits``, the rest at ``hi_bits``: keys quantized per channel
within each precision class, values per token (asymmetric min-max). Generated rows stay at
``bits`` until ``refresh`` of them have accumulated; that batch is then ranked by the raw
attention it has received and compressed the same way.

Side bytes: fp16 scale and zero point per compressed value row and per key channel of each class,
and the extra ``bits - hi_bits`` of the generated rows not yet compressed (the WorkPlan charges
all key rows at ``hi_bits``). Simplification: values are quantized token-wise without the
source's channel normalization.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import Field, model_validator

from accelsim.config.policy import Bits, PolicyConfig, Ratio
from accelsim.policies.base import register
from accelsim.policies.common import PlanBuilder, output_error, qk_scores, require_decode, softmax
from accelsim.trace.format import Trace
from accelsim.workplan import WorkPlan


class ZipCachePolicy(PolicyConfig):
    """ZipCache: every row kept, mixed precision by normalized attention score
    (ThisisBillhe/ZipCache ``zipcache/models/modeling_llama.py``)."""

    name: Literal["zipcache"] = "zipcache"
    hi_bits: Bits = 4
    """Width of the salient rows (ZipCache: 4)."""
    lo_bits: Bits = 2
    """Width of the other rows (ZipCache: 2)."""
    lo_ratio: Ratio = 0.4
    """Fraction of rows at ``lo_bits`` (ZipCache: 40%)."""
    probes: Ratio = 0.05
    """Probe queries: the last and a random earlier ``probes`` fraction of the prompt (ZipCache: 5% + 5%)."""
    refresh: int = Field(100, ge=1)
    """Generated rows are compressed in batches of this many (ZipCache: every 100 tokens)."""
    bits: Bits = 12
    """Width of rows not yet compressed (SpAtten on-chip width: 12)."""
    seed: int = 0
    """Seed of the random probe positions."""

    @model_validator(mode="after")
    def _check(self) -> ZipCachePolicy:
        if self.lo_bits > self.hi_bits:
            raise ValueError(f"lo_bits ({self.lo_bits}) must not exceed hi_bits ({self.hi_bits})")
        return self


SCALE_BYTES = 4  # fp16 scale + fp16 zero point
HI, LO, RAW = 0, 1, 2


def minmax_quant(x: np.ndarray, bits: int, axis: int, mask: np.ndarray) -> np.ndarray:
    """``x`` quantized asymmetrically to ``bits`` with min/max taken over ``axis`` among ``mask``."""
    lo = np.min(np.where(mask, x, np.inf), axis=axis, keepdims=True)
    hi = np.max(np.where(mask, x, -np.inf), axis=axis, keepdims=True)
    lo = np.where(np.isfinite(lo), lo, 0.0)
    scale = np.where(hi > lo, (hi - lo) / (2**bits - 1), 1.0)
    return np.round((x - lo) / scale) * scale + lo


def probe_positions(t: int, share: float, rng: np.random.Generator) -> np.ndarray:
    """The last ``ceil(share * t)`` prompt positions and as many random earlier ones."""
    count = max(int(np.ceil(share * t)), 1)
    earlier = rng.choice(max(t - count, 0), size=min(count, max(t - count, 0)), replace=False)
    return np.sort(np.r_[earlier, np.arange(t - count, t)])


def stored(
    k: np.ndarray, v: np.ndarray, kq: np.ndarray, vq: np.ndarray, cls: np.ndarray, cfg: ZipCachePolicy
) -> tuple[np.ndarray, np.ndarray]:
    """K, V [G, N, D] as stored for row classes ``cls`` [G, N]."""
    ks, vs = kq.copy(), vq.copy()
    for c, bits in ((HI, cfg.hi_bits), (LO, cfg.lo_bits)):
        rows = (cls == c)[..., None]
        ks = np.where(rows, minmax_quant(k, bits, 1, rows), ks)
        vs = np.where(rows, minmax_quant(v, bits, 2, rows), vs)
    return ks, vs


@register(ZipCachePolicy)
def plan_zipcache(cfg: ZipCachePolicy, workload: Trace | WorkPlan, phases: str = "both") -> WorkPlan:
    """Mixed 4/2-bit precision by normalized attention; no row is evicted; the prefill is dense."""
    trace = require_decode(workload, "zipcache", phases)
    m = trace.meta
    ps = PlanBuilder(trace, phases, bits=cfg.bits, seed=cfg.seed)
    t, d, g = m.prompt_len, m.head_dim, m.kv_heads
    first = np.arange(m.heads) % m.group == 0
    for layer, prefill in ps.layers():
        k, v, kq, vq = ps.layer_kv(layer)
        n = k.shape[1]
        probes = probe_positions(t, cfg.probes, ps.rng)
        got = np.zeros((m.heads, t))
        for _, p, vis in ps.prefill_probs(layer, probes):
            got[:, : vis.shape[1]] += p.sum(axis=1)
        score = got.reshape(g, m.group, t).sum(axis=1) / (t - np.arange(t))
        cls = np.full((g, n), RAW)
        keep_hi = ps.select(
            score, np.full(g, t - round(cfg.lo_ratio * t)), None if prefill is None else prefill[first], "token"
        )
        cls[:, :t] = np.where(keep_hi, HI, LO)
        dl = ps.decode_layer(layer)
        steps = len(dl.context)
        owner = ps.next_rows(steps)[:, first]
        raw_sum = np.cumsum(dl.p.reshape(steps, g, m.group, n).sum(axis=2), axis=0)
        classes = np.empty((steps, g, n), np.int64)
        err = np.empty((steps, m.heads))
        for start in range(0, steps, cfg.refresh):
            if start:  # the batch generated in the last ``refresh`` steps is compressed now
                batch = slice(t + start - cfg.refresh, t + start)
                sums = raw_sum[start - 1][:, batch]
                hi = ps.select(
                    sums, np.full(g, cfg.refresh - round(cfg.lo_ratio * cfg.refresh)), owner[start - 1], "token"
                )
                cls[:, batch] = np.where(hi, HI, LO)
            span = slice(start, min(start + cfg.refresh, steps))
            classes[span] = cls
            ks, vs = stored(k, v, kq, vq, cls, cfg)
            valid = dl.valid[span][:, None, :]
            s = qk_scores(dl.q[span].transpose(1, 0, 2), ps.heads_of(ks)).transpose(1, 0, 2)
            err[span] = output_error(softmax(s, valid), valid, ps.heads_of(vs), dl.o_full[span])
        live = dl.valid[:, None, :]
        lo = ((classes == LO) & live).sum(axis=-1)
        raw = ((classes == RAW) & live).sum(axis=-1)
        compressed = dl.context[:, None] - raw
        side = compressed * SCALE_BYTES + 2 * d * SCALE_BYTES + raw * 2 * d * (cfg.bits - cfg.hi_bits) / 8
        ps.decode_rows(
            layer,
            dl,
            np.broadcast_to(live, dl.p.shape),
            out_err=err,
            side_bytes=side,
            lo_keys=lo,
            lo_values=lo,
            lo_bits=cfg.lo_bits,
            key_bits=cfg.hi_bits,
            value_bits=cfg.hi_bits,
        )
    return ps.finish("zipcache")
