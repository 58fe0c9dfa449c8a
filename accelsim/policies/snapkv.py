"""SnapKV (FasterDecoding/SnapKV ``snapkv/monkeypatch/snapkv_utils.py``): one selection per query
head after the prefill. The last ``window`` prompt queries vote: their attention to the earlier
rows is summed, pooled along the sequence, and the top ``capacity - window`` rows are kept with
the window itself (a budget smaller than twice the window shrinks the window to half the
capacity). Generated rows are all kept. Selection is per query head, as in the released
patch (``repeat_kv`` before selection); a KV group fetches the union of its heads' rows.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import Field, model_validator

from accelsim.config.policy import Bits, Budget, PolicyConfig
from accelsim.policies.base import register
from accelsim.policies.common import PlanBuilder, pool1d, require_decode
from accelsim.trace.format import Trace
from accelsim.workplan import WorkPlan


class SnapKVPolicy(PolicyConfig):
    """SnapKV: one-shot selection per query head after prefill, from the attention of the last
    ``window`` prompt queries, pooled; generated tokens are all kept
    (FasterDecoding/SnapKV ``snapkv/monkeypatch/snapkv_utils.py``)."""

    name: Literal["snapkv"] = "snapkv"
    window: int = Field(32, ge=1)
    """Observation window (``window_size=32``, snapkv_utils.py)."""
    capacity: int = Field(2048, ge=1)
    """Prompt rows kept, window included (``max_capacity_prompt=2048``, snapkv_utils.py)."""
    kernel: int = Field(5, ge=1)
    """Pooling kernel (``kernel_size=5``, snapkv_utils.py; LongBench configs use max-pool 7)."""
    pooling: Literal["avg", "max"] = "avg"
    """Pooling (``pooling='avgpool'``, snapkv_utils.py)."""
    budget: Budget | None = None
    """If set, ``capacity = round(budget * T)``."""
    bits: Bits = 12
    """K/V width (SpAtten on-chip width: 12)."""
    seed: int = 0
    """Seed of the random pivots of the top-k engine (the hardware's, ``hw.topk.engine``)."""

    @model_validator(mode="after")
    def _check(self) -> SnapKVPolicy:
        if self.kernel % 2 == 0:
            raise ValueError(f"kernel must be odd, not {self.kernel}")
        return self


def snapkv_prompt_keep(ps: PlanBuilder, layer: int, cfg: SnapKVPolicy, owner: np.ndarray | None) -> np.ndarray:
    """Prompt rows [H, T] each query head keeps."""
    t = ps.m.prompt_len
    capacity = round(cfg.budget * t) if cfg.budget is not None else cfg.capacity
    window = min(cfg.window, max(capacity // 2, 1))  # the source requires capacity > window
    keep = np.ones((ps.m.heads, t), bool)
    if capacity >= t:
        return keep
    votes = np.zeros((ps.m.heads, t - window))
    for _, p, _ in ps.prefill_probs(layer, np.arange(t - window, t)):
        votes += p[:, :, : t - window].sum(axis=1)
    pooled = pool1d(votes, cfg.kernel, cfg.pooling)
    keep[:, : t - window] = ps.select(pooled, np.full(ps.m.heads, max(capacity - window, 0)), owner, "token")
    return keep


@register(SnapKVPolicy)
def plan_snapkv(cfg: SnapKVPolicy, workload: Trace | WorkPlan, phases: str = "both") -> WorkPlan:
    """One-shot selection after the dense prefill; decode steps attend the kept and generated rows."""
    trace = require_decode(workload, "snapkv", phases)
    m = trace.meta
    ps = PlanBuilder(trace, phases, bits=cfg.bits, seed=cfg.seed)
    for layer, prefill in ps.layers():
        prompt = snapkv_prompt_keep(ps, layer, cfg, prefill)
        dl = ps.decode_layer(layer)
        keep = np.repeat(dl.valid[:, None, :], m.heads, axis=1)
        keep[:, :, : m.prompt_len] &= prompt[None]
        ps.decode_rows(layer, dl, keep)
    return ps.finish("snapkv")
