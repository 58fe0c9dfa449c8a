"""The hardware's ``topk`` block: the shared top-k fields (accelsim.topk.params), the design's, and the
chosen engine's own (its ``params_type``), all reaching the engine's params."""

import pytest

from accelsim.config import load_hardware
from accelsim.config.hardware import TopK
from accelsim.errors import InputError
from accelsim.hw.units import topk_params
from accelsim.topk import ENGINES, TopKParams
from accelsim.topk.params import TopKShared, engine_fields


def test_hardware_block_is_the_shared_fields_plus_the_designs():
    assert set(TopK.model_fields) == set(TopKShared.model_fields) | {"engine", "count", "jobs_in_flight"}
    for name, info in TopKShared.model_fields.items():
        assert TopK.model_fields[name].default == info.default == TopKParams.model_fields[name].default
        assert TopK.model_fields[name].description == info.description and info.description


@pytest.mark.parametrize("engine", sorted(ENGINES))
def test_the_engines_own_fields_are_filled_with_their_defaults(engine):
    hw = load_hardware("spatten", {"topk": {"engine": engine}})
    own = engine_fields(ENGINES[engine].params_type)
    assert hw.topk.model_extra == {k: f.default for k, f in own.items()}
    assert topk_params(hw) == ENGINES[engine].params_type(
        **{**hw.topk.model_extra, "parallelism": 16, "input_parallelism": 8}
    )


def test_every_field_reaches_the_params():
    over = {"parallelism": 4, "width": 10, "index_width": 8, "fifo_depth": 32, "pivot_seed": 7}
    params = topk_params(load_hardware("spatten", {"topk": over}))
    assert {k: getattr(params, k) for k in over} == over
    assert params.input_parallelism == 4  # derived: min(softmax.parallelism, parallelism)
    hw = load_hardware("spatten", {"topk": {"engine": "statistical", "z_frac_bits": 6}})
    assert topk_params(hw).z_frac_bits == 6
    hw = load_hardware("spatten", {"topk": {"engine": "streaming", "max_k": 16}})
    assert topk_params(hw).slots == 16


def test_input_parallelism_is_derived_not_set():
    with pytest.raises(InputError, match=r"field 'topk\.input_parallelism': unknown field; expected one of: "):
        load_hardware("spatten", {"topk": {"input_parallelism": 4}})


@pytest.mark.parametrize(
    ("over", "pattern"),
    [
        ({"pivot_seed": 0}, r"field 'topk\.pivot_seed': Input should be greater than or equal to 1, got 0$"),
        ({"pivot_seed": 65536}, r"field 'topk\.pivot_seed': Input should be less than 65536, got 65536$"),
        ({"pivot_seed": "7"}, r"field 'topk\.pivot_seed': Input should be a valid integer, got '7'$"),
        (
            {"engine": "statistical", "z_frac_bits": 0},
            r"field 'topk\.z_frac_bits': Input should be greater than or equal to 1, got 0$",
        ),
        ({"index_width": 25}, r"field 'topk\.index_width': Input should be less than or equal to 24, got 25$"),
        (
            {"engine": "sorter", "pivot_seed": 7},
            r"field 'topk\.pivot_seed': read only by the quickselect engine \(topk\.engine is 'sorter'\)",
        ),
        (
            {"z_frac_bits": 6},
            r"field 'topk\.z_frac_bits': read only by the statistical engine \(topk\.engine is 'quickselect'\)",
        ),
        ({"max_k": 4}, r"field 'topk\.max_k': read only by the streaming engine \(topk\.engine is 'quickselect'\)"),
        ({"bogus": 4}, r"field 'topk\.bogus': unknown field; expected one of: engine, .*, pivot_seed, got 4$"),
        ({"engine": "bogus"}, r"field 'topk\.engine': unknown top-k engine 'bogus'; expected one of: "),
    ],
)
def test_bad_values_name_the_field(over, pattern):
    with pytest.raises(InputError, match=pattern):
        load_hardware("spatten", {"topk": over})


def test_another_engines_fields_at_their_default_are_dropped():
    # e.g. a dumped quick-select design whose engine an override changes
    hw = load_hardware("spatten", {"topk": {"engine": "sorter", "pivot_seed": 0xACE1, "z_frac_bits": 8}})
    assert hw.topk.engine == "sorter" and hw.topk.model_extra == {}
    dumped = load_hardware("spatten").model_dump()
    assert (
        load_hardware(load_hardware("spatten"), {"topk": {"engine": "statistical"}}).topk.model_extra
        == {"z_frac_bits": 8}
        and "pivot_seed" in dumped["topk"]
    )


def test_json_round_trip_keeps_the_engines_fields():
    hw = load_hardware("spatten", {"topk": {"pivot_seed": 7}})
    again = type(hw).model_validate_json(hw.model_dump_json())
    assert again == hw and again.topk.pivot_seed == 7


def test_an_engine_field_named_as_the_blocks_own_is_refused(monkeypatch):
    from pydantic import Field

    from accelsim.topk import TopKEngine, register

    class CountParams(TopKParams):
        count: int = Field(3, ge=1)
        """Clashes with hw.topk.count."""

    class Clash(TopKEngine):
        name = "clash-test"
        params_type = CountParams

    for registry in ("_items", "_origin"):  # registered for this test only
        monkeypatch.setattr(ENGINES, registry, dict(getattr(ENGINES, registry)))
    register(Clash)
    with pytest.raises(InputError, match=r"field 'topk\.engine': the clash-test engine's params declare count, a "
                                         r"field of the topk block itself"):
        load_hardware("spatten", {"topk": {"engine": "clash-test"}})
