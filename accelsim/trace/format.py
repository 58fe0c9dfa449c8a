"""Trace format: attention inputs of a real or synthetic model, in safetensors (never pickle).

Header metadata (``__metadata__``): ``format = "accelsim-trace"``, ``version`` and ``meta``, a JSON
object validated by :class:`TraceMeta`. Version ``"1"``, or ``"2"`` when ``meta.windows`` is set
(older readers then refuse the file rather than misread its masks). Tensors, per layer ``l`` (H query
heads, G KV heads, T prompt tokens, S decode steps, D head dim; float16 or float32):

- ``layers.{l}.prefill.q`` [H, T, D], ``layers.{l}.prefill.k`` / ``.v`` [G, T, D] — after RoPE;
- ``layers.{l}.decode.q`` [S, H, D], ``layers.{l}.decode.k`` / ``.v`` [S, G, D] — the query and
  the new K/V row of each decode step (step s attends to T + s + 1 keys);
- when ``meta.masked`` (a mask that is neither full, causal nor a sliding window):
  ``layers.{l}.prefill.mask`` [T, T] and, with decode steps, ``layers.{l}.decode.mask`` [S, T + S],
  bool-as-uint8 (1 = may attend); row s of the decode mask covers the T + s + 1 keys step s sees
  and is 0 beyond them. Every layer carries masks then (a causal layer's is lower-triangular).
- when ``meta.windows`` (v2, sliding-window models): no mask tensors; layer l's mask is causal,
  limited to the last ``windows[l]`` keys (itself included) when that is above 0.
Probabilities are not stored: they are recomputed in fp32.

Reading is lazy: :func:`read_trace` checks the header (names, shapes, dtypes, file size) and loads a
layer's tensors when first asked, holding one layer at a time, so a 32k-token trace never sits in
memory whole; values (NaN/Inf, mask rules) are checked as each tensor loads. :class:`TraceWriter`
writes a trace tensor by tensor, so writers (capture, synthesis) hold one layer at a time too.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np
from pydantic import Field, ValidationError, model_validator

from accelsim.config.base import Strict, describe_validation_error
from accelsim.errors import InputError
from accelsim.inputs import check_budget, require_file
from accelsim.outputs import atomic_file, check_output

FORMAT = "accelsim-trace"
VERSION = "1"
WINDOWS_VERSION = "2"
"""Format version of traces whose meta declares sliding ``windows``."""
BLOCK_SCORES = 1 << 24
"""Scores a block of query rows holds at once (64 MiB of float32; with a softmax's temporaries a few hundred
MiB): long prompts are scored a block of rows at a time, so no [T, T] array is built (``accelsim.trace.stats``
and phase 1, ``accelsim.policies``; ``tests/policies/test_long_context.py`` shrinks it)."""
_ST_DTYPES = {
    "F16": "float16",
    "F32": "float32",
    "F64": "float64",
    "BF16": "bfloat16",
    "U8": "uint8",
    "BOOL": "bool",
    "I8": "int8",
    "I16": "int16",
    "I32": "int32",
    "I64": "int64",
    "U16": "uint16",
    "U32": "uint32",
    "U64": "uint64",
}
"""safetensors dtype codes -> numpy names (safetensors' ``Dtype`` enum)."""
_ST_CODES = {"float16": "F16", "float32": "F32", "uint8": "U8"}
"""The dtypes a trace stores, as safetensors codes."""
_COPY_CHUNK = 1 << 20
"""Bytes copied at a time when a writer assembles its file (bounded memory, few system calls)."""


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
    """Per-layer prefill and decode masks are stored (non-standard masks)."""
    windows: list[int] | None = None
    """Per layer, a causal sliding window of that many keys (0: plain causal); masks are not stored
    (format version 2). Excludes ``masked``."""
    provenance: dict[str, Any] = Field(default_factory=dict)
    """Where the text and weights came from, and the command that made the trace."""

    @model_validator(mode="after")
    def _check(self) -> TraceMeta:
        if self.heads % self.kv_heads:
            raise ValueError(f"heads ({self.heads}) must be a multiple of kv_heads ({self.kv_heads})")
        if self.windows is not None:
            if len(self.windows) != self.layers:
                raise ValueError(f"windows must list one window per layer ({self.layers}), not {len(self.windows)}")
            if min(self.windows) < 0:
                raise ValueError(f"windows must be 0 (none) or a key count, not {min(self.windows)}")
            if self.masked or not self.causal:
                raise ValueError("windows need a causal trace without stored masks")
        return self

    @property
    def group(self) -> int:
        return self.heads // self.kv_heads

    @property
    def version(self) -> str:
        """The format version a file with this meta is written as."""
        return WINDOWS_VERSION if self.windows is not None else VERSION


@dataclass
class Trace:
    """An attention trace: its metadata and tensors (a dict, or a file's tensors loaded on access)."""

    meta: TraceMeta
    tensors: Mapping[str, np.ndarray]

    def prefill(self, layer: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Prompt Q [H,T,D], K [G,T,D], V [G,T,D] of ``layer``."""
        p = f"layers.{layer}.prefill."
        return self.tensors[p + "q"], self.tensors[p + "k"], self.tensors[p + "v"]

    def decode(self, layer: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Decode-step queries [S,H,D] and new K, V rows [S,G,D] of ``layer``."""
        p = f"layers.{layer}.decode."
        return self.tensors[p + "q"], self.tensors[p + "k"], self.tensors[p + "v"]

    def window(self, layer: int) -> int | None:
        """Sliding window of ``layer`` in keys (itself included), or None: no window."""
        w = self.meta.windows[layer] if self.meta.windows is not None else 0
        return w or None

    def prefill_mask(self, layer: int) -> np.ndarray | None:
        """Prefill mask [T,T] (True = may attend; stored or built from the window), or None for
        full/causal."""
        w = self.window(layer)
        if w is not None:
            i = np.arange(self.meta.prompt_len)
            return _window_mask(i, i, w)
        m = self.tensors.get(f"layers.{layer}.prefill.mask")
        return None if m is None else m.astype(bool)

    def decode_mask(self, layer: int) -> np.ndarray | None:
        """Decode mask [S, T+S] (True = may attend), or None: each step sees all its keys."""
        w = self.window(layer)
        t, s = self.meta.prompt_len, self.meta.decode_steps
        if w is not None:
            return _window_mask(t + np.arange(s), np.arange(t + s), w)
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


def _window_mask(queries: np.ndarray, keys: np.ndarray, window: int) -> np.ndarray:
    """[len(queries), len(keys)] bool: query position i sees keys i - window < j <= i."""
    diff = queries[:, None] - keys[None, :]
    return (diff >= 0) & (diff < window)


def expected_shapes(meta: TraceMeta) -> dict[str, tuple[int, ...]]:
    """Name -> shape of every tensor a trace with ``meta`` must hold."""
    return dict(_expected(meta))


def _expected(meta: TraceMeta) -> Iterator[tuple[str, tuple[int, ...]]]:
    for layer in range(meta.layers):
        yield from layer_shapes(meta, layer).items()


def layer_shapes(meta: TraceMeta, layer: int) -> dict[str, tuple[int, ...]]:
    """Name -> shape of the tensors of one layer, in the order a file stores them."""
    h, g, t, s, d = meta.heads, meta.kv_heads, meta.prompt_len, meta.decode_steps, meta.head_dim
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
    return out


def tensor_count(meta: TraceMeta) -> int:
    """How many tensors a trace with ``meta`` holds (``expected_shapes`` without building it)."""
    per_phase = 3 + int(meta.masked)
    return meta.layers * per_phase * (2 if meta.decode_steps else 1)


def footprint_bytes(meta: TraceMeta, itemsize: int = 4, layers: int | None = None) -> int:
    """Memory to hold ``layers`` layers (default all) of a trace with ``meta`` (``itemsize`` bytes per
    element) and to score it: the tensors, and one block of float32 scores and probabilities
    (:data:`BLOCK_SCORES`)."""
    h, g, t, s, d = meta.heads, meta.kv_heads, meta.prompt_len, meta.decode_steps, meta.head_dim
    n = meta.layers if layers is None else min(layers, meta.layers)
    tensors = n * (h + 2 * g) * (t + s) * d * itemsize
    masks = n * (t * t + s * (t + s)) if meta.masked else 0
    return tensors + masks + _scoring_bytes(meta)


def _scoring_bytes(meta: TraceMeta) -> int:
    return 2 * 4 * min((meta.prompt_len + meta.decode_steps) ** 2, BLOCK_SCORES)


def write_trace(path: str | Path, trace: Trace) -> None:
    """Write ``trace`` to ``path`` (safetensors) one tensor at a time; validates first."""
    with TraceWriter(path) as writer:
        for name in _expected_or_refuse(trace, str(path)):
            writer.add(name, trace.tensors[name])
        writer.finish(trace.meta)


def _expected_or_refuse(trace: Trace, source: str) -> Iterator[str]:
    """The names ``trace.meta`` declares, after checking ``trace.tensors`` holds exactly those."""
    want = expected_shapes(trace.meta)
    extra = sorted(set(trace.tensors) - set(want))
    if extra:
        raise InputError(source, extra[0], "unexpected tensor for this trace's metadata")
    missing = [name for name in want if name not in trace.tensors]
    if missing:
        raise InputError(source, missing[0], "missing tensor")
    return iter(want)


class TraceWriter:
    """Write a trace to a safetensors file tensor by tensor, holding none of them.

    ``add`` checks each tensor's values and appends its bytes to a temporary file next to ``path``;
    ``finish`` checks names and shapes against the metadata (known only then, e.g. after a capture),
    then writes the header and copies the data behind it into ``path`` atomically. Leaving the
    ``with`` block without ``finish`` discards everything.

    Parameters
    ----------
    path
        Output file (``.safetensors``).
    field
        The CLI option naming ``path``, for errors.
    """

    def __init__(self, path: str | Path, field: str | None = "--out") -> None:
        self._path = check_output(path, "file", field)
        self._field = field
        try:
            self._data = tempfile.TemporaryFile(dir=self._path.parent, prefix=f".{self._path.name}.")  # noqa: SIM115 (closed by __exit__)
        except OSError as err:
            raise InputError(self._path, field, f"cannot write ({err.strerror or err})") from None
        self._index: dict[str, dict[str, Any]] = {}
        self._size = 0

    def __enter__(self) -> TraceWriter:
        return self

    def __exit__(self, kind: type[BaseException] | None, err: BaseException | None, tb: TracebackType | None) -> None:
        self._data.close()

    def add(self, name: str, array: np.ndarray) -> None:
        """Append one tensor (float16/float32 data, uint8 or bool masks), checking its values."""
        source = str(self._path)
        if name in self._index:
            raise ValueError(f"tensor {name} added twice")
        check_values(name, array, source)
        if array.dtype == np.bool_:
            array = array.view(np.uint8)
        arr = np.ascontiguousarray(array)
        try:
            self._data.write(arr.data)
        except OSError as err:
            raise InputError(self._path, self._field, f"cannot write ({err.strerror or err})") from None
        end = self._size + arr.nbytes
        self._index[name] = {
            "dtype": _ST_CODES[arr.dtype.name],
            "shape": list(arr.shape),
            "data_offsets": [self._size, end],
        }
        self._size = end

    def finish(self, meta: TraceMeta) -> None:
        """Check the added tensors against ``meta``, then write the file."""
        source = str(self._path)
        check_shapes(meta, {n: tuple(e["shape"]) for n, e in self._index.items()}, source)
        header = {"__metadata__": {"format": FORMAT, "version": meta.version, "meta": meta_json(meta)}, **self._index}
        raw = json.dumps(header, separators=(",", ":")).encode()
        raw += b" " * (-len(raw) % 8)  # safetensors pads the header to 8 bytes (aligned data)
        self._data.flush()
        self._data.seek(0)
        with atomic_file(self._path, self._field) as tmp, open(tmp, "wb") as out:
            out.write(len(raw).to_bytes(8, "little"))
            out.write(raw)
            shutil.copyfileobj(self._data, out, _COPY_CHUNK)


def meta_json(meta: TraceMeta) -> str:
    """The header's ``meta`` JSON; without ``windows`` when there are none (as version 1 wrote it)."""
    return meta.model_dump_json(exclude={"windows"} if meta.windows is None else None)


def check_tensors(meta: TraceMeta, tensors: Mapping[str, np.ndarray], source: str) -> None:
    """Names, shapes, dtypes and values of ``tensors`` against ``meta``."""
    check_shapes(meta, {n: a.shape for n, a in tensors.items()}, source)
    for name in expected_shapes(meta):
        check_values(name, tensors[name], source)


def check_shapes(meta: TraceMeta, shapes: Mapping[str, tuple[int, ...]], source: str) -> None:
    """Tensor names and shapes against those ``meta`` declares."""
    want = expected_shapes(meta)
    extra = sorted(set(shapes) - set(want))
    if extra:
        raise InputError(source, extra[0], "unexpected tensor for this trace's metadata")
    for name, shape in want.items():
        if name not in shapes:
            raise InputError(source, name, "missing tensor")
        if tuple(shapes[name]) != shape:
            raise InputError(source, name, f"expected shape {list(shape)}, got {list(shapes[name])}")


def check_dtype(name: str, dtype: str, source: str) -> None:
    """A tensor's dtype (numpy name): uint8 or bool for masks, float16 or float32 for the rest."""
    if name.endswith(".mask"):
        if dtype not in ("uint8", "bool"):
            raise InputError(source, name, f"expected uint8 mask, got {dtype}")
    elif dtype not in ("float16", "float32"):
        raise InputError(source, name, f"expected float16 or float32, got {dtype}")


def check_values(name: str, arr: np.ndarray, source: str) -> None:
    """One tensor's dtype and values: finite data; masks where every query sees a key, and decode
    step s sees at most T + s + 1 keys."""
    check_dtype(name, arr.dtype.name, source)
    if name.endswith(".mask"):
        if not arr.any(axis=1).all():
            raise InputError(source, name, "a query row may attend to no key")
        prompt = arr.shape[1] - arr.shape[0]
        if name.endswith("decode.mask") and np.triu(arr[:, prompt:], 1).any():
            raise InputError(source, name, "step s may only attend to its first T+s+1 keys")
    elif not np.isfinite(arr).all():
        raise InputError(source, name, "contains NaN or Inf")


class StoredTensors(Mapping[str, np.ndarray]):
    """The tensors of a trace file, loaded and checked on access; the tensors of the layer used last
    stay in memory, the others are dropped, and the file is mapped one layer at a time. Pickles as its
    path (a worker reopens the file)."""

    def __init__(self, path: Path, names: list[str]) -> None:
        self._path = path
        self._names = names
        self._known = frozenset(names)
        self._handle: Any = None
        self._layer = -1
        self._held: dict[str, np.ndarray] = {}

    def __getstate__(self) -> dict[str, Any]:
        return {"path": self._path, "names": self._names}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["path"], state["names"])

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)

    def __contains__(self, name: object) -> bool:
        return name in self._known

    def __getitem__(self, name: str) -> np.ndarray:
        if name not in self._known:
            raise KeyError(name)
        layer = int(name.split(".")[1])
        if layer != self._layer:
            # Dropping the handle unmaps the file: its pages stay out of this process's resident set.
            self._layer, self._held, self._handle = layer, {}, None
        arr = self._held.get(name)
        if arr is None:
            arr = self._held[name] = self._load(name)
        return arr

    def _load(self, name: str) -> np.ndarray:
        from safetensors import safe_open

        src = str(self._path)
        try:
            if self._handle is None:
                self._handle = safe_open(src, framework="numpy")
            arr = self._handle.get_tensor(name)
        except Exception as err:  # safetensors raises its own error types for corrupt files
            raise InputError(src, name, f"truncated or corrupt tensor data ({err})") from None
        check_values(name, arr, src)
        return arr


def read_meta(path: str | Path) -> TraceMeta:
    """Read and validate only the header of a trace file."""
    return _open(path)[0]


def _open(path: str | Path, layers_held: int | None = 1) -> tuple[TraceMeta, Any]:
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
    version = header.get("version")
    if version not in (VERSION, WINDOWS_VERSION):
        raise InputError(src, "__metadata__.version", f"expected {VERSION!r} or {WINDOWS_VERSION!r}, got {version!r}")
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
    if meta.version != version:
        raise InputError(
            src,
            "__metadata__.version",
            f"expected {meta.version!r} for a trace "
            f"{'with' if meta.windows is not None else 'without'} windows, got {version!r}",
        )
    names = set(handle.keys())
    if tensor_count(meta) > len(names):  # the first missing one is among the first len(names) + 1 declared
        missing = next(name for name, _ in _expected(meta) if name not in names)
        raise InputError(src, missing, f"missing tensor (the header declares {meta.layers:,} layers)")
    least = footprint_bytes(meta, itemsize=2) - _scoring_bytes(meta)
    if least > path.stat().st_size:
        raise InputError(
            src,
            "meta",
            f"the declared shape needs at least {least:,} bytes of float16 tensors, "
            f"the file holds {path.stat().st_size:,}",
        )
    check_budget(src, "meta", footprint_bytes(meta, layers=layers_held), "scoring this trace's declared shape")
    return meta, handle


def read_trace(path: str | Path, *, lazy: bool = True) -> Trace:
    """Read a trace: its header, names, shapes, dtypes and size are checked at once; tensors load
    (and their values are checked) one layer at a time as they are used, or all now unless ``lazy``."""
    meta, handle = _open(path, layers_held=1 if lazy else None)
    src = str(path)
    shapes: dict[str, tuple[int, ...]] = {}
    for name in handle.keys():  # noqa: SIM118 (safe_open has no __iter__)
        part = handle.get_slice(name)
        shapes[name] = tuple(part.get_shape())
        code = part.get_dtype()
        check_dtype(name, _ST_DTYPES.get(code, code.lower()), src)
    check_shapes(meta, shapes, src)
    tensors = StoredTensors(Path(path), list(expected_shapes(meta)))
    return Trace(meta, tensors if lazy else dict(tensors.items()))
