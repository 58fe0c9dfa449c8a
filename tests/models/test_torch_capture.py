"""Capture from plain PyTorch models: SDPA calls, nn.MultiheadAttention, nn.TransformerEncoderLayer.

The proof: a Llama decoder written here with ``F.scaled_dot_product_attention`` and a list of
(K, V) tensors as its cache, holding the first two layers of the shipped SmolLM2-135M, yields the
same trace (bit for bit, fp32) as the Hugging Face capture of the same two layers on the same text.
"""

from __future__ import annotations

import numpy as np
import pytest

NO_EXTRA = "the torch extra is not installed (pip install -e '.[torch]')"
torch = pytest.importorskip("torch", reason=NO_EXTRA)
pytest.importorskip("transformers", reason=NO_EXTRA)

import torch.nn.functional as F  # noqa: E402
from torch import nn  # noqa: E402
from torch.nn.functional import scaled_dot_product_attention  # noqa: E402 (a name bound at import)

from accelsim.models.capture import CaptureError, capture  # noqa: E402
from accelsim.models.torch_capture import capture_module, trace_attention  # noqa: E402
from accelsim.trace.format import check_tensors  # noqa: E402

LAYERS = 2
PROMPT = 13  # SmolLM2 tokens of pydoc text
STEPS = 3


class PlainLlama(nn.Module):
    """A Llama decoder in plain PyTorch, its weights copied from a transformers ``LlamaForCausalLM``.

    Layer 0 calls SDPA with ``enable_gqa=True`` (the KV heads as they are), later layers repeat each
    KV head for its query heads first, as many hand-written models do; both must trace the same.
    ``forward(ids, cache)`` returns the last position's logits and the cache, a list of (K, V).
    """

    def __init__(self, hf, layers: int) -> None:
        super().__init__()
        cfg = hf.config
        self.heads, self.kv_heads, self.dim = cfg.num_attention_heads, cfg.num_key_value_heads, cfg.head_dim
        self.eps, self.theta = cfg.rms_norm_eps, cfg.rope_parameters["rope_theta"]
        self.embed = hf.model.embed_tokens.weight
        self.blocks = [
            {
                name: getattr(module, name).weight
                for module, names in (
                    (block.self_attn, "q_proj k_proj v_proj o_proj"),
                    (block.mlp, "gate_proj up_proj down_proj"),
                    (block, "input_layernorm post_attention_layernorm"),
                )
                for name in names.split()
            }
            for block in hf.model.layers[:layers]
        ]
        self.norm = hf.model.norm.weight

    def rms(self, x: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
        return weight * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps))

    def rope(self, x: torch.Tensor, start: int) -> torch.Tensor:
        inv_freq = 1.0 / (self.theta ** (torch.arange(0, self.dim, 2, dtype=torch.float) / self.dim))
        freqs = torch.arange(start, start + x.shape[2]).float()[:, None] * inv_freq
        angle = torch.cat((freqs, freqs), dim=-1)
        half = self.dim // 2
        rotated = torch.cat((-x[..., half:], x[..., :half]), dim=-1)
        return x * angle.cos() + rotated * angle.sin()

    def forward(self, ids: torch.Tensor, cache: list | None = None) -> tuple[torch.Tensor, list]:
        start = cache[0][0].shape[2] if cache else 0
        h = F.embedding(ids, self.embed)
        new_cache = []
        for i, w in enumerate(self.blocks):
            x = self.rms(h, w["input_layernorm"])
            q, k, v = (
                F.linear(x, w[p]).unflatten(-1, (-1, self.dim)).transpose(1, 2) for p in ("q_proj", "k_proj", "v_proj")
            )
            q, k = self.rope(q, start), self.rope(k, start)
            if cache:
                k, v = torch.cat([cache[i][0], k], dim=2), torch.cat([cache[i][1], v], dim=2)
            new_cache.append((k, v))
            causal = not cache
            if i == 0:
                out = F.scaled_dot_product_attention(q, k, v, is_causal=causal, enable_gqa=True)
            else:
                group = self.heads // self.kv_heads
                k, v = k.repeat_interleave(group, dim=1), v.repeat_interleave(group, dim=1)
                out = scaled_dot_product_attention(q, k, v, is_causal=causal)
            h = h + F.linear(out.transpose(1, 2).flatten(2), w["o_proj"])
            x = self.rms(h, w["post_attention_layernorm"])
            h = h + F.linear(F.silu(F.linear(x, w["gate_proj"])) * F.linear(x, w["up_proj"]), w["down_proj"])
        return F.linear(self.rms(h[:, -1:], self.norm), self.embed), new_cache


def greedy(model: nn.Module, ids: torch.Tensor, steps: int) -> torch.Tensor:
    """Last-position logits of the prefill and of ``steps`` greedy steps [1 + steps, V], no capture."""
    with torch.inference_mode():
        logits, cache = model(ids[None])
        rows = [logits[0, -1]]
        for _ in range(steps):
            logits, cache = model(rows[-1].argmax().view(1, 1), cache)
            rows.append(logits[0, -1])
    return torch.stack(rows)


@pytest.fixture(scope="module")
def smollm2():
    """(Hugging Face model cut to LAYERS layers, the plain copy, prompt ids), or a skip."""
    from accelsim.errors import InputError
    from accelsim.models.loading import load_model, resolve_model
    from accelsim.models.text import load_text

    try:
        hf, tokenizer = load_model(resolve_model("smollm2"))
    except InputError as err:
        pytest.skip(str(err))
    hf.config.num_hidden_layers = LAYERS  # LlamaModel runs layers[:num_hidden_layers]
    text, _ = load_text("pydoc:assignment")
    ids = torch.tensor(tokenizer(text, truncation=True, max_length=PROMPT)["input_ids"])
    return hf, PlainLlama(hf, LAYERS), ids


class TestSmolLM2:
    """Two real SmolLM2-135M layers (9 query / 3 KV heads, head dim 64, RoPE)."""

    def test_trace_equals_hugging_face_capture(self, smollm2) -> None:
        hf, plain, ids = smollm2
        want = capture(hf, ids, decode_steps=STEPS, dtype=np.float32)
        got = capture_module(plain, ids, decode_steps=STEPS, dtype=np.float32)
        assert got.generated == want.generated
        assert got.trace.meta.model_dump(exclude={"model", "provenance"}) == want.trace.meta.model_dump(
            exclude={"model", "provenance"}
        )
        assert (got.trace.meta.layers, got.trace.meta.heads, got.trace.meta.kv_heads) == (LAYERS, 9, 3)
        assert got.trace.meta.causal and not got.trace.meta.masked
        assert got.trace.tensors.keys() == want.trace.tensors.keys()
        for name, tensor in want.trace.tensors.items():  # exact: the same fp32 operations in the same order
            np.testing.assert_array_equal(got.trace.tensors[name], tensor, err_msg=name)

    def test_hugging_face_model_traced_through_sdpa(self, smollm2) -> None:
        # transformers' own sdpa path calls F.scaled_dot_product_attention too: tracing it there
        # gives the trace its attention-interface capture gives.
        from transformers import DynamicCache

        hf, _, ids = smollm2
        want = capture(hf, ids, decode_steps=STEPS, dtype=np.float32)
        with torch.inference_mode(), trace_attention(hf, dtype=np.float32) as tracer:
            cache = DynamicCache()
            out = hf(ids[None], cache=cache, use_cache=True, logits_to_keep=1)
            for _ in range(STEPS):
                out = hf(out.logits[:, -1:].argmax(-1), cache=cache, use_cache=True, logits_to_keep=1)
        got = tracer.trace()
        assert got.meta.kv_heads == 3
        for name, tensor in want.trace.tensors.items():
            np.testing.assert_array_equal(got.tensors[name], tensor, err_msg=name)

    def test_outputs_unchanged(self, smollm2) -> None:
        _, plain, ids = smollm2
        got = capture_module(plain, ids, decode_steps=STEPS)
        assert torch.equal(got.outputs, greedy(plain, ids, STEPS))
        assert F.scaled_dot_product_attention is scaled_dot_product_attention  # restored
        check_tensors(got.trace.meta, got.trace.tensors, "captured")


class TinyDecoder(nn.Module):
    """One-layer random decoder calling SDPA with ``mask(T_q, T_k, start)`` (or ``is_causal``)."""

    def __init__(self, heads: int = 4, dim: int = 8, mask=None, scale: float | None = None) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.heads, self.dim, self.mask, self.scale = heads, dim, mask, scale
        self.embed = nn.Embedding(50, heads * dim)
        self.qkv = nn.Linear(heads * dim, 3 * heads * dim)
        self.out = nn.Linear(heads * dim, 50)

    def forward(self, ids: torch.Tensor, cache: tuple | None = None) -> tuple[torch.Tensor, tuple]:
        q, k, v = (
            x.unflatten(-1, (self.heads, self.dim)).transpose(1, 2) for x in self.qkv(self.embed(ids)).chunk(3, dim=-1)
        )
        start = 0 if cache is None else cache[0].shape[2]
        if cache is not None:
            k, v = torch.cat([cache[0], k], 2), torch.cat([cache[1], v], 2)
        kwargs = (
            {"is_causal": cache is None}
            if self.mask is None
            else {"attn_mask": self.mask(q.shape[2], k.shape[2], start)}
        )
        o = F.scaled_dot_product_attention(q, k, v, scale=self.scale, **kwargs)
        return self.out(o.transpose(1, 2).flatten(2)), (k, v)


def window(size: int):
    """Sliding-window mask builder: query at position p sees keys p - size + 1 .. p."""

    def build(tq: int, tk: int, start: int) -> torch.Tensor:
        i, j = torch.arange(start, start + tq)[:, None], torch.arange(tk)[None, :]
        return (j <= i) & (i - j < size)

    return build


IDS = torch.arange(3, 14)  # 11 tokens


def test_sliding_window_is_stored_as_its_size() -> None:
    trace = capture_module(TinyDecoder(mask=window(4)), IDS, decode_steps=2).trace
    assert trace.meta.windows == [4] and trace.meta.causal and not trace.meta.masked
    n = len(IDS) + 2
    want = window(4)(n, n, 0).numpy()
    np.testing.assert_array_equal(trace.prefill_mask(0), want[: len(IDS), : len(IDS)])
    np.testing.assert_array_equal(trace.decode_mask(0), want[len(IDS) :])


def test_float_mask_of_zero_and_minus_inf_is_a_mask() -> None:
    def additive(tq: int, tk: int, start: int) -> torch.Tensor:
        return torch.zeros(tq, tk).masked_fill(~window(4)(tq, tk, start), float("-inf"))

    got = capture_module(TinyDecoder(mask=additive), IDS, decode_steps=2).trace
    want = capture_module(TinyDecoder(mask=window(4)), IDS, decode_steps=2).trace
    for name, tensor in want.tensors.items():
        np.testing.assert_array_equal(got.tensors[name], tensor, err_msg=name)


def test_other_scale_is_folded_into_q() -> None:
    plain = capture_module(TinyDecoder(), IDS, dtype=np.float32).trace
    scaled = capture_module(TinyDecoder(scale=0.5), IDS, dtype=np.float32).trace
    assert scaled.meta.provenance["q_scaled_by"] == pytest.approx(0.5 * 8**0.5)
    np.testing.assert_allclose(scaled.prefill(0)[0], plain.prefill(0)[0] * 0.5 * 8**0.5, rtol=1e-6)


def test_no_mask_is_full_attention() -> None:
    trace = capture_module(TinyDecoder(mask=lambda tq, tk, start: None), IDS, decode_steps=1).trace
    assert not trace.meta.causal and not trace.meta.masked


class AlwaysCausal(TinyDecoder):
    """Passes ``is_causal=True`` at decode too (a common bug: SDPA aligns the triangle top-left)."""

    def forward(self, ids: torch.Tensor, cache: tuple | None = None) -> tuple[torch.Tensor, tuple]:
        q, k, v = (
            x.unflatten(-1, (self.heads, self.dim)).transpose(1, 2) for x in self.qkv(self.embed(ids)).chunk(3, dim=-1)
        )
        if cache is not None:
            k, v = torch.cat([cache[0], k], 2), torch.cat([cache[1], v], 2)
        o = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        return self.out(o.transpose(1, 2).flatten(2)), (k, v)


def test_causal_flag_at_decode_is_recorded_as_sdpa_applies_it() -> None:
    # One query with is_causal=True sees key 0 only: the trace stores that mask, as the model ran it.
    trace = capture_module(AlwaysCausal(), IDS, decode_steps=1).trace
    assert trace.meta.masked
    assert trace.decode_mask(0).tolist() == [[True] + [False] * len(IDS)]


class MHADecoder(nn.Module):
    """Two ``nn.MultiheadAttention`` layers; the cache holds each layer's input rows (its keys' source).

    Layer 0 passes a bool mask and ``need_weights=False`` (torch's fused fast path under
    inference mode), layer 1 a float mask and the default ``need_weights=True`` (its bmm path).
    """

    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(1)
        self.embed = nn.Embedding(50, 32)
        self.attn = nn.ModuleList(nn.MultiheadAttention(32, 4, batch_first=True) for _ in range(2))
        self.out = nn.Linear(32, 50)

    def forward(self, ids: torch.Tensor, cache: list | None = None) -> tuple[torch.Tensor, list]:
        x, new_cache = self.embed(ids), []
        for i, attn in enumerate(self.attn):
            kv = x if cache is None else torch.cat([cache[i], x], 1)
            new_cache.append(kv)
            blocked = torch.ones(x.shape[1], kv.shape[1], dtype=torch.bool).triu(1 + kv.shape[1] - x.shape[1])
            if i == 0:
                x = x + attn(x, kv, kv, attn_mask=blocked, need_weights=False)[0]
            else:
                x = x + attn(x, kv, kv, attn_mask=torch.zeros(blocked.shape).masked_fill(blocked, -torch.inf))[0]
        return self.out(x), new_cache

    def layer_inputs(self, ids: torch.Tensor) -> list[torch.Tensor]:
        """Each layer's input [T, 32] on a prompt, computed by the modules themselves."""
        with torch.inference_mode():
            x, inputs = self.embed(ids[None]), []
            for attn in self.attn:
                inputs.append(x[0])
                mask = torch.ones(len(ids), len(ids), dtype=torch.bool).triu(1)
                x = x + attn(x, x, x, attn_mask=mask, need_weights=False)[0]
        return inputs


class TestMultiheadAttention:
    def test_qkv_are_the_in_projections(self) -> None:
        model = MHADecoder().eval()
        trace = capture_module(model, IDS, dtype=np.float32).trace
        assert (trace.meta.layers, trace.meta.heads, trace.meta.kv_heads, trace.meta.head_dim) == (2, 4, 4, 8)
        assert trace.meta.causal and not trace.meta.masked
        for layer, (attn, x) in enumerate(zip(model.attn, model.layer_inputs(IDS), strict=True)):
            w, b = attn.in_proj_weight.detach().chunk(3), attn.in_proj_bias.detach().chunk(3)
            for got, wi, bi in zip(trace.prefill(layer), w, b, strict=True):
                want = F.linear(x, wi, bi).unflatten(-1, (4, 8)).transpose(0, 1)
                np.testing.assert_allclose(got, want.numpy(), rtol=0, atol=1e-6)

    def test_outputs_unchanged_and_decode(self) -> None:
        model = MHADecoder().eval()
        got = capture_module(model, IDS, decode_steps=STEPS)
        assert torch.equal(got.outputs, greedy(model, IDS, STEPS))
        assert got.trace.meta.decode_steps == STEPS
        # The decode K rows are the keys of the generated tokens: equal to a prefill over the whole sequence.
        full = torch.cat([IDS, torch.tensor(got.generated[:STEPS])])
        whole = capture_module(model, full, dtype=np.float32).trace
        dec = capture_module(model, IDS, decode_steps=STEPS, dtype=np.float32).trace
        for layer in range(2):
            np.testing.assert_allclose(dec.kv(layer)[0], whole.prefill(layer)[1], rtol=0, atol=1e-5)
        assert nn.MultiheadAttention.forward.__name__ == "forward"  # restored

    def test_keys_of_no_token_are_refused(self) -> None:
        model = MHADecoder().eval()
        model.attn[0] = nn.MultiheadAttention(32, 4, batch_first=True, add_zero_attn=True)
        with pytest.raises(
            CaptureError,
            match=r"^nn\.MultiheadAttention with bias_k/bias_v or add_zero_attn "
            r"attends to keys of no token, which a trace cannot represent$",
        ):
            capture_module(model, IDS)


def test_transformer_encoder_fast_path_is_traced() -> None:
    # Under inference mode the encoder layer's fused kernel skips nn.MultiheadAttention altogether.
    torch.manual_seed(2)
    layer = nn.TransformerEncoderLayer(32, 4, 64, dropout=0.0, batch_first=True)
    model = nn.Sequential(nn.Embedding(50, 32), nn.TransformerEncoder(layer, 2, enable_nested_tensor=False)).eval()
    fast = capture_module(model, IDS, dtype=np.float32)
    torch.backends.mha.set_fastpath_enabled(False)
    try:
        slow = capture_module(model, IDS, dtype=np.float32)
    finally:
        torch.backends.mha.set_fastpath_enabled(True)
    assert fast.trace.meta.layers == 2 and not fast.trace.meta.causal
    for name, tensor in slow.trace.tensors.items():  # layer 1's input comes from the fused kernel
        np.testing.assert_allclose(fast.trace.tensors[name], tensor, rtol=0, atol=1e-5, err_msg=name)
    with torch.inference_mode():
        assert torch.equal(fast.outputs[0], model(IDS[None])[0, -1])


@pytest.mark.smoke
def test_context_manager_around_a_hand_written_loop() -> None:
    model = TinyDecoder()
    with torch.inference_mode(), trace_attention(model, dtype=np.float32) as tracer:
        logits, cache = model(IDS[None])
        for _ in range(2):
            logits, cache = model(logits[:, -1:].argmax(-1), cache)
    trace = tracer.trace("tiny", {"note": "hand loop"})
    assert (trace.meta.model, trace.meta.prompt_len, trace.meta.decode_steps) == ("tiny", len(IDS), 2)
    assert trace.meta.provenance == {"note": "hand loop"}
    q, k, v = trace.decode(0)
    assert q.shape == (2, 4, 8) and k.shape == v.shape == (2, 4, 8)


class Broken(TinyDecoder):
    """TinyDecoder with one defect, named by ``kind``."""

    def __init__(self, kind: str) -> None:
        super().__init__()
        self.kind = kind

    def forward(self, ids: torch.Tensor, cache: tuple | None = None) -> tuple[torch.Tensor, tuple]:
        if self.kind == "recompute" and cache is not None:  # no KV cache: the whole sequence again
            return super().forward(torch.cat([cache[2], ids], 1))
        q, k, v = (
            x.unflatten(-1, (self.heads, self.dim)).transpose(1, 2) for x in self.qkv(self.embed(ids)).chunk(3, dim=-1)
        )
        kwargs = {}
        if self.kind == "bias":
            kwargs["attn_mask"] = -0.5 * torch.ones(q.shape[2], k.shape[2]).triu(1)
        elif self.kind == "per-head":
            kwargs["attn_mask"] = torch.rand(1, self.heads, q.shape[2], k.shape[2]) > 0.1
        elif self.kind == "batch":
            q, k, v = (x.expand(2, -1, -1, -1) for x in (q, k, v))
        elif self.kind == "gqa-prefill-only" and cache is None:
            k, v = k[:, :2].repeat_interleave(2, 1), v[:, :2].repeat_interleave(2, 1)
        if cache is not None:
            k, v = torch.cat([cache[0], k], 2), torch.cat([cache[1], v], 2)
        o = F.scaled_dot_product_attention(q, k, v, **kwargs)
        if self.kind == "fewer-calls" and cache is None:
            o = F.scaled_dot_product_attention(q, k, v)
        return self.out(o.transpose(1, 2).flatten(2)[:1]), (k, v, ids)


@pytest.mark.parametrize(
    ("kind", "refusal"),
    [
        (
            "bias",
            r"the attention mask adds scores other than 0 and -inf \(a bias such as ALiBi\), "
            r"which a trace cannot represent",
        ),
        ("per-head", r"capture needs one mask for all heads; this call's masks differ by head"),
        ("batch", r"capture needs \[1, heads, tokens, head_dim\] queries \(batch 1\), got shape \[2, 4, 11, 8\]"),
        ("recompute", r"decode step 0 saw 12 queries and 12 keys, expected 1 and 12"),
        ("fewer-calls", r"decode step 0 ran 1 attention calls, prefill ran 2"),
        ("gqa-prefill-only", r"layer 0: KV heads were repeated 2 times at prefill but not at decode step 0"),
    ],
)
def test_unrepresentable_attention_is_refused(kind: str, refusal: str) -> None:
    with pytest.raises(CaptureError, match=f"^{refusal}$"):
        capture_module(Broken(kind), IDS, decode_steps=1)
    assert F.scaled_dot_product_attention is scaled_dot_product_attention  # restored after the error


def test_attention_outside_a_pass_is_refused() -> None:
    model = TinyDecoder()
    with (
        pytest.raises(
            CaptureError,
            match=r"^attention ran outside a forward pass of the traced model "
            r"\(call the model itself, model\(\.\.\.\), not model\.forward\(\.\.\.\)\)$",
        ),
        trace_attention(model),
    ):
        model.forward(IDS[None])


def test_model_without_attention_is_refused() -> None:
    with pytest.raises(
        CaptureError,
        match=r"^the model's first forward pass made no "
        r"scaled_dot_product_attention or nn\.MultiheadAttention call$",
    ):
        capture_module(nn.Embedding(50, 4), IDS)


def test_decoding_needs_a_cache() -> None:
    with pytest.raises(
        CaptureError,
        match=r"^to decode, the model must return \(logits, cache\) and take "
        r"model\(ids, cache\); it returned one tensor$",
    ):
        capture_module(nn.Sequential(MHADecoder(), _First()), IDS, decode_steps=1)


class _First(nn.Module):
    def forward(self, out: tuple) -> torch.Tensor:
        return out[0]
