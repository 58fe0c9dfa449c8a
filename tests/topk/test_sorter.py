import numpy as np
import pytest

from accelsim.topk import TopKParams, get_engine
from accelsim.topk.base import exact_topk_mask
from accelsim.topk.sorter import merge_cycles

RNG = np.random.default_rng(0)


@pytest.fixture
def eng():
    return get_engine("sorter", TopKParams(parallelism=16))


def test_selects_exact_topk(eng):
    x = np.random.default_rng(1).random((6, 50))
    k = np.array([1, 5, 16, 17, 50, 0])
    assert np.array_equal(eng.select(x, k, RNG).mask, exact_topk_mask(x, k))


def cycles(eng, n, k):
    return int(eng.cycles(np.array([n]), np.array([k]), np.array([n]), np.array([0]), np.array([1]))[0])


def test_merge_cycles_known_answer():
    # n=64, P=16: 4 lines, K = ceil(8/16) = 1; pass 0: 2 pairs of min(2, 1) + 2, pass 1: 1 pair of min(4, 1) + 2
    assert [a.tolist() for a in merge_cycles(np.array([64]), np.array([8]), 16)] == [[6], [3]]


@pytest.mark.parametrize(("n", "k", "cycles"), [(1, 1, []), (16, 4, []), (17, 4, [3]), (100, 40, [15, 10, 5])])
def test_merge_cycles_edge_sizes(n, k, cycles):
    # (100, 40): 7 lines, K = 3; pass 0: 3 pairs of 2 + 2 and the odd line 1 + 2; pass 1: 3 + 2 and the
    # 3-line rest 3 + 2; pass 2: 7 lines cut to 3, + 2
    assert [int(a[0]) for a in merge_cycles(np.array([n]), np.array([k]), 16)] == cycles


def test_cycles_known_answer(eng):
    # merge passes 6 + 3; one address cycle and ceil(8/16) = 1 output beat
    assert cycles(eng, 64, 8) == 6 + 3 + 1 + 1


def test_k_zero_costs_nothing_after_the_input(eng):
    assert cycles(eng, 64, 0) == 0


def test_passes_record_only_n(eng):
    sel = eng.select(np.random.default_rng(2).random((2, 300)), 30, RNG)
    assert [p.tolist() for p in sel.passes] == [[300], [300]]


def test_one_line_jobs_skip_the_merge(eng):
    # n = 4 fits one line: sorted as it enters, then an address cycle and one output beat
    assert cycles(eng, 4, 2) == 1 + 1


def test_wider_is_never_slower():
    for n, k in ((4, 2), (33, 8), (128, 26), (1024, 128)):
        c = [cycles(get_engine("sorter", TopKParams(parallelism=p)), n, k) for p in (2, 4, 8, 16, 32)]
        assert (np.diff(c) <= 0).all(), (n, k, c)


def test_slower_than_quickselect_at_spatten_point():
    # SpAtten Sec. V-E: quick-select beats a Batcher sorter at n = 1024
    x = np.random.default_rng(3).random((50, 1024))
    cyc = {}
    for name in ("sorter", "quickselect"):
        eng = get_engine(name)
        cyc[name] = eng.total_cycles([1024] * 50, [128] * 50, eng.select(x, 128, RNG).passes)
    assert cyc["sorter"].mean() > cyc["quickselect"].mean()
