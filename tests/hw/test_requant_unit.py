"""The requant decision's params, model and cycle model (accelsim.hw.requant)."""

import numpy as np
import pytest
from pydantic import ValidationError

from accelsim.config import load_hardware
from accelsim.hw.requant import RequantParams, decide, job_cycles, threshold_code
from accelsim.hw.units import requant_params

P = RequantParams()


def test_parallelism_rule_is_stated():
    with pytest.raises(ValidationError, match=r"parallelism must be a power of two, not 6"):
        RequantParams(parallelism=6)


def test_design_has_one_lane_per_softmax_lane():
    assert requant_params(load_hardware("spatten")) == RequantParams(parallelism=8)


@pytest.mark.parametrize("threshold", [0.0, 0.1, 0.25, 1 / 3, 0.5, 0.999, 1.0])
def test_threshold_code_keeps_the_float_comparison(threshold):
    codes = np.arange(1 << P.width)
    below = codes < threshold_code(threshold, P)
    assert np.array_equal(below, codes / (1 << P.width) < threshold)


def test_decide_known_answers():
    probs = np.array([[0, 0, 0], [5, 900, 3], [900, 0, 0], [4095, 0, 0]])
    need, top = decide(probs, np.array([0, 900, 901, 4096]))
    assert top.tolist() == [0, 900, 900, 4095]
    # max < threshold: 0 < 0 no; 900 < 900 no; 900 < 901 yes; 4095 < 4096 yes (threshold 1.0: always)
    assert need.tolist() == [False, False, True, True]


def test_cycles_a_beat_a_cycle_and_one_for_the_decision():
    assert job_cycles([3]) == 4
    assert job_cycles([1, 1, 1]) == 4
    assert job_cycles([]) == 0
