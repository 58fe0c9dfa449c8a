"""The top-k parameters are declared once (accelsim.topk.params) and reach the hardware config."""

import pytest

from accelsim.config import load_hardware
from accelsim.config.hardware import TopK
from accelsim.errors import InputError
from accelsim.hw.units import topk_params
from accelsim.topk import TopKParams
from accelsim.topk.params import TopKFields


def test_hardware_block_is_the_params_fields_plus_the_designs():
    assert set(TopK.model_fields) == set(TopKFields.model_fields) | {"engine", "count", "jobs_in_flight"}
    for name, info in TopKFields.model_fields.items():
        assert TopK.model_fields[name].default == info.default == TopKParams.model_fields[name].default
        assert TopK.model_fields[name].description == info.description and info.description


def test_every_field_reaches_the_params():
    over = {"parallelism": 4, "width": 10, "index_width": 8, "fifo_depth": 32, "max_k": 16, "pivot_seed": 7}
    params = topk_params(load_hardware("spatten", {"topk": over}))
    assert {k: getattr(params, k) for k in over} == over
    assert params.input_parallelism == 4  # derived: min(softmax.parallelism, parallelism)
    hw = load_hardware("spatten", {"topk": {"engine": "statistical", "z_frac_bits": 6}})
    assert topk_params(hw).z_frac_bits == 6


def test_input_parallelism_is_derived_not_set():
    with pytest.raises(InputError, match=r"field 'topk\.input_parallelism': unknown field"):
        load_hardware("spatten", {"topk": {"input_parallelism": 4}})


@pytest.mark.parametrize(("over", "pattern"), [
    ({"pivot_seed": 0}, r"field 'topk\.pivot_seed': Input should be greater than or equal to 1, got 0$"),
    ({"pivot_seed": 65536}, r"field 'topk\.pivot_seed': Input should be less than 65536, got 65536$"),
    ({"z_frac_bits": 0}, r"field 'topk\.z_frac_bits': Input should be greater than or equal to 1, got 0$"),
    ({"index_width": 25}, r"field 'topk\.index_width': Input should be less than or equal to 24, got 25$"),
    ({"engine": "sorter", "pivot_seed": 7},
     r"field 'topk\.pivot_seed': read only by the quickselect engine \(topk\.engine is 'sorter'\)"),
    ({"z_frac_bits": 6},
     r"field 'topk\.z_frac_bits': read only by the statistical engine \(topk\.engine is 'quickselect'\)"),
])
def test_bad_values_name_the_field(over, pattern):
    with pytest.raises(InputError, match=pattern):
        load_hardware("spatten", {"topk": over})


def test_engine_specific_fields_at_their_default_pass_anywhere():
    hw = load_hardware("spatten", {"topk": {"engine": "sorter", "pivot_seed": 0xACE1, "z_frac_bits": 8}})
    assert hw.topk.engine == "sorter"
