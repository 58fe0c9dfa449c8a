"""The hardware config's ``dram`` block selects the bank-aware model and its preset."""

from __future__ import annotations

import pytest

from accelsim.config.base import validate
from accelsim.config.hardware import Hardware
from accelsim.errors import InputError
from accelsim.hw.dram import DramModel


def test_default_stays_the_bandwidth_model():
    assert Hardware().dram.model == "bandwidth"


def test_bank_model_block_builds_a_model():
    hw = validate(Hardware, {"dram": {"model": "bank", "preset": "ddr4-2400",
                                      "issue": "in-order"}}, "hw.yaml")
    model = DramModel(hw.dram.preset, issue=hw.dram.issue)
    assert model.spec.standard == "DDR4"


def test_unknown_model_is_an_input_error():
    with pytest.raises(InputError, match=r"^hw\.yaml: field 'dram\.model': Input should be "
                                         r"'bandwidth' or 'bank'"):
        validate(Hardware, {"dram": {"model": "ramulator"}}, "hw.yaml")


def test_outstanding_limit_defaults_to_the_rtl_and_must_be_positive():
    assert Hardware().dram.outstanding == 16  # dpi/DRAMSimDPIDriverRamulator2.cpp: MAX_PENDING_REQS
    with pytest.raises(InputError, match=r"field 'dram\.outstanding': Input should be greater than 0"):
        validate(Hardware, {"dram": {"outstanding": 0}}, "hw.yaml")
