"""Policies that fetch every key and value and skip work on chip (MnnFast, A3): prefill and
decode rows from a per-query keep mask over the visible keys."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from accelsim.policies.common import PlanBuilder, mass_recall, output_error, topk_recall
from accelsim.trace.format import Trace
from accelsim.workplan import WorkPlan

KeepFn = Callable[[np.ndarray, np.ndarray, np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]
"""(q [H, c, D], stored keys [H, n, D], p [H, c, n], visible [c, n]) -> (keep [H, c, n], scored
key rows per query [H, c], the selection's own work included, in key-row equivalents)."""


def _prefill(ps: PlanBuilder, layer: int, keep_fn: KeepFn) -> None:
    m = ps.m
    t = m.prompt_len
    _, v, kq, vq = ps.layer_kv(layer)
    q = ps.trace.prefill(layer)[0]
    v, kq, vq = (ps.heads_of(x)[:, :t] for x in (v, kq, vq))
    qk = np.zeros(m.heads)
    pv = np.zeros(m.heads)
    mass = np.zeros(m.heads)
    err = np.zeros(m.heads)
    recall = np.zeros(m.heads)
    for qp, p, vis in ps.prefill_probs(layer):
        w = vis.shape[1]
        keep, scored = keep_fn(q[:, qp].astype(np.float32), kq[:, :w], p, vis)
        keep &= vis[None]
        qk += scored.sum(axis=1)
        pv += keep.sum(axis=(1, 2))
        mass += mass_recall(p, keep).sum(axis=1)
        recall += topk_recall(p, keep).sum(axis=1)
        o = np.matmul(p, v[:, :w]).transpose(1, 0, 2)
        err += output_error(p.transpose(1, 0, 2), keep.transpose(1, 0, 2), vq[:, :w], o).sum(axis=0)
    ps.whole_prefill_rows(
        layer,
        qk_rows=np.round(qk).astype(np.int64),
        pv_rows=pv.astype(np.int64),
        mass_recall=mass / t,
        out_err=err / t,
        topk_recall=recall / t,
    )


def plan_skipping(trace: Trace, phases: str, bits: int, keep_fn: KeepFn, policy: str) -> WorkPlan:
    """Every key and value fetched; per query ``keep_fn`` says which rows reach ProbxV and how
    many key rows were scored."""
    ps = PlanBuilder(trace, phases, bits=bits)
    m = trace.meta
    for layer in range(m.layers):
        if ps.emit_prefill:
            _prefill(ps, layer, keep_fn)
        if ps.decode:
            dl = ps.decode_layer(layer)
            kq = ps.heads_of(ps.layer_kv(layer)[2])
            keep, scored = keep_fn(dl.q.transpose(1, 0, 2), kq, dl.p.transpose(1, 0, 2), dl.valid)
            keep = keep.transpose(1, 0, 2) & dl.valid[:, None, :]
            every = np.repeat(dl.context[:, None], m.kv_heads, axis=1)
            ps.decode_rows(layer, dl, keep, keys=every, values=every, qk_rows=np.round(scored.T).astype(np.int64))
    return ps.finish(policy)
