"""Shared machinery of the phase-1 policies: softmax, request rows, exact top-k, quality proxies,
and :class:`PlanBuilder`, which runs a selection policy over a trace's decode steps and records a WorkPlan.

Quality proxies (docs/policies.md Sec. 0), per request against full attention at full precision:
- mass recall ``R = sum_{j in S} p_j`` over the rows whose values are used;
- top-k recall ``|S ∩ topk(p, |S|)| / |S|``: the share of the kept rows that exact top-|S| keeps;
- output error ``||o_S - o|| / ||o||`` with ``o_S`` from the stored (quantized) K and V on S.
For policies with state (evictions, stale selections) the state is carried over the decode steps,
so the proxies are those of the cache the policy actually holds at each step.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from accelsim.errors import InputError
from accelsim.policies.quant import stored_views
from accelsim.topk import TopKEngine, get_engine
from accelsim.topk.base import exact_topk_mask as exact_topk
from accelsim.trace.format import Trace
from accelsim.trace.stats import block_rows, softmax
from accelsim.workplan import REQUEST_COLUMNS, REQUEST_DEFAULTS, TopKJobs, WorkPlan, even_spread

if TYPE_CHECKING:
    import pandas as pd

PHASES = ("prefill", "decode", "both")


def block_softmax(s: np.ndarray, vis: np.ndarray, first: int) -> np.ndarray:
    """:func:`softmax` of a block's scores ``s`` [H, c, w], in place, where ``vis`` [c, w] may hide
    only columns from ``first`` on (a causal block: past its first query's position): the columns
    before are only read by the max, the exp and the sum, with no mask to apply."""
    band = s[..., first:]
    band[..., ~vis[:, first:]] = -np.inf
    m = s.max(axis=-1, keepdims=True)
    s -= np.where(np.isfinite(m), m, 0)
    np.exp(s, out=s)
    tot = s.sum(axis=-1, keepdims=True)
    s /= np.where(tot > 0, tot, 1)
    return s


def causal_start(keys: np.ndarray, qpos: np.ndarray, causal: bool) -> int:
    """First of ``keys`` (ascending) that a causal block of queries at ``qpos`` (ascending) may not all see."""
    return int(np.searchsorted(keys, qpos[0], "right")) if causal else len(keys)


def qk_scores(q: np.ndarray, k: np.ndarray) -> np.ndarray:
    """Scaled scores ``q . k / sqrt(D)`` [H, c, n] of queries [H, c, D] against keys [H, n, D]."""
    s = np.matmul(np.ascontiguousarray(q), np.swapaxes(k, -1, -2))  # a strided q drops matmul off BLAS
    s *= np.float32(1 / np.sqrt(q.shape[-1]))
    return s


def per_head(p: np.ndarray, v: np.ndarray) -> np.ndarray:
    """``p`` [..., H, n] times ``v`` [H, n, D]: [..., H, D], one matrix product per head (on contiguous
    operands: numpy's matmul leaves BLAS for strided ones)."""
    heads = np.ascontiguousarray(np.moveaxis(p, -2, 0))
    out = np.matmul(heads.reshape(len(v), -1, p.shape[-1]), np.ascontiguousarray(v))
    return np.moveaxis(out.reshape(*heads.shape[:-1], v.shape[-1]), 0, -2)


def mass_recall(p: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """``sum_{j in keep} p_j`` per row, in float64 and over the row's own total (float32
    probabilities add up to 1 only within their rounding; this stays in [0, 1])."""
    tot = p.sum(axis=-1, dtype=np.float64)
    return (p * keep).sum(axis=-1, dtype=np.float64) / np.where(tot > 0, tot, 1)


def topk_recall(p: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """``|keep ∩ topk(p, |keep|)| / |keep|`` per row (1 where nothing is kept)."""
    k = keep.sum(axis=-1)
    top = exact_topk(p, k)
    return np.where(k > 0, (top & keep).sum(axis=-1) / np.maximum(k, 1), 1.0)


def output_error(p_used: np.ndarray, keep: np.ndarray, v_used: np.ndarray, o_full: np.ndarray) -> np.ndarray:
    """``||o_S - o|| / ||o||``: ``o_S`` attends ``keep`` rows of ``v_used`` [H, n, D] with ``p_used``
    renormalized on them; ``p_used``/``keep`` are [..., H, n], ``o_full`` [..., H, D]."""
    w = p_used * keep
    tot = w.sum(axis=-1, keepdims=True)
    o_s = per_head(w / np.where(tot > 0, tot, 1), v_used)
    return np.linalg.norm(o_s - o_full, axis=-1) / np.maximum(np.linalg.norm(o_full, axis=-1), 1e-30)


def pool1d(x: np.ndarray, kernel: int, mode: str) -> np.ndarray:
    """1-D pooling over the last axis, stride 1, padding ``kernel // 2`` (torch's ``avg_pool1d``
    with ``count_include_pad=True`` / ``max_pool1d``), for odd ``kernel``."""
    if kernel <= 1:
        return x
    pad = kernel // 2
    fill = 0.0 if mode == "avg" else -np.inf
    xp = np.pad(x, [(0, 0)] * (x.ndim - 1) + [(pad, pad)], constant_values=fill)
    win = np.lib.stride_tricks.sliding_window_view(xp, kernel, axis=-1)
    return win.mean(axis=-1) if mode == "avg" else win.max(axis=-1)


@dataclass
class Rows:
    """Request rows collected column-wise; columns with a default may be omitted."""

    cols: dict[str, list[np.ndarray]] = field(default_factory=lambda: {c: [] for c in REQUEST_COLUMNS})
    count: int = 0
    rows: dict[str, list[np.ndarray] | None] = field(default_factory=lambda: {"keys": [], "values": [], "queries": []})
    """Per request, the token positions of its fetched key / value rows (None once a call omits them)
    and the key rows each of its queries scores."""

    def add(
        self,
        key_rows: list[np.ndarray] | None = None,
        value_rows: list[np.ndarray] | None = None,
        query_rows: list[np.ndarray] | None = None,
        **cols: np.ndarray,
    ) -> np.ndarray:
        """Append requests; ``key_rows`` / ``value_rows``: one array of token positions per request;
        ``query_rows``: one array of scored key rows per query, per request (omitted: ``qk_rows``
        spread evenly over ``queries``)."""
        n = len(cols["head"])
        for c in REQUEST_COLUMNS:
            self.cols[c].append(np.broadcast_to(cols[c] if c in cols else REQUEST_DEFAULTS[c], (n,)))
        if query_rows is None:
            queries = np.broadcast_to(cols["queries"], (n,)).astype(np.int64)
            spread = even_spread(np.broadcast_to(cols["qk_rows"], (n,)).astype(np.int64), queries)
            query_rows = np.split(spread, np.cumsum(queries)[:-1])
        self.rows["queries"].extend(np.asarray(q, np.int64) for q in query_rows)
        for kind, given in (("keys", key_rows), ("values", value_rows)):
            known = self.rows[kind]
            if known is not None and given is not None:
                known.extend(np.asarray(g, np.int32) for g in given)
            else:
                self.rows[kind] = None
        idx = np.arange(self.count, self.count + n)
        self.count += n
        return idx

    def index(self, kind: str, order: np.ndarray | None = None) -> np.ndarray | None:
        """Concatenated token positions of ``kind`` rows, requests taken in ``order``."""
        rows = self.rows[kind]
        if rows is None:
            return None
        if not rows:
            return np.zeros(0, np.int32)
        picked = rows if order is None else [rows[i] for i in order]
        return np.concatenate(picked)

    def frame(self) -> pd.DataFrame:
        import pandas as pd  # tensor traces only: a replayed request trace never imports it

        if not self.count:
            return pd.DataFrame({c: np.zeros(0) for c in REQUEST_COLUMNS})
        return pd.DataFrame({c: np.concatenate(v) for c, v in self.cols.items()})


def window_mask(context: np.ndarray, n: int, sink: int, recent: int) -> np.ndarray:
    """[len(context), n]: rows ``[0, sink)`` and ``[c - recent, c)`` of each context length ``c``."""
    j = np.arange(n)[None, :]
    c = np.asarray(context)[:, None]
    return (j < c) & ((j < sink) | (j >= c - recent))


def require_trace(workload: Trace | WorkPlan, policy: str) -> Trace:
    """The workload as a trace; request traces (CSV) hold decisions, not tensors to decide on."""
    if isinstance(workload, WorkPlan):
        raise InputError(
            None,
            "policy.name",
            f"policy {policy!r} needs a tensor trace (.safetensors); "
            "a request trace only replays with spatten or dense",
        )
    return workload


def require_decode(workload: Trace | WorkPlan, policy: str, phases: str) -> Trace:
    """The workload as a trace whose decode steps a policy that decides only on decode steps plans;
    where none are planned it would plan a dense prefill, silently: an input error instead."""
    trace = require_trace(workload, policy)
    if phases == "prefill" or not trace.meta.decode_steps:
        why = (
            "phases is 'prefill'"
            if phases == "prefill"
            else f"the trace has no decode steps (an encoder-only model, {trace.meta.model})"
        )
        raise InputError(
            None,
            "policy.name",
            f"policy {policy!r} decides on decode steps only and {why}: it "
            "would run dense; use a policy that prunes the prefill (spatten, mnnfast, a3) or dense",
        )
    return trace


ENGINE: ContextVar[TopKEngine | None] = ContextVar("ENGINE", default=None)
"""The top-k engine phase 1 selects with (``make_plan(..., engine=)``: the hardware's); None: quick-select
with its default params (the default hardware's)."""


def phase_engine() -> TopKEngine:
    """The engine every selection of the plan being built runs: the one ``make_plan`` was given."""
    return ENGINE.get() or get_engine("quickselect")


def fetched_kv_fraction(plan: WorkPlan) -> float:
    """Mean fetched KV fraction of the decode steps: per query head, the key rows it scores plus the
    value rows it uses over twice the context, averaged over every (step, layer, head), a pruned head
    (no request) counting 0; NaN without decode steps. A policy keeping ``budget * n`` rows per head
    fetches ``budget`` (the oracle, which scores every key, ``(1 + budget) / 2``)."""
    r = plan.requests[~plan.requests["prefill"]]
    if r.empty:
        return math.nan
    slots = r.drop_duplicates(["step", "layer"])["context"].to_numpy(np.float64).sum() * plan.meta["heads"]
    return float((r["qk_rows"].sum() + r["pv_rows"].sum()) / (2 * slots))


def check_phases(trace: Trace, phases: str) -> None:
    if phases not in PHASES:
        raise InputError(None, "phases", f"expected one of {', '.join(PHASES)}, got {phases!r}")
    if phases == "decode" and not trace.meta.decode_steps:
        raise InputError(None, "phases", "the trace has no decode steps")


def trace_meta(trace: Trace, phases: str) -> dict:
    m = trace.meta
    return {
        "source": m.model,
        "kind": "trace",
        "layers": m.layers,
        "heads": m.heads,
        "kv_heads": m.kv_heads,
        "head_dim": m.head_dim,
        "prompt_len": m.prompt_len,
        "decode_steps": m.decode_steps,
        "phases": phases,
    }


@dataclass
class DecodeLayer:
    """All decode steps of one layer at once (S steps, H query heads, N = T + S keys).

    ``p`` are full-precision probabilities, ``p_q`` those from the stored (quantized) keys;
    ``v_q`` the stored values per query head; step ``s`` sees keys ``[0, T + s]``.
    """

    q: np.ndarray  # [S, H, D]
    p: np.ndarray  # [S, H, N]
    p_q: np.ndarray  # [S, H, N]
    v_q: np.ndarray  # [H, N, D]
    o_full: np.ndarray  # [S, H, D]
    valid: np.ndarray  # [S, N]
    context: np.ndarray  # [S] keys visible at each step


class PlanBuilder:
    """Runs a policy over a trace: dense prefill rows, decode rows from the policy's keep masks."""

    def __init__(self, trace: Trace, phases: str, *, bits: int = 12, seed: int = 0) -> None:
        check_phases(trace, phases)
        self.trace, self.m, self.phases, self.bits = trace, trace.meta, phases, bits
        self.emit_prefill = phases in ("prefill", "both")
        self.decode = phases != "prefill" and trace.meta.decode_steps > 0
        self.engine = phase_engine()
        self.rng = np.random.default_rng(seed)
        self.rows = Rows()
        self.jobs = TopKJobs()
        self.groups = np.arange(self.m.heads) // self.m.group
        self._kv: dict[int, tuple[np.ndarray, ...]] = {}

    def layer_kv(self, layer: int) -> tuple[np.ndarray, ...]:
        """K, V [G, N, D] at full precision and as stored at ``bits``, in float32 (the trace's own
        precision or finer; :func:`stored_views` rounds the codes in float64)."""
        if layer not in self._kv:
            self._kv = {}  # one layer at a time
            k, v = self.trace.kv(layer)
            self._kv[layer] = (
                k.astype(np.float32),
                v.astype(np.float32),
                stored_views(k, self.bits)[1],
                stored_views(v, self.bits)[1],
            )
        return self._kv[layer]

    def heads_of(self, x: np.ndarray) -> np.ndarray:
        """``x`` [G, ...] per query head, [H, ...]: ``x`` itself when each KV head serves one query
        head, else a gather (a copy)."""
        return x if self.m.group == 1 else x[self.groups]

    def prefill_probs(
        self, layer: int, queries: np.ndarray | None = None
    ) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """Prefill probabilities by blocks of ascending ``queries`` (default: all), of
        :func:`block_rows` each: (positions [c], p [H, c, w], visible [c, w]) over the first ``w``
        prompt keys, those any query of the block may see (causal: up to its last query)."""
        m = self.m
        t = m.prompt_len
        q = self.trace.prefill(layer)[0]
        k = self.heads_of(self.layer_kv(layer)[0])[:, :t]
        mask = self.trace.prefill_mask(layer)
        pos = np.arange(t) if queries is None else np.asarray(queries)
        rows = block_rows(m.heads * t)
        for i in range(0, len(pos), rows):
            qp = pos[i : i + rows]
            w = int(qp[-1]) + 1 if m.causal and mask is None else t
            keys = np.arange(w)
            vis = keys[None, :] <= qp[:, None] if m.causal else np.ones((len(qp), w), bool)
            first = causal_start(keys, qp, m.causal)
            if mask is not None:
                vis, first = vis & mask[qp], 0
            yield qp, block_softmax(qk_scores(q[:, qp].astype(np.float32), k[:, :w]), vis, first), vis

    def prefill_rows(self, layer: int) -> np.ndarray:
        """Dense prefill of ``layer`` at ``bits``: every prompt key and value; rows [H]."""
        m = self.m
        t = m.prompt_len
        _, v, kq, vq = self.layer_kv(layer)
        q = self.trace.prefill(layer)[0]
        kq, v, vq = (self.heads_of(x)[:, :t] for x in (kq, v, vq))
        masked = self.trace.prefill_mask(layer) is not None
        err = np.zeros(m.heads)
        per_query = []
        for qp, p, vis in self.prefill_probs(layer):
            w = vis.shape[1]
            first = 0 if masked else causal_start(np.arange(w), qp, m.causal)
            p_q = block_softmax(qk_scores(q[:, qp].astype(np.float32), kq[:, :w]), vis, first).transpose(1, 0, 2)
            o = np.matmul(p, v[:, :w]).transpose(1, 0, 2)
            err += output_error(p_q, vis[:, None, :], vq[:, :w], o).sum(axis=0)
            per_query.append(vis.sum(axis=1))
        per_query = np.concatenate(per_query)
        pairs = np.int64(per_query.sum())
        return self.whole_prefill_rows(
            layer,
            qk_rows=pairs,
            pv_rows=pairs,
            mass_recall=np.float64(1.0),
            out_err=err / t,
            topk_recall=np.float64(1.0),
            query_rows=[per_query] * m.heads,
        )

    def whole_prefill_rows(self, layer: int, **work: np.ndarray) -> np.ndarray:
        """Record ``layer``'s prefill requests [H] for a policy that fetches every prompt key and value
        at ``bits`` (on each KV group's first head); ``work``: the per-head ``qk_rows``, ``pv_rows``
        and quality columns, and ``query_rows`` when known."""
        m = self.m
        t = m.prompt_len
        first = np.r_[True, self.groups[1:] != self.groups[:-1]]
        rows = [np.arange(t) if f else np.zeros(0, np.int64) for f in first]
        return self.rows.add(
            key_rows=rows,
            value_rows=rows,
            prefill=np.bool_(True),
            step=np.int32(0),
            layer=np.int32(layer),
            head=np.arange(m.heads),
            d=np.int32(m.head_dim),
            context=np.int32(t),
            queries=np.int32(t),
            keys=np.where(first, t, 0),
            key_bits=np.int32(self.bits),
            lsb_bits=np.int32(0),
            lsb_keys=np.int32(0),
            lsb_queries=np.int32(0),
            requant_rows=np.int64(0),
            values=np.where(first, t, 0),
            value_bits=np.int32(self.bits),
            **work,
        )

    def layers(self) -> Iterator[tuple[int, np.ndarray | None]]:
        """Walk the layers, emitting each one's dense prefill rows when the prefill is planned;
        yields (layer, those rows or None) for the layers whose decode steps are planned."""
        for layer in range(self.m.layers):
            prefill = self.prefill_rows(layer) if self.emit_prefill else None
            if self.decode:
                yield layer, prefill

    def decode_layer(self, layer: int) -> DecodeLayer:
        m = self.m
        k, v, kq, vq = self.layer_kv(layer)
        q = self.trace.decode(layer)[0].astype(np.float32)
        context = m.prompt_len + 1 + np.arange(m.decode_steps)
        valid = np.arange(k.shape[1])[None, :] < context[:, None]
        heads_q = q.transpose(1, 0, 2)  # [H, S, D]
        p = softmax(qk_scores(heads_q, self.heads_of(k)).transpose(1, 0, 2), valid[:, None, :])
        p_q = softmax(qk_scores(heads_q, self.heads_of(kq)).transpose(1, 0, 2), valid[:, None, :])
        return DecodeLayer(q, p, p_q, self.heads_of(vq), per_head(p, self.heads_of(v)), valid, context)

    def next_rows(self, steps: int) -> np.ndarray:
        """Indices [steps, H] the next :meth:`decode_rows` call will give its requests."""
        return self.rows.count + np.arange(steps * self.m.heads).reshape(steps, self.m.heads)

    def select(self, scores: np.ndarray, k: np.ndarray, owner: np.ndarray | None, kind: str) -> np.ndarray:
        """Top-``k`` of each row of ``scores`` [B, n] (NaN = not a candidate) with the policy's
        engine; a job is recorded (after request ``owner``) for each row that needs a selection,
        unless ``owner`` is None (work of a phase that is not planned)."""
        cand = (~np.isnan(scores)).sum(axis=1)
        k = np.minimum(np.broadcast_to(k, cand.shape), cand)
        need = (k > 0) & (k < cand)
        mask = ~np.isnan(scores) & (k > 0)[:, None]
        if need.any():
            sel = self.engine.select(scores[need], k[need], self.rng)
            mask[need] = sel.mask
            if owner is not None:
                self.jobs.add(np.broadcast_to(owner, need.shape)[need], kind, cand[need], k[need], sel.passes)
        return mask

    def decode_rows(
        self,
        layer: int,
        dl: DecodeLayer,
        keep: np.ndarray,
        *,
        keys: np.ndarray | None = None,
        values: np.ndarray | None = None,
        qk_rows: np.ndarray | None = None,
        out_err: np.ndarray | None = None,
        p_used: np.ndarray | None = None,
        v_used: np.ndarray | None = None,
        side_bytes: np.ndarray | float = 0.0,
        lo_keys: np.ndarray | int = 0,
        lo_values: np.ndarray | int = 0,
        lo_bits: int = 0,
        key_bits: int | None = None,
        value_bits: int | None = None,
    ) -> np.ndarray:
        """Record decode requests of ``layer``: each query head attends its ``keep`` rows [S, H, N].

        K and V rows are fetched per KV group as the union of its heads' rows, charged (with the
        per-group ``side_bytes`` and ``lo_*`` counts, [S, G] or scalars) on the group's first head.
        A policy that fetches or scores more keys than it attends passes ``keys`` [S, G] and
        ``qk_rows`` [S, H], one that fetches more values than it multiplies ``values`` [S, G]; one that
        changes precision per step passes ``out_err`` [S, H].
        """
        m = self.m
        steps, heads = keep.shape[:2]
        first = (np.arange(heads) % m.group) == 0
        union = keep.reshape(steps, m.kv_heads, m.group, -1).any(axis=2).sum(axis=-1)

        def per_head(x: np.ndarray | float, dtype: type) -> np.ndarray:
            out = np.zeros((steps, heads), dtype)
            out[:, first] = np.broadcast_to(x, (steps, m.kv_heads))
            return out.reshape(-1)

        kept = keep.sum(axis=-1)
        union_rows = keep.reshape(steps, m.kv_heads, m.group, -1).any(axis=2)  # [S, G, N]
        key_rows = self._positions(union_rows, dl.context, keys)
        value_rows = self._positions(union_rows, dl.context, values)
        p_used = dl.p_q if p_used is None else p_used
        v_used = dl.v_q if v_used is None else v_used
        return self.rows.add(
            key_rows=key_rows,
            value_rows=value_rows,
            prefill=np.bool_(False),
            step=np.repeat(np.arange(steps), heads),
            layer=np.int32(layer),
            head=np.tile(np.arange(heads), steps),
            d=np.int32(m.head_dim),
            context=np.repeat(dl.context, heads),
            queries=np.int32(1),
            keys=per_head(union if keys is None else keys, np.int64),
            key_bits=np.int32(key_bits or self.bits),
            lsb_bits=np.int32(0),
            lsb_keys=np.int32(0),
            lsb_queries=np.int32(0),
            requant_rows=np.int64(0),
            values=per_head(union if values is None else values, np.int64),
            value_bits=np.int32(value_bits or self.bits),
            qk_rows=(kept if qk_rows is None else qk_rows).reshape(-1),
            pv_rows=kept.reshape(-1),
            mass_recall=mass_recall(dl.p, keep).reshape(-1),
            out_err=(output_error(p_used, keep, v_used, dl.o_full) if out_err is None else out_err).reshape(-1),
            topk_recall=topk_recall(dl.p, keep).reshape(-1),
            lo_keys=per_head(lo_keys, np.int64),
            lo_values=per_head(lo_values, np.int64),
            lo_bits=np.int32(lo_bits),
            side_bytes=per_head(side_bytes, np.float64),
        )

    def _positions(self, union: np.ndarray, context: np.ndarray, count: np.ndarray | None) -> list[np.ndarray] | None:
        """Fetched token positions per decode request (step-major, query heads), on each group's
        first head: the union of the group's kept rows, or every visible row when the policy
        fetches the whole context; None when a policy fetches some other set."""
        steps, groups, _ = union.shape
        if count is None:
            per = [[np.flatnonzero(union[s, g]) for g in range(groups)] for s in range(steps)]
        elif np.array_equal(np.asarray(count), np.broadcast_to(context[:, None], (steps, groups))):
            per = [[np.arange(context[s])] * groups for s in range(steps)]
        else:
            return None
        none = np.zeros(0, np.int64)
        return [
            per[s][h // self.m.group] if h % self.m.group == 0 else none
            for s in range(steps)
            for h in range(self.m.heads)
        ]

    def finish(self, policy: str) -> WorkPlan:
        """The WorkPlan, requests ordered prefill first, then by step, layer and head."""
        req = self.rows.frame()
        order = np.lexsort((req["head"], req["layer"], req["step"], ~req["prefill"].astype(bool)))
        topk, passes = self.jobs.frame()
        if len(topk):
            inverse = np.empty_like(order)
            inverse[order] = np.arange(len(order))
            topk["request"] = inverse[topk["request"].to_numpy()]
            topk = topk.iloc[np.argsort(topk["request"].to_numpy(), kind="stable")]
        meta = {**trace_meta(self.trace, self.phases), "policy": policy}
        return WorkPlan(
            req.iloc[order],
            topk,
            passes,
            meta,
            key_index=self.rows.index("keys", order),
            value_index=self.rows.index("values", order),
            query_rows=self.rows.index("queries", order),
        )
