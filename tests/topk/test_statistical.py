from statistics import NormalDist

import numpy as np
import pytest

from accelsim.topk import TopKParams, get_engine
from accelsim.topk.statistical import count_error, recall, z_coefficient

RNG = np.random.default_rng(0)


@pytest.fixture
def eng():
    return get_engine("statistical", TopKParams(parallelism=16))


class TestZ:
    def test_known_values(self):
        # Φ⁻¹(0.5) = 0; Φ⁻¹(7/8) = 1.1503 -> 294.5 / 256 rounds to 294
        assert z_coefficient(np.array([8, 8]), np.array([4, 1]), 8).tolist() == [0, 294]

    def test_clipped_at_both_ends(self):
        assert z_coefficient(np.array([8, 8]), np.array([8, 0]), 8).tolist() == [-2048, 2047]

    def test_matches_normal_dist(self):
        z = z_coefficient(np.array([1024]), np.array([100]), 12)[0] / 4096
        assert z == pytest.approx(NormalDist().inv_cdf(1 - 100 / 1024), abs=1 / 4096)


class TestSelect:
    def test_gaussian_count_near_k(self, eng):
        # Spark Thm 1: the kept count concentrates around k for i.i.d. Gaussian scores
        # (policies.md sanity run: n=4096, k=256 keeps 256 [240, 273], recall 0.984)
        x = np.random.default_rng(1).standard_normal((200, 4096))
        sel = eng.select(x, 256, RNG)
        assert abs(count_error(sel.mask, 256).mean()) < 5
        assert recall(sel.mask, x, 256).mean() > 0.95

    def test_integer_scores_use_the_rtl_arithmetic(self, eng):
        x = np.array([[0.0, 10.0, 20.0, 30.0, 40.0]])
        # mean 20, std sqrt(200) = 14.14; z(k=2, n=5) = Φ⁻¹(0.6) = 0.2533 -> 65/256
        # RTL: x*5*256 > 100*256 + 65*isqrt(5*3000 - 100**2) = 25600 + 65*70 = 30150
        assert eng.select(x, 2, RNG).mask.tolist() == [[False, False, False, True, True]]

    def test_all_equal_selects_nothing(self, eng):
        assert not eng.select(np.full((1, 9), 7.0), 3, RNG).mask.any()

    def test_k_zero_selects_nothing(self, eng):
        assert not eng.select(np.arange(10.0)[None], 0, RNG).mask.any()

    def test_nan_items_absent(self, eng):
        x = np.array([[np.nan, 1.0, 2.0, 3.0, 100.0]])
        assert eng.select(x, 1, RNG).mask.tolist() == [[False, False, False, False, True]]

    def test_one_pass(self, eng):
        assert eng.select(np.zeros((2, 33)), 3, RNG).passes[1].tolist() == [33]


def test_count_error_and_recall_known_answer():
    x = np.array([[5.0, 4.0, 3.0, 2.0]])
    mask = np.array([[True, False, True, True]])
    assert count_error(mask, 2).tolist() == [1]
    assert recall(mask, x, 2).tolist() == [0.5]


def test_cycles(eng):
    # 10 + 12 + 1 = 23 square-root steps, 3 more, then ceil(100/16) = 7 filter rows
    assert eng.cycles(np.array([100, 100]), np.array([5, 0]), np.zeros(0), np.zeros(2, int),
                      np.zeros(2, int)).tolist() == [33, 0]
