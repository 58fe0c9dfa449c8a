"""Calibrated synthesis: fitting a trace's statistics and generating traces of any length with them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from accelsim.errors import InputError
from accelsim.trace.calibrate import fit_profile, head_stats
from accelsim.trace.format import StoredTensors, Trace
from accelsim.trace.synthetic import synthetic_like, synthetic_trace

STATS = ["sink_mass", "recent_mass", "entropy"]


@pytest.fixture(scope="module")
def source() -> Trace:
    """A heavy-tailed, sink-heavy trace (not made by the calibrated generator): 3 layers, GQA 4:2."""
    return synthetic_trace(layers=3, heads=4, kv_heads=2, head_dim=32, prompt_len=384, decode_steps=4, seed=6)


@pytest.fixture(scope="module")
def twin(source: Trace) -> Trace:
    m = source.meta
    return synthetic_like(fit_profile(source), prompt_len=m.prompt_len, decode_steps=m.decode_steps, seed=1)


def mean_abs_diff(a: Trace, b: Trace) -> dict[str, float]:
    x, y = head_stats(a), head_stats(b)
    return {c: float((x[c] - y[c]).abs().mean()) for c in [*STATS, "k_norm"]}


def test_twin_has_the_source_shape(source: Trace, twin: Trace) -> None:
    assert twin.meta.model_dump(
        include={"layers", "heads", "kv_heads", "head_dim", "prompt_len", "decode_steps", "causal"}
    ) == source.meta.model_dump(
        include={"layers", "heads", "kv_heads", "head_dim", "prompt_len", "decode_steps", "causal"}
    )
    assert twin.meta.model == "synthetic-like:synthetic"


def test_twin_recovers_the_source_statistics(source: Trace, twin: Trace) -> None:
    diff = mean_abs_diff(source, twin)
    # Per head, on average: sink mass within 0.1, recent mass within 0.03, entropy within 0.06, key norm
    # within 10% (measured: 0.081, 0.018, 0.036, 5%).
    assert diff["sink_mass"] < 0.1 and diff["recent_mass"] < 0.03 and diff["entropy"] < 0.06, diff
    assert diff["k_norm"] < 0.1 * head_stats(source)["k_norm"].mean(), diff


def test_refitting_a_twin_recovers_its_profile(twin: Trace) -> None:
    # A trace from the generator's own family: fitting it again gives its statistics back (measured: sink
    # 0.059, recent 0.016, entropy 0.037 per head; heavy-tailed salience draws make the sink's mass vary).
    again = synthetic_like(fit_profile(twin), prompt_len=twin.meta.prompt_len, seed=2)
    diff = mean_abs_diff(twin, again)
    assert diff["sink_mass"] < 0.1 and diff["recent_mass"] < 0.03 and diff["entropy"] < 0.05, diff


def test_seeded_and_longer(source: Trace, tmp_path: Path) -> None:
    profile = fit_profile(source)
    a = synthetic_like(profile, prompt_len=1000, decode_steps=2, seed=3)
    b = synthetic_like(profile, prompt_len=1000, decode_steps=2, seed=3, out=tmp_path / "b.safetensors")
    assert isinstance(b.tensors, StoredTensors)
    assert all(np.array_equal(a.tensors[n], b.tensors[n]) for n in a.tensors)
    c = synthetic_like(profile, prompt_len=1000, decode_steps=2, seed=4)
    assert not np.array_equal(a.prefill(0)[1], c.prefill(0)[1])
    # Longer than its source, the sink still draws mass and no statistic is degenerate.
    stats = head_stats(a)
    assert (stats["sink_mass"] > 0.05).all() and stats[STATS].notna().all().all()


def test_masked_sources_are_refused() -> None:
    base = synthetic_trace(layers=1, heads=2, head_dim=8, prompt_len=32, decode_steps=0)
    windowed = Trace(base.meta.model_copy(update={"windows": [8]}), base.tensors)
    with pytest.raises(
        InputError,
        match=r"^--like: field 'meta': calibration needs a causal or full trace "
        r"without masks or windows$",
    ):
        fit_profile(windowed)
    short = synthetic_trace(layers=1, heads=2, head_dim=8, prompt_len=8, decode_steps=0)
    with pytest.raises(InputError, match=r"calibration needs at least 16 prompt tokens, not 8$"):
        fit_profile(short)
