"""SnapKV (FasterDecoding/SnapKV ``snapkv/monkeypatch/snapkv_utils.py``): one selection per query
head after the prefill. The last ``window`` prompt queries vote: their attention to the earlier
rows is summed, pooled along the sequence, and the top ``capacity - window`` rows are kept with
the window itself (a budget smaller than twice the window shrinks the window to half the
capacity). Generated rows are all kept. Selection is per query head, as in the released
patch (``repeat_kv`` before selection); a KV group fetches the union of its heads' rows.
"""

from __future__ import annotations

import numpy as np

from accelsim.config.policy import SnapKVPolicy
from accelsim.policies.base import register
from accelsim.policies.common import Pass, pool1d, require_decode
from accelsim.trace.format import Trace
from accelsim.workplan import WorkPlan


def snapkv_prompt_keep(ps: Pass, layer: int, cfg: SnapKVPolicy, owner: np.ndarray | None) -> np.ndarray:
    """Prompt rows [H, T] each query head keeps."""
    t = ps.m.prompt_len
    capacity = round(cfg.budget * t) if cfg.budget is not None else cfg.capacity
    window = min(cfg.window, max(capacity // 2, 1))  # the source requires capacity > window
    keep = np.ones((ps.m.heads, t), bool)
    if capacity >= t:
        return keep
    votes = sum(p[:, :, : t - window].sum(axis=1)
                for _, p, _ in ps.prefill_probs(layer, np.arange(t - window, t)))
    pooled = pool1d(votes, cfg.kernel, cfg.pooling)
    keep[:, : t - window] = ps.select(pooled, np.full(ps.m.heads, max(capacity - window, 0)), owner, "token")
    return keep


@register("snapkv")
def plan_snapkv(cfg: SnapKVPolicy, workload: Trace | WorkPlan, phases: str = "both") -> WorkPlan:
    """One-shot selection after the dense prefill; decode steps attend the kept and generated rows."""
    trace = require_decode(workload, "snapkv", phases)
    m = trace.meta
    ps = Pass(trace, phases, bits=cfg.bits, seed=cfg.seed)
    for layer, prefill in ps.layers():
        prompt = snapkv_prompt_keep(ps, layer, cfg, prefill)
        dl = ps.decode_layer(layer)
        keep = np.repeat(dl.valid[:, None, :], m.heads, axis=1)
        keep[:, :, : m.prompt_len] &= prompt[None]
        ps.decode_rows(layer, dl, keep)
    return ps.finish("snapkv")
