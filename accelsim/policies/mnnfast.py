"""MnnFast-style zero skipping: value rows with a probability under a threshold skip ProbxV."""

from __future__ import annotations

from typing import Literal

import numpy as np

from accelsim.config.policy import Bits, PolicyConfig, Ratio
from accelsim.policies.base import register
from accelsim.policies.common import require_trace
from accelsim.policies.skipping import plan_skipping
from accelsim.trace.format import Trace
from accelsim.workplan import WorkPlan


class MnnFastPolicy(PolicyConfig):
    """MnnFast-style zero skipping (Jang et al., ISCA 2019, as SpAtten Sec. V-B describes it): every
    key and value is fetched and every score computed; value rows whose probability is below
    ``threshold`` skip the ProbxV multiply."""

    name: Literal["mnnfast"] = "mnnfast"
    threshold: Ratio = 0.01
    """Probability below which a value row is skipped (assumption: neither paper states the value
    for BERT; 0.01 skips rows worth under 1% of the mass)."""
    bits: Bits = 8
    """K/V width (assumption: the same static 8 bits as accelsim's SpAtten BERT preset)."""


@register(MnnFastPolicy)
def plan_mnnfast(cfg: MnnFastPolicy, workload: Trace | WorkPlan, phases: str = "both") -> WorkPlan:
    """Every score computed; value rows with ``p < threshold`` skipped."""
    trace = require_trace(workload, "mnnfast")

    def keep(q: np.ndarray, k: np.ndarray, p: np.ndarray, vis: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return p >= cfg.threshold, np.broadcast_to(vis.sum(axis=1), p.shape[:2]).astype(np.float64)

    return plan_skipping(trace, phases, cfg.bits, keep, "mnnfast")
