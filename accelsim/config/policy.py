"""Policy configuration: which tokens, heads and value rows a policy keeps, at what precision."""

from __future__ import annotations

import math
from typing import Annotated, Literal

from pydantic import Field, model_validator

from accelsim.config.base import Strict

Ratio = Annotated[float, Field(ge=0.0, le=1.0)]


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
    full_bits: int = Field(12, ge=1, le=16)
    """Bits of K/V when quantization is disabled (SpAtten on-chip width: 12)."""
    engine: str = "quickselect"
    """Top-k engine whose functional model selects tokens, heads and values (SpAtten: quick-select)."""
    seed: int = 0
    """Seed of the top-k engines' random pivots."""

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


Policy = Annotated[SpAttenPolicy | DensePolicy, Field(discriminator="name")]
