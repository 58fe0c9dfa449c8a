"""SpAtten's functional pass (phase 1): cascade token and head pruning, local value pruning and
progressive quantization on a trace (SpAtten Sec. III; docs/spatten.md, docs/policies.md).

State carried across layers and decode steps, as the hardware carries it:
- token importance, accumulated over heads, queries, layers and steps; a token pruned at layer l
  never returns at layer l or deeper (cascade), in this step or later ones;
- head importance sum |o_h| accumulated over layers; pruned heads stay pruned likewise.
Keys are scored from their MSBs; a query whose max probability is below the threshold re-fetches
the LSBs and is recomputed once, decided on the actual quantized scores.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
from pydantic import Field, model_validator

from accelsim.config.base import Strict
from accelsim.config.policy import Budget, PolicyConfig, Ratio
from accelsim.errors import InputError
from accelsim.policies.base import register
from accelsim.policies.common import (
    Rows,
    block_rows,
    block_softmax,
    causal_start,
    check_phases,
    mass_recall,
    phase_engine,
    qk_scores,
    topk_recall,
    trace_meta,
)
from accelsim.policies.quant import scale
from accelsim.trace.format import Trace
from accelsim.workplan import TopKJobs, WorkPlan


class Schedule(Strict):
    """Per-layer keep ratios: explicit (``keep``) or the paper's linear schedule.

    The linear schedule leaves the first ``unpruned`` fraction of layers whole (rounded up), then keeps a ratio
    that falls linearly from ``start`` to ``end`` (SpAtten Sec. III-A).
    """

    enabled: bool = True
    unpruned: Ratio = 0.15
    start: Ratio = 0.9
    end: Ratio = 0.1
    keep: list[Ratio] | None = None
    """Explicit keep ratio per layer (overrides the linear schedule)."""

    def ratios(self, layers: int) -> list[float]:
        """Keep ratio of each of ``layers`` layers."""
        if not self.enabled:
            return [1.0] * layers
        if self.keep is not None:
            if len(self.keep) != layers:
                raise ValueError(f"keep lists {len(self.keep)} layers, the workload has {layers}")
            return list(self.keep)
        first = min(layers, math.ceil(self.unpruned * layers - 1e-9))
        rest = layers - first
        out = [1.0] * first
        for i in range(rest):
            t = i / (rest - 1) if rest > 1 else 1.0
            out.append(self.start + (self.end - self.start) * t)
        return out


class Quantization(Strict):
    """Progressive quantization (SpAtten Sec. III-D)."""

    enabled: bool = True
    msb_bits: int = Field(6, ge=1, le=16)
    """Key MSB bits fetched first (released GPT-2 traces: 6)."""
    lsb_bits: int = Field(4, ge=0, le=16)
    """Key LSB bits re-fetched when the probabilities are flat (released traces: +4)."""
    threshold: Ratio = 0.05
    """Re-fetch LSBs when max probability < threshold (released traces: 0.05; paper ~0.1)."""
    value_bits: int = Field(6, ge=1, le=16)
    """Value bits (released GPT-2-small traces: 6)."""


class SpAttenPolicy(PolicyConfig):
    """SpAtten: cascade token and head pruning, local value pruning, progressive quantization."""

    name: Literal["spatten"] = "spatten"
    tokens: Schedule = Schedule()
    """Cascade token pruning (SpAtten Sec. III-A: first 15% of layers unpruned)."""
    heads: Schedule = Schedule(unpruned=0.30, start=1.0, end=0.75)
    """Cascade head pruning (SpAtten Sec. III-B: first 30% of layers unpruned)."""
    values: Ratio = 0.2
    """Local value pruning: fraction of fetched keys whose V rows are kept (released traces: 0.2)."""
    values_in_prefill: bool = False
    """Also prune values per query in prefill. Off by default: there V rows are fetched once and
    reused from SRAM by every query, so pruning saves only ProbxV work while each query costs a
    top-k job on the value engine (accelsim's finding on its quick-select cycle model)."""
    quant: Quantization = Quantization()
    budget: Budget | None = None
    """If set, the mean fetched KV fraction of the decode steps: the token schedule is scaled (each
    layer keeps ``min(1, s * tokens[l])``, ``s`` solved so that the mean over layers of
    ``heads[l] * tokens[l] * (1 + values) / 2`` is ``budget``; docs/policies.md, "Budgets")."""
    full_bits: int = Field(12, ge=1, le=16)
    """Bits of K/V when quantization is disabled (SpAtten on-chip width: 12)."""
    seed: int = 0
    """Seed of the random pivots of the top-k engine (the hardware's, ``hw.topk.engine``)."""

    @model_validator(mode="after")
    def _check(self) -> SpAttenPolicy:
        if self.quant.enabled and self.quant.msb_bits + self.quant.lsb_bits > 16:
            raise ValueError("quant.msb_bits + quant.lsb_bits must be at most 16")
        return self


class DensePolicy(PolicyConfig):
    """No pruning, no quantization tricks: every key and value at ``bits``."""

    name: Literal["dense"] = "dense"
    bits: int = Field(12, ge=1, le=32)
    """K/V width (SpAtten on-chip width: 12)."""


@dataclass
class _Settings:
    key_bits: int
    lsb_bits: int
    value_bits: int
    threshold: float
    values: float
    values_in_prefill: bool
    tokens: list[float]
    heads: list[float]


class SpAttenPlanBuilder:
    """Runs the SpAtten algorithm over a trace and records a WorkPlan."""

    def __init__(self, trace: Trace, settings: _Settings, seed: int, phases: str = "both") -> None:
        check_phases(trace, phases)
        m = trace.meta
        self.trace, self.s, self.phases = trace, settings, phases
        self.engine = phase_engine()
        self.rng = np.random.default_rng(seed)
        n = m.prompt_len + m.decode_steps
        self.alive_tok = np.ones((m.layers, n), bool)
        self.alive_head = np.ones((m.layers, m.heads), bool)
        self.imp = np.zeros(n)
        self.head_score = np.zeros(m.heads)
        self.rows = Rows()
        self.jobs = TopKJobs()
        self.kv = [_LayerKV(trace, layer, settings) for layer in range(m.layers)]

    def _prune(
        self, kind: str, scores: np.ndarray, cand: np.ndarray, keep: int, forced: np.ndarray | None, emit: bool
    ) -> np.ndarray:
        """Keep the ``keep`` best candidates (``forced`` always kept); records one top-k job if ``emit``."""
        free = cand & ~forced if forced is not None else cand.copy()
        want = keep - (int(forced.sum()) if forced is not None else 0)
        if free.sum() <= want:
            return cand
        sel = self.engine.select(np.where(free, scores, np.nan)[None, :], max(want, 0), self.rng)
        if emit:  # the job follows the last request issued so far
            after = max(self.rows.count - 1, 0)
            self.jobs.add(np.array([after]), kind, np.array([free.sum()]), np.array([max(want, 0)]), sel.passes)
        out = sel.mask[0]
        if forced is not None:
            out |= forced & cand
        if not out.any():  # an approximate engine selected none: the best candidate stays, as keep >= 1 asks
            out[np.flatnonzero(free)[np.argmax(scores[free])]] = True
        return out

    def run(self) -> WorkPlan:
        m = self.trace.meta
        emit_prefill = self.phases in ("prefill", "both")
        for layer in range(m.layers):
            q, _, _ = self.trace.prefill(layer)
            self._layer(layer, 0, True, q, np.arange(m.prompt_len), m.prompt_len, emit_prefill)
        if self.phases != "prefill":
            for step in range(m.decode_steps):
                n = m.prompt_len + step + 1
                for layer in range(m.layers):
                    dq, _, _ = self.trace.decode(layer)
                    self._layer(layer, step, False, dq[step][:, None, :], np.array([n - 1]), n, True)
        topk, passes = self.jobs.frame()
        return WorkPlan(
            self.rows.frame(),
            topk,
            passes,
            trace_meta(self.trace, self.phases),
            key_index=self.rows.index("keys"),
            value_index=self.rows.index("values"),
            query_rows=self.rows.index("queries"),
        )

    def _layer(self, layer: int, step: int, prefill: bool, q: np.ndarray, qpos: np.ndarray, n: int, emit: bool) -> None:
        """Prune tokens and heads of ``layer``, then attend queries ``q`` [H, nq, D] at ``qpos`` to the
        survivors among the first ``n`` keys, :func:`block_rows` queries at a time; records requests if
        ``emit`` (else only the importance the next selections read is accumulated)."""
        m, s = self.trace.meta, self.s
        # Cascade token pruning: candidates are alive at this layer (earlier steps) and at the
        # layer above (this step); the current decode token is always kept.
        cand = self.alive_tok[layer, :n].copy()
        if layer:
            cand &= self.alive_tok[layer - 1, :n]
        forced = None
        if not prefill:
            forced = np.zeros(n, bool)
            forced[n - 1] = True
            cand[n - 1] = True
        keep = max(1, round(s.tokens[layer] * n))
        alive = self._prune("token", self.imp[:n], cand, keep, forced, emit)
        self.alive_tok[layer, :n] = alive
        hcand = self.alive_head[layer] & (self.alive_head[layer - 1] if layer else True)
        hkeep = max(1, round(s.heads[layer] * m.heads))
        heads = np.flatnonzero(self._prune("head", self.head_score, hcand, hkeep, None, emit))
        self.alive_head[layer] = False
        self.alive_head[layer, heads] = True

        idx = np.flatnonzero(alive)
        if prefill:  # pruned tokens' queries are gone too
            keepq = alive[qpos]
            q, qpos = q[:, keepq], qpos[keepq]
        groups = heads // m.group
        att = _Attention(self, layer, prefill, heads, qpos, idx, n, emit)
        per_block = block_rows(len(heads) * len(idx))
        for i in range(0, len(qpos), per_block):
            att.block(q[heads, i : i + per_block].astype(np.float32), i)
        if not emit:
            return
        # DRAM traffic is per KV group: the first alive head of a group fetches the union.
        first = np.r_[True, groups[1:] != groups[:-1]]
        keys = np.zeros(len(heads), np.int64)
        lsb_keys = np.zeros(len(heads), np.int64)
        values = np.zeros(len(heads), np.int64)
        none = np.zeros(0, np.int64)
        key_rows, value_rows = [none] * len(heads), [none] * len(heads)
        for g in np.unique(groups):
            hs = groups == g
            at = np.flatnonzero(hs & first)[0]
            keys[at] = len(idx)
            lsb_keys[at] = len(idx) if att.need[hs].any() else 0
            value_rows[at] = idx[att.used[hs].any(axis=0)]
            key_rows[at] = idx
            values[at] = len(value_rows[at])
        nvis = np.broadcast_to(att.nvis, att.need.shape)
        rows = self.rows.add(
            key_rows=key_rows,
            value_rows=value_rows,
            prefill=np.bool_(prefill),
            step=np.int32(step),
            layer=np.int32(layer),
            head=heads,
            d=np.int32(m.head_dim),
            context=np.int32(n),
            queries=np.int32(len(qpos)),
            keys=keys,
            key_bits=np.int32(s.key_bits),
            lsb_bits=np.int32(s.lsb_bits),
            lsb_keys=lsb_keys,
            lsb_queries=att.need.sum(axis=1),
            requant_rows=(nvis * att.need).sum(axis=1),
            values=values,
            value_bits=np.int32(s.value_bits),
            qk_rows=nvis.sum(axis=1),
            pv_rows=att.pv_rows,
            query_rows=list(nvis),
            mass_recall=att.recall.mean(axis=1),
            out_err=att.err.mean(axis=1),
            topk_recall=att.tk_recall.mean(axis=1),
        )
        if att.jobs:  # value jobs in (head, query) order
            at, n_job, k_job, passes = (list(x) for x in zip(*sorted(att.jobs, key=lambda j: j[0]), strict=True))
            self.jobs.add(rows[np.array(at) // len(qpos)], "value", np.array(n_job), np.array(k_job), passes)


class _LayerKV:
    """One layer's K and V, exact and as SpAtten stores them, for the rows a step reads: gathered
    from the trace's prompt and decode rows and quantized with the layer's scales (one per KV head
    over all its rows, as :func:`msb_lsb` and :func:`fake_quant` take them), codes rounded in
    float64, views in float32; a decode step costs the rows it reads, not the layer."""

    def __init__(self, trace: Trace, layer: int, s: _Settings) -> None:
        m = trace.meta
        self.t, self.lsb = m.prompt_len, s.lsb_bits
        _, k, v = trace.prefill(layer)
        self.parts = [(k, v)]
        if m.decode_steps:
            _, dk, dv = trace.decode(layer)
            self.parts.append((dk.transpose(1, 0, 2), dv.transpose(1, 0, 2)))

        def amax(i: int) -> np.ndarray:
            return np.max([np.abs(part[i]).max(axis=(1, 2)) for part in self.parts], axis=0).astype(np.float64)

        self.k_scale = scale(amax(0), s.key_bits + s.lsb_bits)
        self.v_scale = scale(amax(1), s.value_bits)

    def _rows(self, i: int, g: int, idx: np.ndarray) -> np.ndarray:
        """Rows ``idx`` (ascending) of KV head ``g`` of K (``i`` 0) or V (1), in float64."""
        cut = np.searchsorted(idx, self.t)
        parts = [self.parts[0][i][g, idx[:cut]]] + ([self.parts[1][i][g, idx[cut:] - self.t]] if cut < len(idx) else [])
        return np.concatenate(parts).astype(np.float64)

    def stored(self, groups: np.ndarray, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """K from its MSBs, K from all its bits and V, as stored, rows ``idx`` of each KV head in ``groups``."""
        shape = (len(groups), len(idx), self.parts[0][0].shape[-1])
        k_msb, k_full, v_q = (np.empty(shape, np.float32) for _ in range(3))
        step = 2.0**self.lsb
        for h, g in enumerate(groups):  # a head at a time: the float64 temporaries stay one head's size
            codes = np.round(self._rows(0, g, idx) / self.k_scale[g])
            k_full[h] = codes * self.k_scale[g]
            k_msb[h] = np.floor(codes / step) * step * self.k_scale[g]
            v_q[h] = np.round(self._rows(1, g, idx) / self.v_scale[g]) * self.v_scale[g]
        return k_msb, k_full, v_q

    def exact(self, groups: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
        """K and V of the first ``n`` rows of each KV head in ``groups``, in float32."""
        out = []
        for i in (0, 1):
            x = np.empty((len(groups), n, self.parts[0][i].shape[-1]), np.float32)
            x[:, : self.t] = self.parts[0][i][groups, :n]
            if n > self.t:
                x[:, self.t :] = self.parts[1][i][groups, : n - self.t]
            out.append(x)
        return out[0], out[1]


class _Attention:
    """One layer's attention for a set of queries, run a block of queries at a time: accumulates
    token importance and head scores on the builder and, when emitting, the per-(head, query)
    facts and quality proxies of its requests."""

    def __init__(
        self,
        b: SpAttenPlanBuilder,
        layer: int,
        prefill: bool,
        heads: np.ndarray,
        qpos: np.ndarray,
        idx: np.ndarray,
        n: int,
        emit: bool,
    ) -> None:
        m, s = b.trace.meta, b.s
        self.b, self.prefill, self.heads, self.qpos, self.idx, self.n, self.emit = b, prefill, heads, qpos, idx, n, emit
        self.causal = m.causal or not prefill
        self.mask = b.trace.prefill_mask(layer) if prefill else None
        self.ratio = s.values if (s.values_in_prefill or not prefill) else 1.0
        groups = heads // m.group
        self.k_msb, self.k_full, self.v_q = b.kv[layer].stored(groups, idx)
        if emit:  # the proxies compare with full attention over every visible key
            self.k, self.v = b.kv[layer].exact(groups, n)
        shape = (len(heads), len(qpos))
        self.need = np.zeros(shape, bool)
        self.nvis = np.zeros(len(qpos), np.int64)
        self.recall, self.err, self.tk_recall = np.zeros(shape), np.zeros(shape), np.zeros(shape)
        self.used = np.zeros((len(heads), len(idx)), bool)
        self.pv_rows = np.zeros(len(heads), np.int64)
        self.jobs: list[tuple[int, int, int, np.ndarray]] = []

    def _width(self, last: int, keys: np.ndarray) -> int:
        """Leading ``keys`` a block whose last query sits at ``last`` may see."""
        return int(np.searchsorted(keys, last, "right")) if self.causal and self.mask is None else len(keys)

    def _first(self, keys: np.ndarray, qpos: np.ndarray) -> int:
        """First of ``keys`` a block's queries may not all see (0 with a mask: any)."""
        return 0 if self.mask is not None else causal_start(keys, qpos, self.causal)

    def _visible(self, qpos: np.ndarray, cols: np.ndarray) -> np.ndarray:
        vis = cols[None, :] <= qpos[:, None] if self.causal else np.ones((len(qpos), len(cols)), bool)
        if self.mask is not None:
            vis &= self.mask[np.ix_(qpos, cols)]
        return vis

    def block(self, q: np.ndarray, start: int) -> None:
        """Queries ``q`` [Ha, c, D], those from ``start`` on."""
        b, s = self.b, self.b.s
        heads, c = len(self.heads), q.shape[1]
        qpos = self.qpos[start : start + c]
        w = self._width(qpos[-1], self.idx)
        cols = self.idx[:w]
        vis = self._visible(qpos, cols)
        first = self._first(cols, qpos)
        p = block_softmax(qk_scores(q, self.k_msb[:, :w]), vis, first)
        vis = vis[None]
        need = np.zeros((heads, c), bool)
        if s.lsb_bits:  # flat rows re-fetch the LSBs and are recomputed on the full codes
            need = p.max(axis=-1) < s.threshold
            if need.any():
                np.copyto(p, block_softmax(qk_scores(q, self.k_full[:, :w]), vis[0], first), where=need[..., None])
        b.imp[cols] += p.sum(axis=(0, 1), dtype=np.float64)

        # Local value pruning: per head and query, keep the rows with the largest probabilities.
        nvis = vis[0].sum(axis=-1)
        kv_keep = np.broadcast_to(np.maximum(1, np.round(self.ratio * nvis)).astype(np.int64), (heads, c))
        prune = kv_keep < nvis
        vmask = np.broadcast_to(vis, p.shape)
        pv = p  # every visible row kept: p renormalized on them is p
        if prune.any():
            sel = b.engine.select(np.where(vis, p, np.nan)[prune], kv_keep[prune], b.rng)
            vmask = vmask.copy()
            vmask[prune] = sel.mask
            where = np.flatnonzero(prune.reshape(-1))
            at = where // c * len(self.qpos) + start + where % c  # (head, query) of the layer
            self.jobs += zip(
                at.tolist(),
                np.broadcast_to(nvis, (heads, c))[prune].tolist(),
                kv_keep[prune].tolist(),
                sel.passes,
                strict=True,
            )
            pv = p * vmask
            tot = pv.sum(axis=-1, keepdims=True)
            pv /= np.where(tot > 0, tot, 1)
        o_s = np.matmul(pv, self.v_q[:, :w])
        b.head_score[self.heads] += np.abs(o_s).sum(axis=(1, 2), dtype=np.float64)
        if not self.emit:
            return
        span = slice(start, start + c)
        self.need[:, span] = need
        self.nvis[span] = nvis
        self.used[:, :w] |= vmask.any(axis=1)
        self.pv_rows += vmask.sum(axis=(1, 2))

        # Quality proxies against full attention over every visible token at full precision.
        wf = self._width(qpos[-1], np.arange(self.n))
        fcols = np.arange(wf)
        p_full = block_softmax(qk_scores(q, self.k[:, :wf]), self._visible(qpos, fcols), self._first(fcols, qpos))
        o_full = np.matmul(p_full, self.v[:, :wf])
        kept = np.zeros(p_full.shape, bool)
        kept[..., cols] = vmask
        self.recall[:, span] = mass_recall(p_full, kept)
        self.tk_recall[:, span] = topk_recall(p_full, kept)
        self.err[:, span] = np.linalg.norm(o_s - o_full, axis=-1) / np.maximum(np.linalg.norm(o_full, axis=-1), 1e-30)


def budget_tokens(budget: float, tokens: list[float], heads: list[float], values: float) -> list[float]:
    """Token keep ratios per layer whose decode steps fetch a mean KV fraction of ``budget``: the
    schedule ``tokens`` scaled, ``min(1, s * tokens[l])``, with ``s`` such that the mean over layers of
    ``heads[l] * keep[l] * (1 + values) / 2`` is ``budget`` (a head attends the layer's surviving
    keys and ``values`` of them as value rows; ``heads[l]``: the fraction of heads it keeps).

    Raises
    ------
    InputError
        If ``budget`` is more than the schedule reaches with every token kept.
    """

    def fraction(scale: float) -> float:
        return sum(h * min(1.0, scale * t) for h, t in zip(heads, tokens, strict=True)) / len(tokens) * (1 + values) / 2

    most = fraction(math.inf)
    if budget > most + 1e-12:
        raise InputError(
            None,
            "policy.budget",
            f"{budget:g} is more than spatten fetches keeping every token with "
            f"values = {values:g} and its head schedule ({most:.4g}); raise policy.values or "
            "prune fewer heads (policy.heads)",
        )
    lo, hi = 0.0, 1.0 / min((t for t in tokens if t > 0), default=1.0)
    for _ in range(60):  # fraction is continuous and non-decreasing in the scale
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if fraction(mid) < budget else (lo, mid)
    return [min(1.0, hi * t) for t in tokens]


def _settings(cfg: SpAttenPolicy | DensePolicy, layers: int, heads: int) -> _Settings:
    if isinstance(cfg, DensePolicy):
        return _Settings(cfg.bits, 0, cfg.bits, 0.0, 1.0, False, [1.0] * layers, [1.0] * layers)
    try:
        tokens, head_ratios = cfg.tokens.ratios(layers), cfg.heads.ratios(layers)
    except ValueError as err:
        raise InputError(None, "policy.tokens.keep / policy.heads.keep", str(err)) from None
    if cfg.budget is not None:
        kept = [max(1, round(r * heads)) / heads for r in head_ratios]
        tokens = budget_tokens(cfg.budget, tokens, kept, cfg.values)
    if cfg.quant.enabled:
        q = cfg.quant
        return _Settings(
            q.msb_bits, q.lsb_bits, q.value_bits, q.threshold, cfg.values, cfg.values_in_prefill, tokens, head_ratios
        )
    return _Settings(cfg.full_bits, 0, cfg.full_bits, 0.0, cfg.values, cfg.values_in_prefill, tokens, head_ratios)


@register(SpAttenPolicy)
def plan_spatten(cfg: SpAttenPolicy, workload: Trace | WorkPlan, phases: str = "both") -> WorkPlan:
    """SpAtten on a trace; an imported request trace already holds the authors' decisions."""
    if isinstance(workload, WorkPlan):
        if cfg.budget is not None:
            raise InputError(
                None,
                "policy.budget",
                "changes nothing here: a request trace replays the "
                "decisions it recorded; give a tensor trace (.safetensors) to plan a budget",
            )
        return workload
    if cfg.budget is not None and (phases == "prefill" or not workload.meta.decode_steps):
        raise InputError(
            None,
            "policy.budget",
            "sizes the decode steps' fetched KV fraction and none are planned "
            "(phases is 'prefill' or the trace has no decode steps); set policy.tokens instead",
        )
    settings = _settings(cfg, workload.meta.layers, workload.meta.heads)
    plan = SpAttenPlanBuilder(workload, settings, cfg.seed, phases).run()
    plan.meta["policy"] = "spatten"
    return plan


@register(DensePolicy)
def plan_dense(cfg: DensePolicy, workload: Trace | WorkPlan, phases: str = "both") -> WorkPlan:
    """Every key and value at ``cfg.bits``; no top-k jobs."""
    if isinstance(workload, WorkPlan):
        r = workload.requests.copy()
        r["keys"] = r["values"] = r["context"]
        r["qk_rows"] = r["pv_rows"] = r["context"] * r["queries"]
        r["key_bits"] = r["value_bits"] = cfg.bits
        r[["lsb_bits", "lsb_keys", "lsb_queries", "requant_rows"]] = 0
        empty = workload.topk.iloc[:0]
        return WorkPlan(r, empty, np.zeros(0, np.int32), {**workload.meta, "policy": "dense"})
    plan = SpAttenPlanBuilder(workload, _settings(cfg, workload.meta.layers, workload.meta.heads), 0, phases).run()
    plan.meta["policy"] = "dense"
    return plan
