"""DuoAttention (mit-han-lab/duo-attention): a static split of KV heads into retrieval heads,
which keep every row, and streaming heads, which keep ``sink`` + ``recent`` rows.

The split comes from a file of gate values α (``full_attention_heads.tsv``: a line per layer, a
column per KV head) or from a calibration on the trace: each KV head is scored by the relative
output error its streaming pattern causes on the last prompt queries, and the worst heads become
retrieval heads. Either way the ``retrieval`` fraction of all KV heads with the highest score
(α, or error) is chosen, i.e. α ≥ its quantile at ``1 - retrieval``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import Field

from accelsim.config.policy import Bits, Budget, PolicyConfig, Ratio
from accelsim.errors import InputError
from accelsim.policies.base import register
from accelsim.policies.common import PlanBuilder, output_error, per_head, require_decode, window_mask
from accelsim.trace.format import Trace
from accelsim.workplan import WorkPlan


class DuoPolicy(PolicyConfig):
    """DuoAttention: retrieval KV heads keep every row, streaming KV heads keep sink + recent
    (mit-han-lab/duo-attention)."""

    name: Literal["duo"] = "duo"
    retrieval: Ratio = 0.5
    """Fraction of KV heads (over all layers) that are retrieval heads (duo-attention README: 0.5)."""
    sink: int = Field(64, ge=0)
    """Sink rows of streaming heads (duo-attention: 64)."""
    recent: int = Field(256, ge=1)
    """Recent rows of streaming heads (duo-attention: 256)."""
    heads_file: str | None = None
    """TSV of gate values α, one line per layer, one column per KV head (duo-attention's
    ``full_attention_heads.tsv``); the heads with the largest α are retrieval heads. Without it,
    heads are ranked by the output error of the streaming pattern on the last ``calibration``
    prompt queries of the trace."""
    calibration: int = Field(32, ge=1)
    """Prompt queries used to rank heads when no ``heads_file`` is given."""
    budget: Budget | None = None
    """If set: ``retrieval = budget / 2`` and streaming heads keep ``m = round(T * r / (1 - r))``
    rows with ``r = budget / 2`` (``sink = min(sink, m // 4)``), so the mean kept fraction of the
    prompt is ``budget``."""
    bits: Bits = 12
    """K/V width (SpAtten on-chip width: 12)."""


def duo_shape(cfg: DuoPolicy, prompt_len: int) -> tuple[float, int, int]:
    """(retrieval fraction, sink, recent) with the budget applied."""
    if cfg.budget is None:
        return cfg.retrieval, cfg.sink, cfg.recent
    r = cfg.budget / 2
    rows = max(round(prompt_len * r / (1 - r)), 1)
    sink = min(cfg.sink, rows // 4)
    return r, sink, rows - sink


def read_gates(path: str | Path, layers: int, kv_heads: int) -> np.ndarray:
    """α [layers, kv_heads] from a duo-attention TSV."""
    try:
        alpha = np.atleast_2d(np.loadtxt(path, delimiter="\t", dtype=np.float64))
    except (OSError, ValueError) as err:
        raise InputError(path, "policy.heads_file", f"cannot read gate values ({err})") from None
    if alpha.shape != (layers, kv_heads):
        raise InputError(
            path, "policy.heads_file", f"expected {layers} lines of {kv_heads} values, got shape {alpha.shape}"
        )
    return alpha


def calibrate(ps: PlanBuilder, queries: int, sink: int, recent: int) -> np.ndarray:
    """Per (layer, KV head): mean output error of the streaming pattern on the last prompt queries."""
    m = ps.m
    t = m.prompt_len
    pos = np.arange(max(t - queries, 0), t)
    score = np.zeros((m.layers, m.kv_heads))
    for layer in range(m.layers):
        _, v, _, _ = ps.layer_kv(layer)
        vh = ps.heads_of(v)[:, :t]
        err = np.zeros(m.heads)
        for qp, p, vis in ps.prefill_probs(layer, pos):
            w = vis.shape[1]
            stream = (window_mask(qp + 1, w, sink, recent) & vis)[:, None, :]
            pc = p.transpose(1, 0, 2)
            err += output_error(pc, stream, vh[:, :w], per_head(pc, vh[:, :w])).sum(axis=0)
        score[layer] = err.reshape(m.kv_heads, m.group).mean(axis=1)
    return score


def retrieval_heads(score: np.ndarray, fraction: float) -> np.ndarray:
    """Mask of the ``round(fraction * size)`` highest scores (ties: earliest)."""
    count = round(fraction * score.size)
    order = np.argsort(-score.reshape(-1), kind="stable")
    out = np.zeros(score.size, bool)
    out[order[:count]] = True
    return out.reshape(score.shape)


@register(DuoPolicy)
def plan_duo(cfg: DuoPolicy, workload: Trace | WorkPlan, phases: str = "both") -> WorkPlan:
    """Retrieval heads attend everything, streaming heads sink + recent; the prefill is dense."""
    trace = require_decode(workload, "duo", phases)
    m = trace.meta
    ps = PlanBuilder(trace, phases, bits=cfg.bits)
    fraction, sink, recent = duo_shape(cfg, m.prompt_len)
    if cfg.heads_file is not None:
        score = read_gates(cfg.heads_file, m.layers, m.kv_heads)
    else:
        score = calibrate(ps, cfg.calibration, sink, recent)
    full = retrieval_heads(score, fraction)
    for layer, _ in ps.layers():
        dl = ps.decode_layer(layer)
        stream = window_mask(dl.context, dl.p.shape[-1], sink, recent)
        keep = np.where(full[layer][ps.groups][None, :, None], dl.valid[:, None, :], stream[:, None, :])
        ps.decode_rows(layer, dl, keep)
    plan = ps.finish("duo")
    plan.meta["retrieval_heads"] = full.astype(int).tolist()
    return plan
