import numpy as np
import pytest

from accelsim.topk import TopKParams, get_engine
from accelsim.topk.base import exact_topk_mask

RNG = np.random.default_rng(0)


@pytest.fixture
def eng():
    return get_engine("sorter", TopKParams(parallelism=16))


def test_selects_exact_topk(eng):
    x = np.random.default_rng(1).random((6, 50))
    k = np.array([1, 5, 16, 17, 50, 0])
    assert np.array_equal(eng.select(x, k, RNG).mask, exact_topk_mask(x, k))


def test_merge_passes_known_answer(eng):
    # n=64, P=16: 4 runs of 16 cut to k=8 -> 32 items merged, then 2 runs of 8 -> 16 items
    assert eng.passes_for_shape(np.array([64]), np.array([8]), RNG)[0].tolist() == [32, 16]


@pytest.mark.parametrize(("n", "k", "passes"), [(1, 1, []), (16, 4, []), (17, 4, [5]),
                                                (100, 40, [100, 100, 76])])
def test_passes_edge_sizes(eng, n, k, passes):
    assert eng.passes_for_shape(np.array([n]), np.array([k]), RNG)[0].tolist() == passes


def test_cycles_known_answer(eng):
    # sort network 4*5/2 = 10 stages; merges ceil(32/16)+5 and ceil(16/16)+5; drain ceil(8/16)
    passes = eng.passes_for_shape(np.array([64]), np.array([8]), RNG)
    assert eng.cycles(np.array([64]), np.array([8]), passes[0], np.array([0]),
                      np.array([2])).tolist() == [10 + 7 + 6 + 1]


def test_data_independent(eng):
    a = eng.select(np.random.default_rng(2).random((2, 300)), 30, RNG).passes
    assert np.array_equal(a[0], a[1])


def test_slower_than_quickselect_at_spatten_point():
    # SpAtten Sec. V-E: quick-select beats a Batcher sorter at n = 1024
    x = np.random.default_rng(3).random((50, 1024))
    cyc = {}
    for name in ("sorter", "quickselect"):
        eng = get_engine(name)
        cyc[name] = eng.total_cycles([1024] * 50, [128] * 50, eng.select(x, 128, RNG).passes)
    assert cyc["sorter"].mean() > cyc["quickselect"].mean()
