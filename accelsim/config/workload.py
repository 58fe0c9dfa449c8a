"""Workload specs: a YAML that names a synthetic trace shape instead of shipping tensors."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, PositiveInt, model_validator

from accelsim.config.base import Strict, read_yaml, validate
from accelsim.errors import InputError
from accelsim.inputs import check_budget


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


    @model_validator(mode="after")
    def _check(self) -> SyntheticWorkload:
        if self.kv_heads is not None and self.heads % self.kv_heads:
            raise ValueError(f"heads ({self.heads}) must be a multiple of kv_heads ({self.kv_heads})")
        return self


def load_workload_spec(path: str | Path) -> SyntheticWorkload:
    """Read and validate a workload YAML; a shape that would not fit the memory budget
    (:data:`accelsim.inputs.MEMORY_BUDGET_BYTES`) is refused before anything is generated."""
    from accelsim.trace.format import TraceMeta, footprint_bytes

    data = read_yaml(path)
    if not isinstance(data, dict):
        raise InputError(path, None, f"expected a mapping of workload fields, got {type(data).__name__}")
    spec = validate(SyntheticWorkload, data, str(path))
    shape = spec.model_dump(include={"layers", "heads", "kv_heads", "head_dim", "prompt_len", "decode_steps"})
    meta = TraceMeta(model=spec.model, **{**shape, "kv_heads": spec.kv_heads or spec.heads})
    check_budget(path, "prompt_len", footprint_bytes(meta, itemsize=8), "generating this workload")
    return spec
