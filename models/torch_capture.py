"""Trace capture from any PyTorch model, by intercepting its attention calls.

:func:`trace_attention` patches, for the duration of a ``with`` block:

- ``torch.nn.functional.scaled_dot_product_attention``, and every module-level name bound to it
  (``from torch.nn.functional import scaled_dot_product_attention``), to record Q, K, V exactly as
  the kernel receives them (after any rotary embedding), its mask or ``is_causal`` flag, and its
  ``scale``;
- ``nn.MultiheadAttention.forward``, which projects Q/K/V inside: it replays the module's Python
  path (``F.multi_head_attention_forward`` with ``need_weights=False``) so that path's SDPA call is
  recorded, then runs the module's own forward unchanged;
- ``nn.TransformerEncoderLayer.forward``, whose fused fast path skips ``nn.MultiheadAttention``:
  when it is taken, the layer's self-attention is replayed the same way from its input.

The model's own computation is never altered, so its outputs are bit-identical to a run without
capture. (Under the two fast paths the recorded tensors are the Python path's, which can differ
from the fused kernels' in the last bit.)

Passes and layers: every call of ``model`` (through ``__call__``, so its hooks run) is one forward
pass; the first is the prefill, each later one a decode step. Layer ``l`` is the ``l``-th
attention call within a pass, so every pass must make the same calls in the same order. A decode
step must hand attention one new query and all cached keys (a KV cache): the trace stores that
step's query and the new (last) K/V row, after checking that the cache kept the earlier keys.
KV heads repeated before the call (``repeat_interleave``, transformers' ``repeat_kv``) are
detected and stored once; ``enable_gqa=True`` calls are stored as given.
"""

from __future__ import annotations

import inspect
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from accelsim.models.capture import _TORCH_DTYPES, Capture, CaptureError, _assemble, _Recorder
from accelsim.trace.format import Trace

_SDPA = F.scaled_dot_product_attention
_MHA_FORWARD = nn.MultiheadAttention.forward
_MHA_SIGNATURE = inspect.signature(_MHA_FORWARD)
_ENCODER_LAYER_FORWARD = nn.TransformerEncoderLayer.forward
_ENCODER_LAYER_SIGNATURE = inspect.signature(_ENCODER_LAYER_FORWARD)

_ACTIVE: AttentionTracer | None = None


def _sdpa_arguments(
    query: torch.Tensor,
    key: torch.Tensor,
    value: torch.Tensor,
    attn_mask: torch.Tensor | None = None,
    dropout_p: float = 0.0,
    is_causal: bool = False,
    scale: float | None = None,
    enable_gqa: bool = False,
) -> dict[str, Any]:
    """Name the arguments of a ``scaled_dot_product_attention`` call (torch 2.13's signature)."""
    return locals()


class AttentionTracer:
    """Records the attention calls of ``model``'s forward passes; see :func:`trace_attention`."""

    def __init__(self, model: nn.Module, dtype: np.dtype, on_layer: Callable[[], None] | None) -> None:
        self.model = model
        self.tensors: dict[str, np.ndarray] = {}
        self.recorder = _Recorder(dtype, on_layer, self.tensors.__setitem__)
        self.passes = 0
        self.calls = 0  # attention calls recorded in all
        self._depth = 0  # nesting of model calls: only the outermost starts a pass
        self._paused = False
        self._groups: list[int] = []  # per layer: how many times each KV head is repeated

    @property
    def decode_steps(self) -> int:
        return max(self.passes - 1, 0)

    def trace(self, model_name: str = "", provenance: dict[str, Any] | None = None) -> Trace:
        """The trace of the passes run so far: prefill, then one decode step per later pass."""
        if not self.recorder.layers:
            raise CaptureError("no forward pass of the model ran while tracing")
        prov = dict(provenance or {})
        if self.recorder.scale_fold is not None:
            prov["q_scaled_by"] = self.recorder.scale_fold
        meta = _assemble(self.recorder, self.decode_steps, model_name or type(self.model).__name__, prov)
        return Trace(meta, dict(self.tensors))

    # -- pass boundaries (forward hooks on the model) --

    def _begin_pass(self, _module: nn.Module, _args: Any) -> None:
        self._depth += 1
        if self._depth == 1:
            self.recorder.begin(self.passes - 1)  # -1: prefill

    def _end_pass(self, _module: nn.Module, _args: Any, _out: Any) -> None:
        self._depth -= 1
        if self._depth:
            return
        if self.passes == 0 and not self.recorder.layers:
            raise CaptureError(
                "the model's first forward pass made no scaled_dot_product_attention or nn.MultiheadAttention call"
            )
        self.recorder.end()
        self.passes += 1

    @contextmanager
    def _pause(self) -> Iterator[None]:
        """Record nothing inside (the model's own attention code after a replay recorded it)."""
        paused, self._paused = self._paused, True
        try:
            yield
        finally:
            self._paused = paused

    # -- what the patched functions report --

    def sdpa(self, args: dict[str, Any]) -> None:
        """Record one ``scaled_dot_product_attention`` call."""
        if self._paused:
            return
        if not self._depth:
            raise CaptureError(
                "attention ran outside a forward pass of the traced model "
                "(call the model itself, model(...), not model.forward(...))"
            )
        query, key, value = args["query"], args["key"], args["value"]
        if query.ndim != 4 or query.shape[0] != 1 or key.ndim != 4:
            raise CaptureError(
                f"capture needs [1, heads, tokens, head_dim] queries (batch 1), got shape {list(query.shape)}"
            )
        if args["dropout_p"]:
            raise CaptureError(f"attention dropout_p={args['dropout_p']}: put the model in eval mode")
        layer = self.recorder.call
        key, value = self._unrepeat(layer, key, value)
        mask = _mask(args["attn_mask"], args["is_causal"], query.shape[1], query.shape[2], key.shape[2])
        shape = (query.shape[1], key.shape[1], query.shape[3])
        first = (self.recorder.heads, self.recorder.kv_heads, self.recorder.head_dim)
        if self.recorder.layers and shape != first:
            raise CaptureError(f"attention call {layer} has (heads, KV heads, head_dim) {shape}, call 0 had {first}")
        self.recorder.record(None, query, key, value, mask, args["scale"], {"is_causal": args["is_causal"]})
        self.calls += 1

    def _unrepeat(self, layer: int, key: torch.Tensor, value: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """K, V with heads repeated before the call (GQA/MQA expanded to all query heads) kept once."""
        if self.recorder.step < 0:
            self._groups.append(_repeats(key, value))
        elif layer >= len(self._groups):
            return key, value  # the recorder refuses the extra call
        group = self._groups[layer]
        if group == 1:
            return key, value
        if _repeats(key, value) % group:
            raise CaptureError(
                f"layer {layer}: KV heads were repeated {group} times at prefill "
                f"but not at decode step {self.recorder.step}"
            )
        return key[:, ::group], value[:, ::group]

    def mha(self, module: nn.MultiheadAttention, args: dict[str, Any]) -> None:
        """Record an ``nn.MultiheadAttention`` call by replaying its Python path without weights."""
        if self._paused:
            return
        if module.bias_k is not None or module.add_zero_attn:
            raise CaptureError(
                "nn.MultiheadAttention with bias_k/bias_v or add_zero_attn attends to "
                "keys of no token, which a trace cannot represent"
            )
        query, key, value = args["query"], args["key"], args["value"]
        if module.batch_first and query.dim() == 3:  # keep q is k is v: it selects the packed projection
            if query is key and key is value:
                query = key = value = query.transpose(1, 0)
            elif key is value:
                query, key = (x.transpose(1, 0) for x in (query, key))
                value = key
            else:
                query, key, value = (x.transpose(1, 0) for x in (query, key, value))
        separate = (
            {}
            if module._qkv_same_embed_dim
            else {
                "use_separate_proj_weight": True,
                "q_proj_weight": module.q_proj_weight,
                "k_proj_weight": module.k_proj_weight,
                "v_proj_weight": module.v_proj_weight,
            }
        )
        F.multi_head_attention_forward(
            query,
            key,
            value,
            module.embed_dim,
            module.num_heads,
            module.in_proj_weight,
            module.in_proj_bias,
            None,
            None,
            False,
            module.dropout,
            module.out_proj.weight,
            module.out_proj.bias,
            training=module.training,
            key_padding_mask=args["key_padding_mask"],
            need_weights=False,
            attn_mask=args["attn_mask"],
            is_causal=args["is_causal"],
            **separate,
        )


def _repeats(key: torch.Tensor, value: torch.Tensor) -> int:
    """The largest r such that K and V heads come in runs of r identical heads."""
    heads = key.shape[1]
    for r in range(heads, 1, -1):
        if heads % r == 0 and all(
            bool((x.unflatten(1, (heads // r, r)) == x[:, ::r, None]).all()) for x in (key, value)
        ):
            return r
    return 1


def _mask(attn_mask: torch.Tensor | None, is_causal: bool, heads: int, tq: int, tk: int) -> torch.Tensor | None:
    """The call's mask as [1, 1, Tq, Tk] bool (True = may attend), or None when it has none.

    ``is_causal`` alone stays None when Tq == Tk (the recorder stores the causal flag); otherwise it
    is SDPA's top-left-aligned lower triangle, made explicit.
    """
    if attn_mask is None:
        return torch.ones(tq, tk, dtype=torch.bool).tril()[None, None] if is_causal and tq != tk else None
    m = attn_mask.detach()
    if m.dtype != torch.bool:
        blocked = m <= torch.finfo(m.dtype).min / 2  # -inf or the dtype's minimum
        if not ((m == 0) | blocked).all():
            raise CaptureError(
                "the attention mask adds scores other than 0 and -inf (a bias such as "
                "ALiBi), which a trace cannot represent"
            )
        m = ~blocked
    m = torch.broadcast_to(m, (1, heads, tq, tk))
    if not (m == m[:, :1]).all():
        raise CaptureError("capture needs one mask for all heads; this call's masks differ by head")
    return m[:, :1]


def _traced_sdpa(*args: Any, **kwargs: Any) -> torch.Tensor:
    if _ACTIVE is not None:
        _ACTIVE.sdpa(_sdpa_arguments(*args, **kwargs))
    return _SDPA(*args, **kwargs)


def _traced_mha_forward(self: nn.MultiheadAttention, *args: Any, **kwargs: Any) -> Any:
    tracer = _ACTIVE
    if tracer is None:
        return _MHA_FORWARD(self, *args, **kwargs)
    bound = _MHA_SIGNATURE.bind(self, *args, **kwargs)
    bound.apply_defaults()
    tracer.mha(self, bound.arguments)
    with tracer._pause():
        return _MHA_FORWARD(self, *args, **kwargs)


def _traced_encoder_layer_forward(self: nn.TransformerEncoderLayer, *args: Any, **kwargs: Any) -> Any:
    tracer = _ACTIVE
    before = tracer.calls if tracer is not None else 0
    out = _ENCODER_LAYER_FORWARD(self, *args, **kwargs)
    if tracer is not None and not tracer._paused and tracer.calls == before:  # the fused fast path ran
        bound = _ENCODER_LAYER_SIGNATURE.bind(self, *args, **kwargs)
        bound.apply_defaults()
        a = bound.arguments
        x = self.norm1(a["src"]) if self.norm_first else a["src"]
        tracer.mha(
            self.self_attn,
            {
                "query": x,
                "key": x,
                "value": x,
                "attn_mask": a["src_mask"],
                "key_padding_mask": a["src_key_padding_mask"],
                "is_causal": a["is_causal"],
            },
        )
    return out


def _sdpa_holders() -> list[tuple[Any, str]]:
    """(module, name) of every loaded module's global bound to the original SDPA function."""
    holders = []
    for module in list(sys.modules.values()):
        names = getattr(module, "__dict__", None)
        if not isinstance(names, dict) or names is globals():  # this module's _SDPA stays the original
            continue
        holders += [(module, name) for name, value in list(names.items()) if value is _SDPA]
    return holders


@contextmanager
def trace_attention(
    model: nn.Module, *, dtype: type = np.float16, on_layer: Callable[[], None] | None = None
) -> Iterator[AttentionTracer]:
    """Record the attention inputs of ``model``'s forward passes run inside the block.

    Parameters
    ----------
    model
        Any ``nn.Module`` whose attention calls ``F.scaled_dot_product_attention`` or uses
        ``nn.MultiheadAttention`` / ``nn.TransformerEncoderLayer``; one sequence (batch 1).
    dtype
        Storage dtype of the trace tensors, ``np.float16`` or ``np.float32``.
    on_layer
        Called after each recorded attention call.

    Yields
    ------
    AttentionTracer
        Its ``trace()`` assembles the trace once the passes have run.

    Raises
    ------
    CaptureError
        If an attention call cannot be represented in a trace (a bias mask, per-head masks, batch
        > 1, dropout), or the passes do not make the same calls, or a decode step is not one new
        query over a KV cache that kept its earlier keys.
    """
    global _ACTIVE
    if np.dtype(dtype) not in _TORCH_DTYPES:
        raise ValueError(f"dtype must be float16 or float32, not {np.dtype(dtype)}")
    if _ACTIVE is not None:
        raise RuntimeError("trace_attention is already active; it cannot nest")
    tracer = AttentionTracer(model, np.dtype(dtype), on_layer)
    holders = _sdpa_holders()
    hooks = [model.register_forward_pre_hook(tracer._begin_pass), model.register_forward_hook(tracer._end_pass)]
    _ACTIVE = tracer
    for module, name in holders:
        setattr(module, name, _traced_sdpa)
    nn.MultiheadAttention.forward = _traced_mha_forward
    nn.TransformerEncoderLayer.forward = _traced_encoder_layer_forward
    try:
        yield tracer
    finally:
        _ACTIVE = None
        nn.TransformerEncoderLayer.forward = _ENCODER_LAYER_FORWARD
        nn.MultiheadAttention.forward = _MHA_FORWARD
        for module, name in holders:
            if getattr(module, name, None) is _traced_sdpa:
                setattr(module, name, _SDPA)
        for hook in hooks:
            hook.remove()


def capture_module(
    model: nn.Module,
    input_ids: torch.Tensor | list[int],
    *,
    decode_steps: int = 0,
    dtype: type = np.float16,
    model_name: str = "",
    provenance: dict[str, Any] | None = None,
    on_layer: Callable[[], None] | None = None,
) -> Capture:
    """Prefill ``model`` on a prompt, then greedy-decode ``decode_steps`` tokens, under capture.

    The model follows this protocol: ``model(ids)`` with ids [1, T] returns logits [1, T, V], or
    ``(logits, cache)``; for decoding it must return the cache, and ``model(ids, cache)`` with the
    next token as ids [1, 1] returns ``(logits, cache)`` again. A model returning hidden states
    (an encoder) works with ``decode_steps=0``.

    Returns
    -------
    Capture
        The trace; ``outputs``: the last position of the first output of each pass [1 + S, V];
        ``generated``: the greedy tokens (empty without decode steps).
    """
    ids = torch.as_tensor(input_ids, dtype=torch.long)
    if ids.ndim != 1:
        raise ValueError(f"input_ids must be one sequence, got shape {list(ids.shape)}")
    outputs: list[torch.Tensor] = []
    generated: list[int] = []
    with torch.inference_mode(), trace_attention(model, dtype=dtype, on_layer=on_layer) as tracer:
        logits, cache = _split(model(ids[None]), decode_steps)
        outputs.append(logits[0, -1].float().clone())
        for _ in range(decode_steps):
            generated.append(int(outputs[-1].argmax()))
            logits, cache = _split(model(torch.tensor([[generated[-1]]]), cache), decode_steps)
            outputs.append(logits[0, -1].float().clone())
    if decode_steps:
        generated.append(int(outputs[-1].argmax()))
    prov = dict(provenance or {})
    if generated:
        prov["generated_tokens"] = generated
    return Capture(tracer.trace(model_name, prov), torch.stack(outputs), generated)


def _split(out: Any, decode_steps: int) -> tuple[torch.Tensor, Any]:
    """(logits, cache) from what the model returned, per :func:`capture_module`'s protocol."""
    if isinstance(out, torch.Tensor):
        if decode_steps:
            raise CaptureError(
                "to decode, the model must return (logits, cache) and take model(ids, cache); it returned one tensor"
            )
        return out, None
    if isinstance(out, tuple | list) and len(out) == 2 and isinstance(out[0], torch.Tensor):
        return out[0], out[1]
    raise CaptureError(f"the model must return logits or (logits, cache), not {type(out).__name__}")
