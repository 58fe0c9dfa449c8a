"""cocotb + Icarus on the exported Verilog, checked against the numpy models.

The default run covers each engine once at a small size (edge cases plus random vectors with
flow control); the ``slow`` tier crosses parallelism and widths and plays 10,000 vectors.
"""

import numpy as np
import pytest

from accelsim.rtl.topk import ENGINE_COMPONENTS
from accelsim.rtl.topk.harness import (
    concat,
    edge_vectors,
    random_vectors,
    require_tool,
    verify,
)
from tests.rtl.sim import params_for

ENGINES = sorted(ENGINE_COMPONENTS)  # the engines that have RTL


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    require_tool("iverilog", "iverilog")
    return tmp_path_factory.mktemp("cocotb")


def check(engine, params, random, workdir, seed=0):
    rng = np.random.default_rng(seed)
    vec = concat(edge_vectors(params, rng), random_vectors(params, random, rng))
    report = verify(engine, params, vec, workdir, seed=seed)
    assert report.mismatches == 0, report.first_mismatch
    assert report.timed_vectors > 0
    # the cycle models are calibrated to the RTL: exact on every free-flowing job
    assert report.cycle_error_max == 0.0
    return report


@pytest.mark.parametrize("engine", ENGINES)
def test_small(engine, workdir):
    check(engine, params_for(engine, {"max_k": 8}, parallelism=4, index_width=5, width=8), 24, workdir)


@pytest.mark.slow
@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(("p", "width", "index_width"), [(1, 4, 4), (2, 16, 5), (8, 12, 7)])
def test_matrix(engine, p, width, index_width, workdir):
    check(
        engine,
        params_for(engine, {"max_k": 12}, parallelism=p, width=width, index_width=index_width),
        200,
        workdir,
        seed=p,
    )


@pytest.mark.slow
@pytest.mark.parametrize("engine", ENGINES)
def test_ten_thousand_vectors(engine, workdir):
    report = check(engine, params_for(engine, {"max_k": 16}, parallelism=4, index_width=6), 10_000, workdir, seed=10)
    assert report.vectors >= 10_000
