import numpy as np
import pytest

from accelsim.topk import TopKParams, get_engine
from accelsim.topk.base import exact_topk_mask
from accelsim.topk.sorter import merge_items

RNG = np.random.default_rng(0)


@pytest.fixture
def eng():
    return get_engine("sorter", TopKParams(parallelism=16))


def test_selects_exact_topk(eng):
    x = np.random.default_rng(1).random((6, 50))
    k = np.array([1, 5, 16, 17, 50, 0])
    assert np.array_equal(eng.select(x, k, RNG).mask, exact_topk_mask(x, k))


def cycles(eng, n, k):
    return int(eng.cycles(np.array([n]), np.array([k]), np.array([n]), np.array([0]),
                          np.array([1]))[0])


def test_merge_items_known_answer():
    # n=64, P=16: 4 runs of 16 cut to k=8 -> 32 items merged, then 2 runs of 8 -> 16 items
    assert [a.tolist() for a in merge_items(np.array([64]), np.array([8]), 16)] == [[32], [16]]


@pytest.mark.parametrize(("n", "k", "items"), [(1, 1, []), (16, 4, []), (17, 4, [5]),
                                               (100, 40, [100, 100, 76])])
def test_merge_items_edge_sizes(n, k, items):
    assert [int(a[0]) for a in merge_items(np.array([n]), np.array([k]), 16)] == items


def test_cycles_known_answer(eng):
    # sort network 4*5/2 = 10 stages; merges ceil(32/16)+5 and ceil(16/16)+5; drain ceil(8/16)
    assert cycles(eng, 64, 8) == 10 + 7 + 6 + 1


def test_passes_record_only_n(eng):
    sel = eng.select(np.random.default_rng(2).random((2, 300)), 30, RNG)
    assert [p.tolist() for p in sel.passes] == [[300], [300]]


def test_short_jobs_leave_the_network_early(eng):
    # n = 4 uses the first two levels of the width-16 sorter: 2*3/2 = 3 stages, drain 1
    assert cycles(eng, 4, 2) == 3 + 1


def test_wider_is_never_slower():
    for n, k in ((4, 2), (33, 8), (128, 26), (1024, 128)):
        c = [cycles(get_engine("sorter", TopKParams(parallelism=p)), n, k)
             for p in (2, 4, 8, 16, 32)]
        assert (np.diff(c) <= 0).all(), (n, k, c)


def test_slower_than_quickselect_at_spatten_point():
    # SpAtten Sec. V-E: quick-select beats a Batcher sorter at n = 1024
    x = np.random.default_rng(3).random((50, 1024))
    cyc = {}
    for name in ("sorter", "quickselect"):
        eng = get_engine(name)
        cyc[name] = eng.total_cycles([1024] * 50, [128] * 50, eng.select(x, 128, RNG).passes)
    assert cyc["sorter"].mean() > cyc["quickselect"].mean()
