"""Trace format: lazy layer-by-layer reading, streamed writing, sliding windows stored as numbers (v2)."""

from __future__ import annotations

import json
import pickle
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import save_file

from accelsim.errors import InputError
from accelsim.trace.format import StoredTensors, Trace, TraceWriter, layer_shapes, read_meta, read_trace, write_trace
from accelsim.trace.synthetic import synthetic_trace


def written(tmp_path: Path, trace: Trace, name: str = "t.safetensors") -> Path:
    write_trace(tmp_path / name, trace)
    return tmp_path / name


@pytest.mark.smoke
def test_lazy_read_equals_eager_read(tmp_path: Path) -> None:
    path = written(
        tmp_path, synthetic_trace(layers=3, heads=4, kv_heads=2, head_dim=8, prompt_len=33, decode_steps=5, seed=4)
    )
    lazy, eager = read_trace(path), read_trace(path, lazy=False)
    assert isinstance(lazy.tensors, StoredTensors) and isinstance(eager.tensors, dict)
    assert lazy.meta == eager.meta and list(lazy.tensors) == list(eager.tensors)
    for layer in (2, 0, 1, 2):  # any order, revisits included
        for got, want in zip(
            [*lazy.prefill(layer), *lazy.decode(layer), *lazy.kv(layer)],
            [*eager.prefill(layer), *eager.decode(layer), *eager.kv(layer)],
            strict=True,
        ):
            np.testing.assert_array_equal(got, want)
    # A worker process gets the trace pickled: it reopens the file by its path.
    again = pickle.loads(pickle.dumps(lazy))
    np.testing.assert_array_equal(again.prefill(1)[0], eager.prefill(1)[0])


def layer_bytes(trace: Trace) -> int:
    return sum(int(np.prod(shape)) * 2 for shape in layer_shapes(trace.meta, 0).values())


def test_reading_holds_one_layer(tmp_path: Path) -> None:
    # 16 layers of 1.3 MB; walking all layers must never hold more than ~2 of them.
    trace = synthetic_trace(layers=16, heads=4, kv_heads=2, head_dim=32, prompt_len=2048, decode_steps=2)
    path, one = written(tmp_path, trace), layer_bytes(trace)
    del trace
    tracemalloc.start()
    try:
        lazy = read_trace(path)
        for layer in range(lazy.meta.layers):
            lazy.prefill(layer)
            lazy.decode(layer)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 2.5 * one, (peak, one)


def test_writing_holds_one_layer(tmp_path: Path) -> None:
    # Copying a lazily read trace streams it: the writer keeps no tensor.
    path = written(tmp_path, synthetic_trace(layers=16, heads=4, kv_heads=2, head_dim=32, prompt_len=2048))
    lazy = read_trace(path)
    one = layer_bytes(lazy)
    tracemalloc.start()
    try:
        write_trace(tmp_path / "copy.safetensors", lazy)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # The reader's layer, the tensor being checked, the 1 MiB copy buffer: a few layers, not 16.
    assert peak < 4 * one, (peak, one)
    assert (tmp_path / "copy.safetensors").read_bytes()[8:] != b""  # a real file
    np.testing.assert_array_equal(read_trace(tmp_path / "copy.safetensors").prefill(15)[2], lazy.prefill(15)[2])


def test_writer_discards_everything_without_finish(tmp_path: Path) -> None:
    trace = synthetic_trace(layers=1, heads=2, head_dim=8, prompt_len=4, decode_steps=0)
    with TraceWriter(tmp_path / "w.safetensors") as writer:
        writer.add("layers.0.prefill.q", trace.prefill(0)[0])
    assert list(tmp_path.iterdir()) == []


def test_writer_checks_names_against_meta(tmp_path: Path) -> None:
    trace = synthetic_trace(layers=1, heads=2, head_dim=8, prompt_len=4, decode_steps=0)
    with TraceWriter(tmp_path / "w.safetensors") as writer:
        writer.add("layers.0.prefill.q", trace.prefill(0)[0])
        with pytest.raises(InputError, match=r"w\.safetensors: field 'layers\.0\.prefill\.k': missing tensor$"):
            writer.finish(trace.meta)


class TestWindows:
    T, S = 12, 3

    def windowed(self) -> Trace:
        base = synthetic_trace(layers=2, heads=2, head_dim=4, prompt_len=self.T, decode_steps=self.S)
        return Trace(base.meta.model_copy(update={"windows": [4, 0]}), base.tensors)

    def test_masks_follow_the_window(self, tmp_path: Path) -> None:
        back = read_trace(written(tmp_path, self.windowed()))
        assert back.meta.windows == [4, 0] and back.window(0) == 4 and back.window(1) is None
        n = self.T + self.S
        i, j = np.arange(n)[:, None], np.arange(n)[None, :]
        want = (j <= i) & (i - j < 4)  # a query sees itself and the 3 keys before
        np.testing.assert_array_equal(back.prefill_mask(0), want[: self.T, : self.T])
        np.testing.assert_array_equal(back.decode_mask(0), want[self.T :])
        assert back.prefill_mask(1) is None and back.decode_mask(1) is None
        assert not any(name.endswith("mask") for name in back.tensors)

    def test_version_2_only_with_windows(self, tmp_path: Path) -> None:
        from safetensors import safe_open

        with safe_open(str(written(tmp_path, self.windowed())), "numpy") as f:
            assert f.metadata()["version"] == "2"
        plain = written(tmp_path, synthetic_trace(layers=1, heads=2, head_dim=4, prompt_len=4), "p.safetensors")
        with safe_open(str(plain), "numpy") as f:
            assert f.metadata()["version"] == "1" and "windows" not in f.metadata()["meta"]

    def test_windows_under_version_1_are_refused(self, tmp_path: Path) -> None:
        trace = self.windowed()
        path = tmp_path / "v1.safetensors"
        save_file(
            dict(trace.tensors),
            str(path),
            metadata={"format": "accelsim-trace", "version": "1", "meta": trace.meta.model_dump_json()},
        )
        with pytest.raises(
            InputError,
            match=r"field '__metadata__\.version': expected '2' for a trace with "
            r"windows, got '1'$",
        ):
            read_meta(path)

    def test_windows_are_checked(self, tmp_path: Path) -> None:
        trace = self.windowed()
        meta = json.loads(trace.meta.model_dump_json())
        for windows, message in (
            ([4], r"windows must list one window per layer \(2\), not 1"),
            ([4, -1], r"windows must be 0 \(none\) or a key count, not -1"),
        ):
            path = tmp_path / "bad.safetensors"
            save_file(
                dict(trace.tensors),
                str(path),
                metadata={"format": "accelsim-trace", "version": "2", "meta": json.dumps(meta | {"windows": windows})},
            )
            with pytest.raises(InputError, match=f"field 'meta': {message}$"):
                read_trace(path)
        with pytest.raises(ValueError, match="windows need a causal trace without stored masks"):
            trace.meta.model_copy(update={"masked": True}).model_validate(meta | {"masked": True})


def test_corrupt_data_is_one_error(tmp_path: Path) -> None:
    # Flip the last tensor's bytes to NaN: the header reads, the layer holding it fails on load.
    path = written(tmp_path, synthetic_trace(layers=2, heads=2, head_dim=4, prompt_len=8, decode_steps=0))
    data = bytearray(path.read_bytes())
    data[-2:] = np.array([np.nan], np.float16).tobytes()
    path.write_bytes(bytes(data))
    trace = read_trace(path)
    trace.prefill(0)
    with pytest.raises(InputError, match=r"t\.safetensors: field 'layers\.1\.prefill\.[qkv]': contains NaN or Inf$"):
        trace.prefill(1)
