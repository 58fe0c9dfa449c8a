import numpy as np
import pytest

from accelsim.rtl.topk import harness
from accelsim.topk import TopKParams, engine_params

PARAMS = engine_params("streaming", parallelism=4, index_width=5, max_k=8)


def test_edge_vectors_cover_the_corners():
    vec = harness.edge_vectors(PARAMS, np.random.default_rng(0))
    n, k = vec.n.tolist(), vec.k.tolist()
    assert (1, 1) in zip(n, k, strict=True)  # n = 1
    assert any(a == b == 32 for a, b in zip(n, k, strict=True))  # k = n at maximum n
    assert 0 in k and any(a % 4 for a in n)  # k = 0; n not a multiple of P
    assert set(vec.mode.tolist()) == {0, 1, 2}  # free flow, back-pressure, both
    assert any((row[:m] == row[0]).all() and m > 1 for row, m in zip(vec.scores, n, strict=True))  # all equal
    assert any(a == 32 and b == 9 for a, b in zip(n, k, strict=True))  # k above the slots


def test_random_vectors_in_range():
    vec = harness.random_vectors(PARAMS, 500, np.random.default_rng(1))
    assert (vec.n >= 1).all() and (vec.n <= 32).all()
    assert (vec.k >= 1).all() and (vec.k <= vec.n).all()
    assert vec.scores.max() < 1 << 12
    assert not vec.scores[np.arange(32)[None, :] >= vec.n[:, None]].any()


def test_grid_vectors():
    vec = harness.grid_vectors(TopKParams(index_width=8), 3, np.random.default_rng(2))
    assert sorted(set(zip(vec.n.tolist(), vec.k.tolist(), strict=True))) == [(64, 8), (64, 32), (256, 32), (256, 128)]


def test_expected_streaming_order():
    vec = harness.Vectors(np.array([[1, 5, 3, 5]]), np.array([4]), np.array([3]), np.array([0]))
    exp = harness.expected("streaming", PARAMS, vec)
    assert exp.items[0].tolist() == [1, 3, 2]
    assert exp.cycles.tolist() == [4 + 3]


def test_expected_in_order_engines():
    vec = harness.Vectors(np.array([[1, 5, 3, 5]]), np.array([4]), np.array([3]), np.array([0]))
    params = engine_params("quickselect", parallelism=4, index_width=5)
    assert harness.expected("quickselect", params, vec).items[0].tolist() == [1, 2, 3]


def test_missing_tool_names_package(monkeypatch):
    monkeypatch.setattr(harness.shutil, "which", lambda _: None)
    with pytest.raises(
        harness.ToolMissing,
        match=r"^iverilog not found; install it with: sudo apt-get install "
        r"iverilog$",
    ):
        harness.require_tool("iverilog", "iverilog")


def test_params_key_distinguishes():
    params = TopKParams(parallelism=4, index_width=5)
    assert harness.params_key("sorter", params) != harness.params_key("streaming", params)
    assert harness.params_key("streaming", PARAMS) == harness.params_key(
        "streaming", engine_params("streaming", parallelism=4, index_width=5, max_k=8)
    )
    assert harness.params_key("streaming", PARAMS) != harness.params_key("streaming", PARAMS.replace(max_k=4))
