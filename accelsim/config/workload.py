"""Workload specs: a YAML that names a synthetic trace shape instead of shipping tensors."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, PositiveInt

from accelsim.config.base import Strict, read_yaml, validate


class SyntheticWorkload(Strict):
    """A seeded synthetic trace (``accelsim.trace.synthetic``) of a model's attention shape."""

    kind: Literal["synthetic"] = "synthetic"
    model: str
    """Model the shape is taken from (for the record only)."""
    source: str
    """Where the shape and length come from."""
    layers: PositiveInt
    heads: PositiveInt
    kv_heads: PositiveInt | None = None
    head_dim: PositiveInt
    prompt_len: PositiveInt
    decode_steps: int = Field(0, ge=0)
    causal: bool = False
    """BERT encoders attend both ways; decoders are causal."""
    seed: int = 0
    sink: float = Field(8.0, gt=0)
    """Salience of token 0 (``synthetic_trace`` default)."""
    tail: float = Field(1.5, gt=0)
    """Pareto shape of token salience (``synthetic_trace`` default)."""


def load_workload_spec(path: str | Path) -> SyntheticWorkload:
    """Read and validate a workload YAML."""
    data = read_yaml(path)
    return validate(SyntheticWorkload, data if data is not None else {}, str(path))
