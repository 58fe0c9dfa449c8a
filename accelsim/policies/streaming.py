"""StreamingLLM (mit-han-lab/streaming-llm ``streaming_llm/kv_cache.py``): the cache holds the
first ``sink`` rows and the last ``recent`` rows; everything between is evicted for good."""

from __future__ import annotations

import numpy as np

from accelsim.config.policy import StreamingPolicy
from accelsim.policies.base import register
from accelsim.policies.common import Pass, require_decode, window_mask
from accelsim.trace.format import Trace
from accelsim.workplan import WorkPlan


def streaming_window(cfg: StreamingPolicy, prompt_len: int) -> tuple[int, int]:
    """(sink, recent) rows, from the budget when one is set."""
    if cfg.budget is None:
        return cfg.sink, cfg.recent
    return cfg.sink, max(round(cfg.budget * prompt_len) - cfg.sink, 1)


@register("streaming")
def plan_streaming(cfg: StreamingPolicy, workload: Trace | WorkPlan, phases: str = "both") -> WorkPlan:
    """Sinks plus recent window at every decode step; the prefill is dense."""
    trace = require_decode(workload, "streaming", phases)
    ps = Pass(trace, phases, bits=cfg.bits)
    sink, recent = streaming_window(cfg, trace.meta.prompt_len)
    for layer, _ in ps.layers():
        dl = ps.decode_layer(layer)
        keep = window_mask(dl.context, dl.p.shape[-1], sink, recent)[:, None, :]
        ps.decode_rows(layer, dl, np.broadcast_to(keep, dl.p.shape))
    return ps.finish("streaming")
