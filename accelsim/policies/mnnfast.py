"""MnnFast-style zero skipping: value rows with a probability under a threshold skip ProbxV."""

from __future__ import annotations

import numpy as np

from accelsim.config.policy import MnnFastPolicy
from accelsim.policies.base import register
from accelsim.policies.common import require_trace
from accelsim.policies.skipping import plan_skipping
from accelsim.trace.format import Trace
from accelsim.workplan import WorkPlan


@register("mnnfast")
def plan_mnnfast(cfg: MnnFastPolicy, workload: Trace | WorkPlan, phases: str = "both") -> WorkPlan:
    """Every score computed; value rows with ``p < threshold`` skipped."""
    trace = require_trace(workload, "mnnfast")

    def keep(q: np.ndarray, k: np.ndarray, p: np.ndarray, vis: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return p >= cfg.threshold, np.broadcast_to(vis.sum(axis=1), p.shape[:2]).astype(np.float64)

    return plan_skipping(trace, phases, cfg.bits, keep, "mnnfast")
