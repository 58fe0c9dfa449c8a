"""StreamingLLM (mit-han-lab/streaming-llm ``streaming_llm/kv_cache.py``): the cache holds the
first ``sink`` rows and the last ``recent`` rows; everything between is evicted for good."""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import Field

from accelsim.config.policy import Bits, Budget, PolicyConfig
from accelsim.policies.base import register
from accelsim.policies.common import PlanBuilder, require_decode, window_mask
from accelsim.trace.format import Trace
from accelsim.workplan import WorkPlan


class StreamingPolicy(PolicyConfig):
    """StreamingLLM: attention sinks plus a recent window, ``keep = [0:sink) ∪ [n-recent:n)``."""

    name: Literal["streaming"] = "streaming"
    sink: int = Field(4, ge=0)
    """Sink rows (``start_size=4``, streaming_llm/kv_cache.py)."""
    recent: int = Field(512, ge=1)
    """Recent rows (``recent_size=512``, streaming_llm/kv_cache.py; the example script uses 2000)."""
    budget: Budget | None = None
    """If set, the cache holds this fraction of the prompt: ``recent = round(budget*T) - sink``."""
    bits: Bits = 12
    """K/V width (SpAtten on-chip width: 12)."""


def streaming_window(cfg: StreamingPolicy, prompt_len: int) -> tuple[int, int]:
    """(sink, recent) rows, from the budget when one is set."""
    if cfg.budget is None:
        return cfg.sink, cfg.recent
    return cfg.sink, max(round(cfg.budget * prompt_len) - cfg.sink, 1)


@register(StreamingPolicy)
def plan_streaming(cfg: StreamingPolicy, workload: Trace | WorkPlan, phases: str = "both") -> WorkPlan:
    """Sinks plus recent window at every decode step; the prefill is dense."""
    trace = require_decode(workload, "streaming", phases)
    ps = PlanBuilder(trace, phases, bits=cfg.bits)
    sink, recent = streaming_window(cfg, trace.meta.prompt_len)
    for layer, _ in ps.layers():
        dl = ps.decode_layer(layer)
        keep = window_mask(dl.context, dl.p.shape[-1], sink, recent)[:, None, :]
        ps.decode_rows(layer, dl, np.broadcast_to(keep, dl.p.shape))
    return ps.finish("streaming")
