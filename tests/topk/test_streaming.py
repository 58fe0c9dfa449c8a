import numpy as np
import pytest

from accelsim.topk import TopKParams, engine_params, get_engine
from accelsim.topk.base import exact_topk_mask

RNG = np.random.default_rng(0)


@pytest.fixture
def eng():
    return get_engine("streaming", engine_params("streaming", parallelism=16, max_k=8))


def test_selects_exact_topk_up_to_slots(eng):
    x = np.random.default_rng(1).random((10, 20))
    k = np.array([0, 1, 3, 8, 9, 20, 5, 2, 8, 7])
    assert np.array_equal(eng.select(x, k, RNG).mask, exact_topk_mask(x, np.minimum(k, 8)))


def test_ties_keep_earliest_index(eng):
    assert eng.select(np.array([[1.0, 2.0, 2.0, 2.0]]), 2, RNG).mask.tolist() == [[False, True, True, False]]


def test_one_item_per_cycle_in(eng):
    assert eng.input_cycles(np.array([1, 17])).tolist() == [1, 17]


@pytest.mark.parametrize(("n", "k", "drain"), [(1, 1, 1), (20, 5, 5), (20, 9, 8), (3, 8, 3), (20, 0, 0)])
def test_drain_is_one_item_per_cycle(eng, n, k, drain):
    sel = eng.select(np.random.default_rng(2).random((1, n)), k, RNG)
    assert eng.total_cycles([n], [k], sel.passes).tolist() == [n + drain]


def test_default_slots_are_max_n():
    assert get_engine("streaming", TopKParams(index_width=4)).params.slots == 16


def test_comparisons_every_slot_every_item(eng):
    assert eng.comparisons(np.array([10]), np.array([10]), np.array([0]), np.array([1])).tolist() == [80]
