"""The UART top level, simulated pin to pin (cocotb + Icarus) and driven by the host's own client:
every job's items equal the functional model's and its cycles the cycle model's.

The suite runs a few dozen jobs per engine; ``benchmarks/bench_host_uart.py`` runs 1,000.
"""

import numpy as np
import pytest

from accelsim.rtl.topk import ENGINE_COMPONENTS, harness
from accelsim.rtl.topk.host import TopKHost, check_host_params
from accelsim.rtl.topk.host_sim import verify_host
from accelsim.topk import engine_params
from tests.rtl.sim import params_for

pytest.importorskip("cocotb")

JOBS = 12  # random jobs per engine, besides the edge cases


def small(engine: str):
    """Small P and n keep a job to a few thousand cycles at the simulation's UART divisor: P = 4 (1 for an
    engine taking one score a beat), input beats of 2 where its RTL takes narrower ones, n <= 16, 4 slots
    where the engine has slots."""
    cls = ENGINE_COMPONENTS[engine]
    pin = 2 if cls.LANES and cls.NARROW_INPUT else None
    return params_for(engine, {"max_k": 4}, parallelism=4 if cls.LANES else 1, index_width=4, input_parallelism=pin)


@pytest.mark.parametrize("engine", sorted(ENGINE_COMPONENTS))
def test_jobs_through_the_serial_pins_match_the_models(engine, tmp_path):
    params = small(engine)
    rng = np.random.default_rng(7)
    vec = harness.concat(harness.edge_vectors(params, rng), harness.random_vectors(params, JOBS, rng))
    report = verify_host(engine, params, vec, tmp_path)
    assert report.vectors == len(vec) and report.mismatches == 0, report.first_mismatch
    assert report.cycle_error_max == 0.0  # the host never stalls the engine: cycles as the free-flow model


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("index_width", 16, "index_width must be at most 15 behind the UART, not 16"),
        ("width", 17, "width must be at most 16 behind the UART, not 17"),
        ("z_frac_bits", 13, "z_frac_bits must be at most 12 behind the UART, not 13"),
    ],
)
def test_fields_wider_than_the_protocol_are_refused(field, value, message):
    params = engine_params("statistical", parallelism=4, index_width=4).replace(**{field: value})
    with pytest.raises(ValueError, match=f"^{message}$"):
        check_host_params(params)
    with pytest.raises(ValueError, match=f"^{message}$"):
        TopKHost("statistical", params, divisor=4)
