"""Attention probabilities recomputed from traces, and the mass-concentration summary."""

from __future__ import annotations

import numpy as np
import pytest

from accelsim.trace import stats
from accelsim.trace.format import Trace, TraceMeta
from accelsim.trace.synthetic import synthetic_trace


def naive_probs(q: np.ndarray, keys: np.ndarray, n_seen: int) -> np.ndarray:
    """Softmax of one query over its first ``n_seen`` keys, one key at a time."""
    scores = [float(q @ keys[j]) / np.sqrt(q.size) for j in range(n_seen)]
    top = max(scores)
    e = [np.exp(s - top) for s in scores]
    return np.array([x / sum(e) for x in e] + [0.0] * (len(keys) - n_seen))


class TestKeysForMass:
    def test_ranked_row(self) -> None:
        probs = np.array([[0.1, 0.6, 0.0, 0.3]])
        allowed = np.ones((1, 4), bool)
        assert stats.keys_for_mass(probs, allowed, 0.5).tolist() == [0.25]
        assert stats.keys_for_mass(probs, allowed, 0.85).tolist() == [0.5]

    @pytest.mark.parametrize("n", [1, 2, 7, 8, 9])
    def test_one_hot_row_needs_one_key(self, n: int) -> None:
        probs = np.eye(n)[:1]
        assert stats.keys_for_mass(probs, np.ones((1, n), bool), 0.99).tolist() == [1 / n]

    def test_uniform_row(self) -> None:
        # 8 keys of 1/8: the first 4 reach 0.5; 0.9 needs all 8 (7/8 = 0.875 falls short).
        probs = np.full((1, 8), 1 / 8)
        allowed = np.ones((1, 8), bool)
        assert stats.keys_for_mass(probs, allowed, 0.5).tolist() == [0.5]
        assert stats.keys_for_mass(probs, allowed, 0.9).tolist() == [1.0]

    def test_share_of_the_keys_a_row_sees(self) -> None:
        probs = np.array([[0.5, 0.5, 0.0, 0.0]])
        allowed = np.array([[True, True, False, False]])
        assert stats.keys_for_mass(probs, allowed, 0.99).tolist() == [1.0]


class TestProbs:
    @pytest.fixture(scope="class")
    def trace(self) -> Trace:
        return synthetic_trace(
            layers=2, heads=4, kv_heads=2, head_dim=8, prompt_len=9, decode_steps=3, dtype=np.float32
        )

    def test_prefill_matches_naive_gqa(self, trace: Trace) -> None:
        q, k, _ = trace.prefill(1)
        for head in range(4):
            want = [naive_probs(q[head, i], k[head // 2], i + 1) for i in range(9)]
            np.testing.assert_allclose(stats.prefill_probs(trace, 1, head), want, atol=1e-6)

    def test_decode_matches_naive(self, trace: Trace) -> None:
        q, _, _ = trace.decode(0)
        k, _ = trace.kv(0)
        for head in range(4):
            want = [naive_probs(q[s, head], k[head // 2], 9 + s + 1) for s in range(3)]
            np.testing.assert_allclose(stats.decode_probs(trace, 0, head), want, atol=1e-6)

    def test_encoder_sees_every_key(self) -> None:
        trace = synthetic_trace(layers=1, heads=2, head_dim=4, prompt_len=5, decode_steps=0, causal=False)
        assert stats.prefill_allowed(trace, 0).all()


def sink_trace(t: int, s: int) -> Trace:
    """Every query attends (almost) only to token 0: one head, d = 4."""
    meta = TraceMeta(model="sink", layers=1, heads=1, kv_heads=1, head_dim=4, prompt_len=t, decode_steps=s)
    k = np.zeros((1, t, 4), np.float32)
    k[0, 0, 0] = 100.0
    q = np.zeros((1, t, 4), np.float32)
    q[0, :, 0] = 10.0
    tensors = {"layers.0.prefill.q": q, "layers.0.prefill.k": k, "layers.0.prefill.v": k.copy()}
    if s:
        tensors |= {
            "layers.0.decode.q": np.repeat(q[:, :1].transpose(1, 0, 2), s, axis=0),
            "layers.0.decode.k": np.zeros((s, 1, 4), np.float32),
            "layers.0.decode.v": np.zeros((s, 1, 4), np.float32),
        }
    return Trace(meta, tensors)


def test_summary_of_a_sink() -> None:
    # Causal prefill rows see 1..4 keys and need one each; decode steps see 5, 6.
    (row,) = stats.mass_summary(sink_trace(4, 2))
    assert row["layer"] == 0
    assert row["prefill@0.9"] == pytest.approx(np.mean([1, 1 / 2, 1 / 3, 1 / 4]))
    assert row["prefill@0.99"] == row["prefill@0.9"]
    assert row["decode@0.9"] == pytest.approx(np.mean([1 / 5, 1 / 6]))


def test_summary_without_decode_has_prefill_columns_only() -> None:
    (row,) = stats.mass_summary(sink_trace(3, 0), masses=(0.5,))
    assert sorted(row) == ["layer", "prefill@0.5"]


@pytest.mark.parametrize("causal", [True, False])
def test_summary_in_blocks_of_one_row_is_the_whole_matrix_mean(monkeypatch, causal: bool) -> None:
    # the summary scores a block of query rows at a time; one row per block must give the mean of
    # keys_for_mass over each head's whole [T, T] / [S, T + S] probabilities
    trace = synthetic_trace(
        layers=2, heads=4, kv_heads=2, head_dim=8, prompt_len=12, decode_steps=3, causal=causal, dtype=np.float32
    )
    monkeypatch.setattr(stats, "BLOCK_SCORES", 1)
    assert stats.block_rows(15) == 1
    for layer, row in enumerate(stats.mass_summary(trace, masses=(0.5, 0.9))):
        for phase, probs, allowed in (
            ("prefill", stats.prefill_probs, stats.prefill_allowed(trace, layer)),
            ("decode", stats.decode_probs, stats.decode_allowed(trace, layer)),
        ):
            for mass in (0.5, 0.9):
                want = np.mean([stats.keys_for_mass(probs(trace, layer, h), allowed, mass).mean() for h in range(4)])
                assert row[f"{phase}@{mass:g}"] == pytest.approx(want)
