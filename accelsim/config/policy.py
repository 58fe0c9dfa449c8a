"""Policy configuration: which tokens, heads and value rows a policy keeps, at what precision."""

from __future__ import annotations

import math
from typing import Annotated, Literal

from pydantic import Field, model_validator

from accelsim.config.base import Strict

Ratio = Annotated[float, Field(ge=0.0, le=1.0)]
Budget = Annotated[float, Field(gt=0.0, le=1.0)]
REMOVED = {"engine": "removed: a policy selects with the hardware's top-k engine; set hw.topk.engine instead"}
"""Fields no policy takes any more, refused with why (rather than as unknown)."""


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


class SpAttenPolicy(Strict):
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


class DensePolicy(Strict):
    """No pruning, no quantization tricks: every key and value at ``bits``."""

    name: Literal["dense"] = "dense"
    bits: int = Field(12, ge=1, le=32)
    """K/V width (SpAtten on-chip width: 12)."""


Bits = Annotated[int, Field(ge=1, le=16)]


class OraclePolicy(Strict):
    """Exact per-step top-k of full attention, plus optional sink and recent rows (docs/policies.md
    P0). All keys are scored; only the selected value rows are fetched. The yardstick: with the
    default sink = recent = 0 no set of the same size holds more attention mass."""

    name: Literal["oracle"] = "oracle"
    budget: Budget = 0.2
    """Rows kept per head and step, as a fraction of the context (sink and recent included)."""
    sink: int = Field(0, ge=0)
    """First rows always kept (P0's ``sink[0:a]``; 0 keeps the oracle an exact upper bound)."""
    recent: int = Field(0, ge=0)
    """Last rows always kept (P0's ``recent[n-w:n]``)."""
    bits: Bits = 12
    """K/V width (SpAtten on-chip width: 12)."""


class StreamingPolicy(Strict):
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


class H2OPolicy(Strict):
    """H2O: heavy hitters by accumulated attention plus a recent window, one eviction per step
    (FMInference/H2O ``utils_real_drop/modify_llama.py``)."""

    name: Literal["h2o"] = "h2o"
    heavy_ratio: Ratio = 0.1
    """Heavy-hitter rows as a fraction of the prompt (``heavy_ratio=0.1``, H2O)."""
    recent_ratio: Ratio = 0.1
    """Recent rows as a fraction of the prompt (``recent_ratio=0.1``, H2O)."""
    budget: Budget | None = None
    """If set, overrides both ratios with ``budget / 2`` each."""
    bits: Bits = 12
    """K/V width (SpAtten on-chip width: 12)."""
    seed: int = 0
    """Seed of the random pivots of the top-k engine (the hardware's, ``hw.topk.engine``)."""


class SnapKVPolicy(Strict):
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


class DuoPolicy(Strict):
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


class RecycledPolicy(Strict):
    """Recycled Attention / RefreshKV: full-attention steps refresh a per-KV-head top-K set that
    partial steps attend to (arXiv 2411.05787)."""

    name: Literal["recycled"] = "recycled"
    budget: Budget = 0.125
    """Size K of the recycled set as a fraction of the context at the refresh (paper: K = n/8)."""
    schedule: Literal["fixed", "cosine"] = "fixed"
    """``fixed``: a full step every ``stride`` steps; ``cosine``: every ``check_every`` steps a full
    step when cos(mean_h q_t, mean_h q at the last full step) < ``cosine``."""
    stride: int = Field(10, ge=1)
    """Steps between full steps (paper: S in {10, 15})."""
    check_every: int = Field(5, ge=1)
    """Steps between query-similarity checks (paper: QC in {5, 10})."""
    cosine: Ratio = 0.85
    """Query-cosine threshold (paper: 0.85 Llama-3.1-8B, 0.95 Qwen2-7B)."""
    pool: int = Field(5, ge=1)
    """Max-pool kernel over the scores before top-K (the paper max-pools; kernel 5 here, as
    SnapKV's, is this tool's choice)."""
    bits: Bits = 12
    """K/V width (SpAtten on-chip width: 12)."""
    seed: int = 0
    """Seed of the random pivots of the top-k engine (the hardware's, ``hw.topk.engine``)."""

    @model_validator(mode="after")
    def _check(self) -> RecycledPolicy:
        if self.pool % 2 == 0:
            raise ValueError(f"pool must be odd, not {self.pool}")
        return self


class A2ATSPolicy(Strict):
    """A²ATS: keys vector-quantized to codebook ids, scores estimated from a per-step lookup table,
    top-k per query head, exact attention on the union per KV head
    (junhuihe-hjh/vqkey ``vqkey/models/llama_masked.py``)."""

    name: Literal["a2ats"] = "a2ats"
    codebook: int = Field(4096, ge=2)
    """Codebook entries per (layer, KV head) (vqkey: 4096, 12-bit ids); capped at the prompt length."""
    topk: Ratio = 0.03
    """Rows selected by estimated score per query head, as a fraction of the context (vqkey: 0.03)."""
    sink: int = Field(8, ge=0)
    """First rows always kept (vqkey: 8)."""
    window: int = Field(64, ge=0)
    """Last rows always kept (vqkey: 64)."""
    budget: Budget | None = None
    """If set, each step keeps ``B = round(budget * n)`` rows per query head: ``min(sink, B // 8)``
    sink rows, ``min(window, B // 4)`` window rows, the rest by estimated score."""
    kmeans_iters: int = Field(10, ge=1)
    """Lloyd iterations after k-means++ seeding of each codebook."""
    codebook_in_sram: bool = False
    """The codebook stays on chip (no DRAM traffic); otherwise it is fetched at every step."""
    bits: Bits = 12
    """K/V and codebook element width (SpAtten on-chip width: 12)."""
    seed: int = 0
    """Seed of k-means++ and of the top-k engine's random pivots."""


class ZipCachePolicy(Strict):
    """ZipCache: every row kept, mixed precision by normalized attention score
    (ThisisBillhe/ZipCache ``zipcache/models/modeling_llama.py``)."""

    name: Literal["zipcache"] = "zipcache"
    hi_bits: Bits = 4
    """Width of the salient rows (ZipCache: 4)."""
    lo_bits: Bits = 2
    """Width of the other rows (ZipCache: 2)."""
    lo_ratio: Ratio = 0.4
    """Fraction of rows at ``lo_bits`` (ZipCache: 40%)."""
    probes: Ratio = 0.05
    """Probe queries: the last and a random earlier ``probes`` fraction of the prompt (ZipCache: 5% + 5%)."""
    refresh: int = Field(100, ge=1)
    """Generated rows are compressed in batches of this many (ZipCache: every 100 tokens)."""
    bits: Bits = 12
    """Width of rows not yet compressed (SpAtten on-chip width: 12)."""
    seed: int = 0
    """Seed of the random probe positions."""

    @model_validator(mode="after")
    def _check(self) -> ZipCachePolicy:
        if self.lo_bits > self.hi_bits:
            raise ValueError(f"lo_bits ({self.lo_bits}) must not exceed hi_bits ({self.hi_bits})")
        return self


class MnnFastPolicy(Strict):
    """MnnFast-style zero skipping (Jang et al., ISCA 2019, as SpAtten Sec. V-B describes it): every
    key and value is fetched and every score computed; value rows whose probability is below
    ``threshold`` skip the ProbxV multiply."""

    name: Literal["mnnfast"] = "mnnfast"
    threshold: Ratio = 0.01
    """Probability below which a value row is skipped (assumption: neither paper states the value
    for BERT; 0.01 skips rows worth under 1% of the mass)."""
    bits: Bits = 8
    """K/V width (assumption: the same static 8 bits as accelsim's SpAtten BERT preset)."""


class A3Policy(Strict):
    """A3 approximate candidate selection (Ham et al., HPCA 2020, as SpAtten Sec. V-B describes it):
    every key and value is fetched; per query, a greedy search over keys pre-sorted per dimension
    accumulates the ``iterations`` largest and the ``iterations`` most negative products
    ``q[d] * K[j, d]`` into partial scores, and only keys whose partial score is within
    ``threshold`` of the best get an exact score and a value row."""

    name: Literal["a3"] = "a3"
    iterations: Ratio = 0.5
    """Greedy search steps per query as a fraction of the visible keys (assumption)."""
    threshold: float = Field(4.0, gt=0)
    """Kept keys' partial scores (scaled by 1/sqrt(d)) lie within this of the best (assumption:
    e^-4 = 1.8% of the best key's weight)."""
    bits: Bits = 8
    """K/V width (assumption: the same static 8 bits as accelsim's SpAtten BERT preset)."""


PolicyConfig = (SpAttenPolicy | DensePolicy | OraclePolicy | StreamingPolicy | H2OPolicy | SnapKVPolicy
                | DuoPolicy | RecycledPolicy | A2ATSPolicy | ZipCachePolicy | MnnFastPolicy | A3Policy)
Policy = Annotated[PolicyConfig, Field(discriminator="name")]
