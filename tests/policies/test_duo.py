"""DuoAttention: retrieval KV heads keep every row, streaming heads sink + recent."""

import numpy as np
import pytest

from accelsim.errors import InputError
from accelsim.policies import make_plan
from accelsim.policies.duo import DuoPolicy
from tests.policies.traces import probs, scalar_trace

# Two KV heads, 10-token prompt, 2 decode steps. Head 0 attends mostly to a middle row (5), which
# a streaming window misses; head 1 attends mostly to its sink (row 0), which it keeps.
KEYS = np.array([[0, 0, 0, 0, 0, 8, 0, 0, 0, 0, 0, 0],
                 [8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]], float)
TRACE = scalar_trace(KEYS, 10)


def decode_rows(plan):
    r = plan.requests
    return r[~r.prefill].set_index(["step", "head"])


def test_calibration_picks_the_head_that_needs_full_attention():
    plan = make_plan(DuoPolicy(sink=1, recent=2, calibration=4), TRACE)
    assert plan.meta["retrieval_heads"] == [[1, 0]]
    r = decode_rows(plan)
    for s in range(2):
        n = 11 + s
        assert r.loc[(s, 0), "keys"] == n and r.loc[(s, 0), "mass_recall"] == pytest.approx(1.0)
        kept = [0, n - 2, n - 1]
        assert r.loc[(s, 1), "keys"] == 3
        assert r.loc[(s, 1), "mass_recall"] == pytest.approx(probs(KEYS[1], n)[kept].sum())


def test_gate_file_decides(tmp_path):
    path = tmp_path / "full_attention_heads.tsv"
    path.write_text("0.2\t0.9\n")
    plan = make_plan(DuoPolicy(sink=1, recent=2, heads_file=str(path)), TRACE, phases="decode")
    assert plan.meta["retrieval_heads"] == [[0, 1]]
    r = decode_rows(plan)
    assert r.loc[(0, 0), "keys"] == 3 and r.loc[(0, 1), "keys"] == 11


def test_gate_file_shape_checked(tmp_path):
    path = tmp_path / "gates.tsv"
    path.write_text("0.2\t0.9\t0.1\n")
    with pytest.raises(InputError, match=r"expected 1 lines of 2 values, got shape \(1, 3\)$"):
        make_plan(DuoPolicy(heads_file=str(path)), TRACE)


@pytest.mark.parametrize(("retrieval", "full"), [(0.0, 0), (0.5, 1), (1.0, 2)])
def test_retrieval_fraction(retrieval, full):
    plan = make_plan(DuoPolicy(retrieval=retrieval, sink=1, recent=2), TRACE, phases="decode")
    assert np.sum(plan.meta["retrieval_heads"]) == full
