"""Trace format v1: attention inputs of a real or synthetic model, in safetensors (never pickle).

Header metadata (``__metadata__``): ``format = "accelsim-trace"``, ``version = "1"`` and ``meta``, a
JSON object validated by :class:`TraceMeta`. Tensors, per layer ``l`` (H query heads, G KV heads,
T prompt tokens, S decode steps, D head dim; float16 or float32):

- ``layers.{l}.prefill.q`` [H, T, D], ``layers.{l}.prefill.k`` / ``.v`` [G, T, D] — after RoPE;
- ``layers.{l}.decode.q`` [S, H, D], ``layers.{l}.decode.k`` / ``.v`` [S, G, D] — the query and
  the new K/V row of each decode step (step s attends to T + s + 1 keys);
- when ``meta.masked`` (the model's mask is neither full nor causal, e.g. sliding windows):
  ``layers.{l}.prefill.mask`` [T, T] and, with decode steps, ``layers.{l}.decode.mask`` [S, T + S],
  bool-as-uint8 (1 = may attend); row s of the decode mask covers the T + s + 1 keys step s sees
  and is 0 beyond them. Every layer carries masks then (a causal layer's is lower-triangular).
Probabilities are not stored: they are recomputed in fp32.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import Field, ValidationError, model_validator

from accelsim.config.base import Strict, describe_validation_error
from accelsim.errors import InputError
from accelsim.inputs import check_budget, require_file
from accelsim.outputs import atomic_file

FORMAT = "accelsim-trace"
VERSION = "1"
DTYPES = (np.float16, np.float32)


class TraceMeta(Strict):
    """Trace metadata (the ``meta`` JSON object of the header)."""

    model: str
    """Model name or path the trace was captured from (``synthetic`` for generated traces)."""
    layers: int = Field(ge=1)
    heads: int = Field(ge=1)
    """Query heads per layer."""
    kv_heads: int = Field(ge=1)
    """Key/value heads per layer (GQA/MQA: fewer than ``heads``)."""
    head_dim: int = Field(ge=1)
    prompt_len: int = Field(ge=1)
    decode_steps: int = Field(0, ge=0)
    causal: bool = True
    """Prefill attention is causal (decoders) or full (encoders)."""
    masked: bool = False
    """Per-layer prefill and decode masks are stored (sliding windows, other non-standard masks)."""
    provenance: dict[str, Any] = Field(default_factory=dict)
    """Where the text and weights came from, and the command that made the trace."""

    @model_validator(mode="after")
    def _check(self) -> TraceMeta:
        if self.heads % self.kv_heads:
            raise ValueError(
                f"heads ({self.heads}) must be a multiple of kv_heads ({self.kv_heads})")
        return self

    @property
    def group(self) -> int:
        return self.heads // self.kv_heads


@dataclass
class Trace:
    """An attention trace held in memory."""

    meta: TraceMeta
    tensors: dict[str, np.ndarray]

    def prefill(self, layer: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Prompt Q [H,T,D], K [G,T,D], V [G,T,D] of ``layer``."""
        p = f"layers.{layer}.prefill."
        return self.tensors[p + "q"], self.tensors[p + "k"], self.tensors[p + "v"]

    def decode(self, layer: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Decode-step queries [S,H,D] and new K, V rows [S,G,D] of ``layer``."""
        p = f"layers.{layer}.decode."
        return self.tensors[p + "q"], self.tensors[p + "k"], self.tensors[p + "v"]

    def prefill_mask(self, layer: int) -> np.ndarray | None:
        """Stored prefill mask [T,T] (True = may attend), or None for full/causal."""
        m = self.tensors.get(f"layers.{layer}.prefill.mask")
        return None if m is None else m.astype(bool)

    def decode_mask(self, layer: int) -> np.ndarray | None:
        """Stored decode mask [S, T+S] (True = may attend), or None: each step sees all its keys."""
        m = self.tensors.get(f"layers.{layer}.decode.mask")
        return None if m is None else m.astype(bool)

    def kv(self, layer: int) -> tuple[np.ndarray, np.ndarray]:
        """All keys and values of ``layer`` [G, T+S, D]: prompt rows then decode rows."""
        _, k, v = self.prefill(layer)
        if self.meta.decode_steps:
            _, dk, dv = self.decode(layer)
            k = np.concatenate([k, dk.transpose(1, 0, 2)], axis=1)
            v = np.concatenate([v, dv.transpose(1, 0, 2)], axis=1)
        return k, v


def expected_shapes(meta: TraceMeta) -> dict[str, tuple[int, ...]]:
    """Name -> shape of every tensor a trace with ``meta`` must hold."""
    return dict(_expected(meta))


def _expected(meta: TraceMeta) -> Iterator[tuple[str, tuple[int, ...]]]:
    h, g, t, s, d = meta.heads, meta.kv_heads, meta.prompt_len, meta.decode_steps, meta.head_dim
    for layer in range(meta.layers):
        out: dict[str, tuple[int, ...]] = {}
        p = f"layers.{layer}."
        out[p + "prefill.q"] = (h, t, d)
        out[p + "prefill.k"] = (g, t, d)
        out[p + "prefill.v"] = (g, t, d)
        if meta.masked:
            out[p + "prefill.mask"] = (t, t)
        if s:
            out[p + "decode.q"] = (s, h, d)
            out[p + "decode.k"] = (s, g, d)
            out[p + "decode.v"] = (s, g, d)
            if meta.masked:
                out[p + "decode.mask"] = (s, t + s)
        yield from out.items()


def tensor_count(meta: TraceMeta) -> int:
    """How many tensors a trace with ``meta`` holds (``expected_shapes`` without building it)."""
    per_phase = 3 + int(meta.masked)
    return meta.layers * per_phase * (2 if meta.decode_steps else 1)


def footprint_bytes(meta: TraceMeta, itemsize: int = 4) -> int:
    """Memory a trace with ``meta`` takes to hold (``itemsize`` bytes per element) and to score: its tensors,
    and one head's float32 scores and probabilities over the whole context (``accelsim.trace.stats``)."""
    h, g, t, s, d = meta.heads, meta.kv_heads, meta.prompt_len, meta.decode_steps, meta.head_dim
    tensors = meta.layers * (h + 2 * g) * (t + s) * d * itemsize
    masks = meta.layers * (t * t + s * (t + s)) if meta.masked else 0
    return tensors + masks + 2 * 4 * (t + s) ** 2


def write_trace(path: str | Path, trace: Trace) -> None:
    """Write ``trace`` to ``path`` (safetensors); validates first."""
    from safetensors.numpy import save_file

    check_tensors(trace.meta, trace.tensors, str(path))
    meta = {"format": FORMAT, "version": VERSION, "meta": trace.meta.model_dump_json()}
    tensors = {k: np.ascontiguousarray(v) for k, v in trace.tensors.items()}
    with atomic_file(path, "--out") as tmp:
        save_file(tensors, str(tmp), metadata=meta)


def check_tensors(meta: TraceMeta, tensors: dict[str, np.ndarray], source: str) -> None:
    """Names, shapes, dtypes and finiteness of ``tensors`` against ``meta``."""
    want = expected_shapes(meta)
    extra = sorted(set(tensors) - set(want))
    if extra:
        raise InputError(source, extra[0], "unexpected tensor for this trace's metadata")
    for name, shape in want.items():
        if name not in tensors:
            raise InputError(source, name, "missing tensor")
        arr = tensors[name]
        if arr.shape != shape:
            raise InputError(source, name, f"expected shape {list(shape)}, got {list(arr.shape)}")
        if name.endswith(".mask"):
            if arr.dtype not in (np.uint8, np.bool_):
                raise InputError(source, name, f"expected uint8 mask, got {arr.dtype}")
            if not arr.any(axis=1).all():
                raise InputError(source, name, "a query row may attend to no key")
            if name.endswith("decode.mask") and np.triu(arr[:, meta.prompt_len:], 1).any():
                raise InputError(source, name, "step s may only attend to its first T+s+1 keys")
            continue
        if arr.dtype not in DTYPES:
            raise InputError(source, name, f"expected float16 or float32, got {arr.dtype}")
        if not np.isfinite(arr).all():
            raise InputError(source, name, "contains NaN or Inf")


def read_meta(path: str | Path) -> TraceMeta:
    """Read and validate only the header of a trace file."""
    return _open(path)[0]


def _open(path: str | Path):
    from safetensors import safe_open

    path = Path(path)
    src = str(path)
    require_file(path, limit=1 << 50)  # a trace's size is checked against its declared shape below
    try:
        handle = safe_open(src, framework="numpy")
        header = handle.metadata() or {}
    except Exception as err:  # safetensors raises its own error types for corrupt files
        raise InputError(src, None, f"not a readable safetensors file ({err})") from None
    if header.get("format") != FORMAT:
        got = header.get("format")
        raise InputError(src, "__metadata__.format", f"expected {FORMAT!r}, got {got!r}")
    if header.get("version") != VERSION:
        got = header.get("version")
        raise InputError(src, "__metadata__.version", f"expected {VERSION!r}, got {got!r}")
    try:
        raw = json.loads(header.get("meta", ""))
    except json.JSONDecodeError as err:
        raise InputError(src, "__metadata__.meta", f"not valid JSON ({err.msg})") from None
    except RecursionError:
        raise InputError(src, "__metadata__.meta", "JSON nested too deeply") from None
    try:
        meta = TraceMeta.model_validate(raw)
    except ValidationError as err:
        loc, msg = describe_validation_error(err)
        raise InputError(src, f"meta.{loc}" if loc else "meta", msg) from None
    names = set(handle.keys())
    if tensor_count(meta) > len(names):  # the first missing one is among the first len(names) + 1 declared
        missing = next(name for name, _ in _expected(meta) if name not in names)
        raise InputError(src, missing, f"missing tensor (the header declares {meta.layers:,} layers)")
    least = footprint_bytes(meta, itemsize=2) - 2 * 4 * (meta.prompt_len + meta.decode_steps) ** 2
    if least > path.stat().st_size:
        raise InputError(src, "meta", f"the declared shape needs at least {least:,} bytes of float16 tensors, "
                         f"the file holds {path.stat().st_size:,}")
    check_budget(src, "meta", footprint_bytes(meta), "scoring this trace's declared shape")
    return meta, handle


def read_trace(path: str | Path) -> Trace:
    """Read and validate a trace: header, names, shapes, dtypes, NaN/Inf, sizes."""
    meta, handle = _open(path)
    src = str(path)
    tensors: dict[str, np.ndarray] = {}
    try:
        for name in handle.keys():  # noqa: SIM118 (safe_open has no __iter__)
            tensors[name] = handle.get_tensor(name)
    except Exception as err:
        raise InputError(src, None, f"truncated or corrupt tensor data ({err})") from None
    check_tensors(meta, tensors, src)
    return Trace(meta, tensors)
