"""Every DRAM preset loads, names its source and streams at a plausible bandwidth."""

from __future__ import annotations

import numpy as np
import pytest

from accelsim.hw.dram import DramSpec, load_dram, replay, standards

STREAM = 1 << 14  # accesses of the sequential stream
EFFICIENCY = 0.8  # share of the reachable peak a sequential stream must achieve


def stream_peak_gbs(spec: DramSpec) -> float:
    """The bandwidth a sequential stream can reach on ``spec``: the data-bus peak, unless
    consecutive accesses stay in one bank group (the mapping puts the bank group above the
    column), where column commands are ``max(burst, tCCD_L)`` apart."""
    m = spec.controller.address_mapping
    bg_below_co = m.index("bg") > m.index("co")
    burst = spec.burst_cycles
    gap = burst if bg_below_co or spec.organisation.bankgroups == 1 else max(burst,
                                                                            spec.timing.tCCD_L)
    return spec.peak_gbs * burst / gap


@pytest.mark.parametrize("name", standards())
def test_sequential_stream_reaches_the_peak(name):
    spec = load_dram(name)
    addr = np.arange(STREAM, dtype=np.int64) * spec.organisation.access_bytes
    s = replay(spec, addr, issue="per-channel")
    assert s.requests == STREAM
    assert s.gbps <= spec.peak_gbs
    assert s.gbps >= EFFICIENCY * stream_peak_gbs(spec), (s.gbps, stream_peak_gbs(spec))
    assert s.row_hit_rate > 0.9


NEW_PRESETS = [
    ("hbm3-6400", "HBM3", 819.2),  # 1024 bits x 6.4 Gb/s
    ("lpddr5-6400", "LPDDR5", 51.2),  # 64 bits x 6.4 Gb/s
    ("lpddr4-3200", "LPDDR4", 25.6),  # 64 bits x 3.2 Gb/s
]


@pytest.mark.parametrize(("name", "standard", "peak"), NEW_PRESETS)
def test_new_presets_have_their_standards_peak(name, standard, peak):
    spec = load_dram(name)
    assert spec.standard == standard
    assert spec.peak_gbs == pytest.approx(peak)


def test_random_reads_pay_for_row_misses():
    for name, _, _ in NEW_PRESETS:
        spec = load_dram(name)
        rng = np.random.default_rng(11)
        addr = rng.integers(0, spec.organisation.capacity_bytes // 32, STREAM) * 32
        s = replay(spec, addr, issue="per-channel")
        assert s.row_hit_rate < 0.1
        assert s.gbps < 0.7 * spec.peak_gbs
