"""Trace format: stored prefill and decode masks (sliding windows and other non-causal masks)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from accelsim.errors import InputError
from accelsim.trace.format import Trace, expected_shapes, read_trace, write_trace
from accelsim.trace.synthetic import synthetic_trace

T, S, W = 6, 3, 2


def windowed() -> Trace:
    """A synthetic causal trace given a sliding window of W keys (each query: itself + 1 before)."""
    base = synthetic_trace(layers=2, heads=2, head_dim=4, prompt_len=T, decode_steps=S)
    meta = base.meta.model_copy(update={"masked": True})
    i, j = np.arange(T + S)[:, None], np.arange(T + S)[None, :]
    window = ((j <= i) & (i - j < W)).astype(np.uint8)
    tensors = dict(base.tensors)
    for layer in range(2):
        tensors[f"layers.{layer}.prefill.mask"] = window[:T, :T].copy()
        tensors[f"layers.{layer}.decode.mask"] = window[T:].copy()
    return Trace(meta, tensors)


def test_masked_shapes() -> None:
    shapes = expected_shapes(windowed().meta)
    assert shapes["layers.1.prefill.mask"] == (T, T)
    assert shapes["layers.1.decode.mask"] == (S, T + S)


def test_round_trip(tmp_path: Path) -> None:
    trace = windowed()
    write_trace(tmp_path / "w.safetensors", trace)
    back = read_trace(tmp_path / "w.safetensors")
    np.testing.assert_array_equal(back.decode_mask(1), trace.tensors["layers.1.decode.mask"] == 1)
    np.testing.assert_array_equal(back.prefill_mask(0), trace.tensors["layers.0.prefill.mask"] == 1)


def test_unmasked_trace_has_no_masks() -> None:
    trace = synthetic_trace(layers=1, heads=2, head_dim=4, prompt_len=T, decode_steps=S)
    assert trace.prefill_mask(0) is None and trace.decode_mask(0) is None


def test_decode_step_may_not_see_later_keys(tmp_path: Path) -> None:
    trace = windowed()
    trace.tensors["layers.0.decode.mask"][0, T + 1] = 1  # step 0 sees only T + 1 keys
    with pytest.raises(InputError, match=r"field 'layers\.0\.decode\.mask': step s may only "
                                         r"attend to its first T\+s\+1 keys$"):
        write_trace(tmp_path / "bad.safetensors", trace)


def test_query_row_must_see_a_key(tmp_path: Path) -> None:
    trace = windowed()
    trace.tensors["layers.1.prefill.mask"][2] = 0
    with pytest.raises(InputError, match=r"field 'layers\.1\.prefill\.mask': a query row may "
                                         r"attend to no key$"):
        write_trace(tmp_path / "bad.safetensors", trace)


def test_masked_decode_needs_its_mask(tmp_path: Path) -> None:
    trace = windowed()
    del trace.tensors["layers.0.decode.mask"]
    with pytest.raises(InputError, match=r"field 'layers\.0\.decode\.mask': missing tensor$"):
        write_trace(tmp_path / "bad.safetensors", trace)
