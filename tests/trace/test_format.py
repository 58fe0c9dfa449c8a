import json

import numpy as np
import pytest
from safetensors.numpy import save_file

from accelsim.errors import InputError
from accelsim.trace.format import Trace, read_meta, read_trace, write_trace
from accelsim.trace.synthetic import synthetic_trace


def tiny(**kw) -> Trace:
    args = {"layers": 2, "heads": 4, "kv_heads": 2, "head_dim": 8, "prompt_len": 16, "decode_steps": 3}
    return synthetic_trace(**(args | kw))


def test_roundtrip(tmp_path):
    t = tiny()
    p = tmp_path / "t.safetensors"
    write_trace(p, t)
    back = read_trace(p)
    assert back.meta == t.meta
    assert back.meta.group == 2
    for name, arr in t.tensors.items():
        np.testing.assert_array_equal(back.tensors[name], arr)
    k, v = back.kv(1)
    assert k.shape == v.shape == (2, 19, 8)


def test_header_only(tmp_path):
    p = tmp_path / "t.safetensors"
    write_trace(p, tiny())
    assert read_meta(p).prompt_len == 16


def test_truncated(tmp_path):
    p = tmp_path / "t.safetensors"
    write_trace(p, tiny())
    data = p.read_bytes()
    p.write_bytes(data[: len(data) - 100])
    with pytest.raises(InputError, match=r"t\.safetensors: not a readable safetensors file"):
        read_trace(p)


def test_not_a_trace(tmp_path):
    p = tmp_path / "x.safetensors"
    p.write_text("hello")
    with pytest.raises(InputError, match="not a readable safetensors file"):
        read_trace(p)
    with pytest.raises(InputError, match="file does not exist"):
        read_trace(tmp_path / "none.safetensors")


def _save(tmp_path, tensors, meta):
    p = tmp_path / "m.safetensors"
    save_file(tensors, str(p), metadata={"format": "accelsim-trace", "version": "1", "meta": meta})
    return p


def test_nan_rejected(tmp_path):
    t = tiny()
    t.tensors["layers.1.prefill.k"] = t.tensors["layers.1.prefill.k"].copy()
    t.tensors["layers.1.prefill.k"][0, 3, 2] = np.nan
    p = _save(tmp_path, t.tensors, t.meta.model_dump_json())
    lazy = read_trace(p)  # the header is sound: values are checked as a layer loads
    lazy.prefill(0)
    with pytest.raises(InputError, match=r"field 'layers\.1\.prefill\.k': contains NaN or Inf$"):
        lazy.prefill(1)
    with pytest.raises(InputError, match=r"field 'layers\.1\.prefill\.k': contains NaN or Inf$"):
        read_trace(p, lazy=False)
    with pytest.raises(InputError, match="contains NaN"):
        write_trace(tmp_path / "w.safetensors", t)


def test_shape_dtype_missing(tmp_path):
    t = tiny()
    bad = dict(t.tensors)
    bad["layers.0.prefill.q"] = bad["layers.0.prefill.q"][:, :5]
    with pytest.raises(InputError, match=r"layers\.0\.prefill\.q': expected shape \[4, 16, 8\], got \[4, 5, 8\]"):
        read_trace(_save(tmp_path, bad, t.meta.model_dump_json()))
    bad = dict(t.tensors)
    bad["layers.0.decode.v"] = bad["layers.0.decode.v"].astype(np.int32)
    with pytest.raises(InputError, match=r"expected float16 or float32, got int32"):
        read_trace(_save(tmp_path, bad, t.meta.model_dump_json()))
    bad = dict(t.tensors)
    del bad["layers.1.decode.q"]
    with pytest.raises(InputError, match=r"layers\.1\.decode\.q': missing tensor"):
        read_trace(_save(tmp_path, bad, t.meta.model_dump_json()))


def test_bad_metadata(tmp_path):
    t = tiny()
    meta = json.loads(t.meta.model_dump_json())
    meta["kv_heads"] = 3
    with pytest.raises(InputError, match=r"field 'meta': heads \(4\) must be a multiple of kv_heads \(3\)"):
        read_trace(_save(tmp_path, t.tensors, json.dumps(meta)))
    with pytest.raises(InputError, match=r"__metadata__\.meta': not valid JSON"):
        read_trace(_save(tmp_path, t.tensors, "{"))
    meta = json.loads(t.meta.model_dump_json())
    meta["layers"] = "two"
    with pytest.raises(InputError, match=r"field 'meta\.layers'"):
        read_trace(_save(tmp_path, t.tensors, json.dumps(meta)))
