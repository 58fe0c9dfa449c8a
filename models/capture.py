"""Trace capture through a custom attention implementation registered with transformers.

:data:`ATTN_NAME` is registered in transformers' ``AttentionInterface`` (the attention kernel) and
``AttentionMaskInterface`` (its mask builder, transformers' own ``sdpa_mask``). While a model runs
under it, every attention call hands this module the tensors the kernel receives — Q and K after
RoPE, V, the KV heads unrepeated (GQA/MQA), the mask (sliding windows) — then delegates to
transformers' ``sdpa_attention_forward`` unchanged, so outputs equal plain ``sdpa``.

Prefill runs the prompt once; decode then runs greedy autoregressive steps with a
``DynamicCache`` built without the config, so every layer keeps all keys and sliding windows
appear as masks over absolute positions, as the trace format wants.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from transformers import AttentionInterface, AttentionMaskInterface, DynamicCache
from transformers.integrations.sdpa_attention import sdpa_attention_forward
from transformers.masking_utils import sdpa_mask

from accelsim.trace.format import Trace, TraceMeta, TraceWriter, read_trace

ATTN_NAME = "accelsim_capture"
"""Name of the capturing attention implementation (``config._attn_implementation``)."""

_TORCH_DTYPES = {np.dtype(np.float16): torch.float16, np.dtype(np.float32): torch.float32}

# Keyword arguments that change attention in ways the trace format cannot represent.
_UNSUPPORTED = ("softcap", "s_aux", "position_bias")


class CaptureError(Exception):
    """The model's attention cannot be represented in a trace (logit softcapping, ...)."""


@dataclass
class _Layer:
    """What one layer's attention kernel received (its tensors go to the sink as they arrive)."""

    first_k: np.ndarray | None = None  # [G, D]: the first prompt key, to check the cache
    last_k: np.ndarray | None = None  # [G, D]: the newest key, ditto
    window: int = 0  # prefill mask: causal sliding window of this many keys (0: none)
    prefill_mask: np.ndarray | None = None  # [T, T] bool, kept only when no window describes it
    causal: bool = True
    decode_q: list[np.ndarray] = field(default_factory=list)  # [H, D] per step
    decode_k: list[np.ndarray] = field(default_factory=list)  # [G, D] per step
    decode_v: list[np.ndarray] = field(default_factory=list)
    decode_mask: list[np.ndarray] = field(default_factory=list)  # [T+s+1] bool per step


class _Recorder:
    """Collects attention inputs per layer, one forward pass (prefill or decode step) at a time."""

    def __init__(self, dtype: np.dtype, on_layer: Callable[[], None] | None,
                 sink: Callable[[str, np.ndarray], None]) -> None:
        self.dtype = dtype
        self.sink = sink
        self.on_layer = on_layer
        self.layers: list[_Layer] = []
        self.call = 0  # attention calls so far in the current forward pass
        self.step = -1  # -1: prefill; s >= 0: decode step s
        self.prompt_len = 0
        self.heads = self.kv_heads = self.head_dim = 0
        self.scale_fold: float | None = None

    def begin(self, step: int) -> None:
        self.step, self.call = step, 0

    def end(self) -> None:
        if self.step >= 0 and self.call != len(self.layers):
            raise CaptureError(f"decode step {self.step} ran {self.call} attention calls, "
                               f"prefill ran {len(self.layers)}")

    def _np(self, t: torch.Tensor) -> np.ndarray:
        # A copy: the tensor may be a view of a cache that later changes in place.
        return t.detach().to("cpu", _TORCH_DTYPES[self.dtype], copy=True).numpy()

    def record(self, module: torch.nn.Module, query: torch.Tensor, key: torch.Tensor,
               value: torch.Tensor, mask: torch.Tensor | None, scaling: float | None,
               kwargs: dict[str, Any]) -> None:
        bad = [k for k in _UNSUPPORTED if kwargs.get(k) is not None]
        if bad:
            raise CaptureError(f"attention uses {bad[0]}, which a trace cannot represent")
        d = query.shape[-1]
        if scaling is not None and not math.isclose(scaling * math.sqrt(d), 1.0, rel_tol=1e-6):
            # Traces assume softmax(q.k / sqrt(D)); fold any other scale into q.
            self.scale_fold = scaling * math.sqrt(d)
            query = query * self.scale_fold
        allowed = _allowed(mask)
        if self.step < 0:
            self.layers.append(self._prefill(module, query, key, value, allowed, kwargs))
        else:
            if self.call >= len(self.layers):
                raise CaptureError("a decode step ran more attention calls than prefill did")
            self._decode(self.layers[self.call], query, key, value, allowed)
        self.call += 1
        if self.on_layer is not None:
            self.on_layer()

    def _prefill(self, module: torch.nn.Module, query: torch.Tensor, key: torch.Tensor,
                 value: torch.Tensor, allowed: torch.Tensor | None,
                 kwargs: dict[str, Any]) -> _Layer:
        t = query.shape[2]
        if key.shape[2] != t:
            raise CaptureError(f"prefill saw {key.shape[2]} keys for {t} queries")
        self.prompt_len = t
        self.heads, self.kv_heads, self.head_dim = query.shape[1], key.shape[1], query.shape[-1]
        p = f"layers.{len(self.layers)}.prefill."
        k = self._np(key[0])
        layer = _Layer(first_k=k[:, 0].copy(), last_k=k[:, -1].copy())
        for name, arr in (("q", self._np(query[0])), ("k", k), ("v", self._np(value[0]))):
            self.sink(p + name, arr)
        if allowed is None:  # sdpa then applies is_causal (kwarg, else the module's flag)
            layer.causal = bool(kwargs.get("is_causal", getattr(module, "is_causal", True)))
        else:
            layer.window = _window_of(allowed)
            if not layer.window:
                layer.prefill_mask = allowed.numpy()
        return layer

    def _decode(self, layer: _Layer, query: torch.Tensor, key: torch.Tensor,
                value: torch.Tensor, allowed: torch.Tensor | None) -> None:
        n = self.prompt_len + self.step + 1
        if query.shape[2] != 1 or key.shape[2] != n:
            raise CaptureError(f"decode step {self.step} saw {query.shape[2]} queries and "
                               f"{key.shape[2]} keys, expected 1 and {n}")
        # A trace stores each key once, so the cache must hand back the keys it was given: check
        # the first key and the previous step's new one (a quantized or re-rotating cache fails).
        previous = layer.decode_k[-1] if layer.decode_k else layer.last_k
        if not (np.array_equal(self._np(key[0, :, 0]), layer.first_k)
                and np.array_equal(self._np(key[0, :, -2]), previous)):
            raise CaptureError(f"decode step {self.step}: the KV cache changed keys it stored "
                               "earlier; a trace stores each key once")
        layer.decode_q.append(self._np(query[0, :, 0]))
        layer.decode_k.append(self._np(key[0, :, -1]))
        layer.decode_v.append(self._np(value[0, :, -1]))
        layer.decode_mask.append(np.ones(n, bool) if allowed is None else allowed.numpy()[0])


def _window_of(allowed: torch.Tensor) -> int:
    """The causal sliding window (keys per query, itself included) that ``allowed`` [T, T] is, or 0
    when it is none (plain causal masks are a window of T)."""
    t = allowed.shape[0]
    w = int(allowed[-1].sum())
    diff = torch.arange(t)[:, None] - torch.arange(t)[None, :]
    return w if torch.equal(allowed, (diff >= 0) & (diff < w)) else 0


def _allowed(mask: torch.Tensor | None) -> torch.Tensor | None:
    """The kernel's mask as [Tq, Tk] bool (True = may attend), or None when sdpa gets none."""
    if mask is None:
        return None
    if mask.shape[0] != 1 or mask.shape[1] != 1:
        raise CaptureError(f"capture needs one mask for all heads, got shape {list(mask.shape)}")
    m = mask[0, 0]
    if m.dtype != torch.bool:  # additive float mask: large negative = masked
        m = m > torch.finfo(m.dtype).min / 2
    return m.cpu()


_ACTIVE: _Recorder | None = None


def _capture_attention(module: torch.nn.Module, query: torch.Tensor, key: torch.Tensor,
                       value: torch.Tensor, attention_mask: torch.Tensor | None,
                       scaling: float | None = None, **kwargs: Any) -> tuple[torch.Tensor, None]:
    """Record what the kernel receives, then run transformers' own sdpa on the same arguments."""
    if _ACTIVE is not None:
        _ACTIVE.record(module, query, key, value, attention_mask, scaling, kwargs)
    return sdpa_attention_forward(module, query, key, value, attention_mask, scaling=scaling,
                                  **kwargs)


AttentionInterface.register(ATTN_NAME, _capture_attention)
AttentionMaskInterface.register(ATTN_NAME, sdpa_mask)


@dataclass
class Capture:
    """A captured trace, with the model outputs of the same run (for checks)."""

    trace: Trace
    outputs: torch.Tensor
    """Last-position logits of each forward pass [1 + S, V] (causal LMs), else the prefill's last
    hidden state [T, hidden]."""
    generated: list[int]
    """Greedy tokens: one from prefill and one from each decode step (empty for encoders)."""


def capture(model: Any, input_ids: torch.Tensor | list[int], *, decode_steps: int = 0,
            dtype: type = np.float16, model_name: str = "",
            provenance: dict[str, Any] | None = None,
            on_layer: Callable[[], None] | None = None, out: Path | None = None) -> Capture:
    """Run ``model`` on a prompt (prefill), then ``decode_steps`` greedy steps, recording attention.

    Parameters
    ----------
    model
        A transformers model (``AutoModel`` or ``AutoModelForCausalLM``); its attention
        implementation is switched to :data:`ATTN_NAME` for the run and restored afterwards.
    input_ids
        The prompt: one sequence of T token ids.
    decode_steps
        Greedy decode steps S; needs a model with an LM head. Step s feeds the token predicted by
        the previous pass and attends to T + s + 1 keys.
    dtype
        Storage dtype of the trace tensors, ``np.float16`` or ``np.float32``.
    on_layer
        Called after each recorded attention call (``layers * (1 + S)`` calls in all).
    out
        Write the trace there as the model runs (each layer's prefill tensors as its attention runs,
        through :class:`~accelsim.trace.format.TraceWriter`) and return it read back lazily;
        without it the trace is held in memory.

    Raises
    ------
    CaptureError
        If the model's attention cannot be represented in a trace.
    ValueError
        If ``decode_steps`` > 0 for a model without an LM head.
    """
    ids = torch.as_tensor(input_ids, dtype=torch.long)
    if ids.ndim != 1:
        raise ValueError(f"input_ids must be one sequence, got shape {list(ids.shape)}")
    ids = ids[None]
    is_lm = hasattr(model, "get_output_embeddings") and model.get_output_embeddings() is not None
    if decode_steps and not is_lm:
        raise ValueError(f"{type(model).__name__} has no LM head: it cannot decode")
    if np.dtype(dtype) not in _TORCH_DTYPES:
        raise ValueError(f"dtype must be float16 or float32, not {np.dtype(dtype)}")
    with ExitStack() as stack:
        if out is None:
            tensors: dict[str, np.ndarray] = {}
            sink = tensors.__setitem__
        else:
            writer = stack.enter_context(TraceWriter(out))
            sink = writer.add
        rec = _Recorder(np.dtype(dtype), on_layer, sink)
        outputs, generated = _run(model, rec, ids, decode_steps, is_lm)
        prov = dict(provenance or {})
        if generated:
            prov["generated_tokens"] = generated
        if rec.scale_fold is not None:
            prov["q_scaled_by"] = rec.scale_fold
        name = model_name or model.config.name_or_path or type(model).__name__
        meta = _assemble(rec, decode_steps, name, prov)
        if out is None:
            trace = Trace(meta, tensors)
        else:
            writer.finish(meta)
            trace = read_trace(out)
    return Capture(trace, torch.stack(outputs) if is_lm else outputs[0], generated)


def _run(model: Any, rec: _Recorder, ids: torch.Tensor, decode_steps: int,
         is_lm: bool) -> tuple[list[torch.Tensor], list[int]]:
    """Prefill and greedy decode under the capturing attention; the outputs and generated tokens."""
    global _ACTIVE
    previous = model.config._attn_implementation
    model.set_attn_implementation(ATTN_NAME)
    _ACTIVE = rec
    outputs: list[torch.Tensor] = []
    generated: list[int] = []
    try:
        with torch.inference_mode():
            rec.begin(-1)
            cache = DynamicCache()
            lm_kwargs: dict[str, Any] = {"cache": cache, "use_cache": True}
            if "logits_to_keep" in inspect.signature(model.forward).parameters:
                lm_kwargs["logits_to_keep"] = 1  # the LM head on the last position only
            out = model(input_ids=ids, **(lm_kwargs if is_lm else {}))
            if is_lm:  # clone: a view would keep all T positions' logits alive
                outputs.append(out.logits[0, -1].float().clone())
                generated.append(int(outputs[-1].argmax()))
            else:
                outputs.append(out.last_hidden_state[0].float())
            for step in range(decode_steps):
                rec.begin(step)
                out = model(input_ids=torch.tensor([[generated[-1]]]), **lm_kwargs)
                rec.end()
                outputs.append(out.logits[0, -1].float())
                generated.append(int(outputs[-1].argmax()))
    finally:
        _ACTIVE = None
        model.set_attn_implementation(previous)
    return outputs, generated


def _assemble(rec: _Recorder, steps: int, name: str, provenance: dict[str, Any]) -> TraceMeta:
    """Send the decode tensors, and masks if needed, to the recorder's sink; return the metadata.

    Causal layers whose masks are sliding windows become ``meta.windows`` (numbers, no tensors);
    any other mask, or a mix of causal and full layers, stores every layer's masks."""
    t = rec.prompt_len
    windows = [_layer_window(layer, t) for layer in rec.layers]
    causal = [layer.causal for layer in rec.layers]
    plain = None not in windows and (all(causal) or (not any(causal) and not any(windows)))
    sees_later = False
    for i, layer in enumerate(rec.layers):
        p = f"layers.{i}."
        if not plain:
            mask = _prefill_mask(layer, windows[i], t)
            sees_later = sees_later or bool(np.triu(mask, 1).any())
            rec.sink(p + "prefill.mask", mask.astype(np.uint8))
        if steps:
            rec.sink(p + "decode.q", np.stack(layer.decode_q))
            rec.sink(p + "decode.k", np.stack(layer.decode_k))
            rec.sink(p + "decode.v", np.stack(layer.decode_v))
            if not plain:
                dm = np.zeros((steps, t + steps), np.uint8)
                for s, row in enumerate(layer.decode_mask):
                    dm[s, : row.size] = row
                rec.sink(p + "decode.mask", dm)
    return TraceMeta(model=name, layers=len(rec.layers), heads=rec.heads, kv_heads=rec.kv_heads,
                     head_dim=rec.head_dim, prompt_len=t, decode_steps=steps,
                     causal=all(causal) if plain else not sees_later, masked=not plain,
                     windows=windows if plain and any(windows) else None, provenance=provenance)


def _layer_window(layer: _Layer, t: int) -> int | None:
    """The causal sliding window (keys, itself included) that a layer's prefill and decode masks
    follow: 0 for the plain causal (or full) mask, None when no window describes them."""
    if layer.prefill_mask is not None:
        return None
    if not layer.causal:
        return 0 if all(row.all() for row in layer.decode_mask) else None
    bites = 0 < layer.window < t  # a window of t keys is the plain causal mask
    exact = {layer.window} if bites else set()
    least = 0 if bites else t  # the window is at least this wide
    for row in layer.decode_mask:
        c = int(row.sum())
        if not row[row.size - c:].all():
            return None
        if c < row.size:
            exact.add(c)
        else:
            least = max(least, row.size)
    if not exact:
        return 0
    w = exact.pop()
    return w if not exact and w >= least else None


def _prefill_mask(layer: _Layer, window: int | None, t: int) -> np.ndarray:
    """[T, T] bool prefill mask of a layer: stored, its window, causal or full."""
    if layer.prefill_mask is not None:
        return layer.prefill_mask
    i = np.arange(t)
    diff = i[:, None] - i[None, :]
    if window:
        return (diff >= 0) & (diff < window)
    return diff >= 0 if layer.causal else np.ones((t, t), bool)
