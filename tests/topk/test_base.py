import importlib
import inspect
import pkgutil
import re

import numpy as np
import pytest

import accelsim.topk
from accelsim.topk import ENGINES, TopKParams, engine_params, get_engine, register
from accelsim.topk.base import TopKEngine, ceil_div, exact_topk_mask, lfsr_sequence, segment_sum
from accelsim.topk.params import engine_fields

pytestmark = pytest.mark.smoke  # part of the quick check: pytest -m smoke


class TestParams:
    def test_defaults_are_spatten(self):
        p = TopKParams()
        assert (p.parallelism, p.width, p.fifo_depth, p.max_n) == (16, 12, 64, 1024)
        assert engine_params("streaming").slots == 1024

    def test_equality_and_repr(self):
        assert TopKParams(parallelism=4) == TopKParams(parallelism=4)
        assert TopKParams(parallelism=4) != TopKParams(parallelism=8)
        assert repr(TopKParams(parallelism=3)).startswith("TopKParams(parallelism=3")

    def test_positional_arguments_refused(self):
        with pytest.raises(TypeError):
            TopKParams(4)

    @pytest.mark.parametrize("field", ["parallelism", "width", "index_width", "fifo_depth"])
    def test_not_positive(self, field):
        with pytest.raises(ValueError, match=rf"^{field} must be a positive integer, not -1$"):
            TopKParams(**{field: -1})

    def test_input_parallelism(self):
        assert TopKParams(parallelism=8).input_parallelism == 8  # default: the comparator width
        assert TopKParams(parallelism=8) == TopKParams(parallelism=8, input_parallelism=8)
        assert TopKParams(parallelism=16, input_parallelism=8).input_parallelism == 8
        with pytest.raises(
            ValueError,
            match=r"^input_parallelism must not exceed parallelism = 4, "
            r"not 8$",
        ):
            TopKParams(parallelism=4, input_parallelism=8)
        with pytest.raises(ValueError, match=r"^input_parallelism must be a positive integer"):
            TopKParams(input_parallelism=0)

    def test_bool_is_not_an_integer(self):
        with pytest.raises(ValueError, match=r"^parallelism must be a positive integer, not True$"):
            TopKParams(parallelism=True)

    def test_every_reason_reported(self):
        with pytest.raises(
            ValueError,
            match=r"^parallelism .*not 0; width .*not 'x'; max_k .*"
            r"not 0$",
        ):
            engine_params("streaming", parallelism=0, width="x", max_k=0)

    def test_upper_limits(self):
        with pytest.raises(ValueError, match=r"^index_width must be at most 24, not 25$"):
            TopKParams(index_width=25)

    def test_a_field_of_no_model_is_refused(self):
        with pytest.raises(ValueError, match=r"^max_k is not a parameter of TopKParams$"):
            TopKParams(max_k=3)


class TestEngineParams:
    """Each engine's params model: :class:`TopKParams` or a subclass adding the engine's own fields."""

    @pytest.mark.parametrize("name", sorted(ENGINES))
    def test_model_extends_the_shared_fields(self, name):
        cls = ENGINES[name].params_type
        assert issubclass(cls, TopKParams) and set(TopKParams.model_fields) <= set(cls.model_fields)
        for field, info in engine_fields(cls).items():
            assert info.description, (name, field)  # every own field says what it is and where from

    @pytest.mark.parametrize("name", sorted(ENGINES))
    def test_engine_holds_its_model(self, name):
        assert type(get_engine(name).params) is ENGINES[name].params_type
        # a base TopKParams is converted, keeping its shared fields
        assert get_engine(name, TopKParams(parallelism=4)).params == engine_params(name, parallelism=4)

    def test_another_engines_field_is_refused(self):
        with pytest.raises(ValueError, match=r"^max_k is not a parameter of QuickSelectParams$"):
            get_engine("quickselect", engine_params("streaming", max_k=3))

    def test_own_bounds(self):
        with pytest.raises(ValueError, match=r"^pivot_seed must be below 65536, not 65536$"):
            engine_params("quickselect", pivot_seed=65536)
        with pytest.raises(ValueError, match=r"^z_frac_bits must be a positive integer, not -1$"):
            engine_params("statistical", z_frac_bits=-1)

    def test_register_checks_the_model(self):
        class Bad(TopKEngine):
            name = "bad-plan-fields"
            plan_fields = ("pivot_seed",)

        with pytest.raises(TypeError, match=r"^Bad\.plan_fields names pivot_seed, not a field of TopKParams$"):
            register(Bad)
        Bad.plan_fields, Bad.params_type = (), int
        with pytest.raises(TypeError, match=r"params_type must subclass accelsim\.topk\.params\.TopKParams"):
            register(Bad)
        assert "bad-plan-fields" not in ENGINES


class TestRegistry:
    def test_all_engines_registered(self):
        # every engine class defined in accelsim.topk's modules is registered under its name
        defined = {
            cls
            for info in pkgutil.iter_modules(accelsim.topk.__path__)
            for _, cls in inspect.getmembers(importlib.import_module(f"accelsim.topk.{info.name}"), inspect.isclass)
            if issubclass(cls, TopKEngine) and cls is not TopKEngine
        }
        assert defined and all(ENGINES.get(cls.name) is cls for cls in defined)

    def test_unknown_lists_names(self):
        with pytest.raises(
            KeyError, match="unknown top-k engine 'bogus'; expected one of: " + re.escape(", ".join(sorted(ENGINES)))
        ):
            get_engine("bogus")

    def test_engine_equality(self):
        assert get_engine("sorter") == get_engine("sorter", TopKParams())
        assert get_engine("sorter") != get_engine("quickselect")


def test_segment_sum():
    vals = np.array([1, 2, 3, 4, 5])
    assert segment_sum(vals, np.array([0, 2, 5]), np.array([2, 3, 0])).tolist() == [3, 12, 0]


def test_ceil_div():
    assert ceil_div(np.array([0, 1, 16, 17]), 16).tolist() == [0, 1, 1, 2]


class TestExactTopK:
    def test_known_answer(self):
        x = np.array([[5.0, 1.0, 9.0, 3.0]])
        assert exact_topk_mask(x, np.array([2])).tolist() == [[True, False, True, False]]

    def test_ties_keep_earliest_index(self):
        x = np.array([[2.0, 7.0, 2.0, 2.0]])
        assert exact_topk_mask(x, np.array([3])).tolist() == [[True, True, True, False]]

    def test_nan_never_selected(self):
        x = np.array([[np.nan, 1.0, 0.5]])
        assert exact_topk_mask(x, np.array([3])).tolist() == [[False, True, True]]


def test_lfsr_known_sequence():
    # Wikipedia, "Linear-feedback shift register", Galois 16-bit example from 0xACE1
    assert lfsr_sequence(0xACE1, 3).tolist() == [0xACE1, 0xE270, 0x7138]


def test_lfsr_maximal_period():
    seq = lfsr_sequence(1, 65536)
    assert len(set(seq[:65535].tolist())) == 65535 and seq[65535] == 1


@pytest.mark.parametrize("name", sorted(ENGINES))
def test_total_cycles_is_input_plus_compute(name):
    eng = get_engine(name, TopKParams(parallelism=4))
    rng = np.random.default_rng(0)
    x = rng.random((3, 10))
    sel = eng.select(x, 3, rng)
    count = np.array([len(p) for p in sel.passes])
    start = np.concatenate([[0], np.cumsum(count)[:-1]])
    flat = np.concatenate(sel.passes)
    compute = eng.cycles(np.full(3, 10), np.full(3, 3), flat, start, count)
    assert (eng.total_cycles([10] * 3, [3] * 3, sel.passes) == eng.input_cycles(np.full(3, 10)) + compute).all()


# A value of each shared field away from its default, for the plan_fields check below (an engine's own
# fields: half their default plus one, or 3 where the default is None).
SHARED_CHANGED = {"parallelism": 3, "width": 20, "index_width": 3, "fifo_depth": 2}


def _changed(field: str, info) -> int:
    if field in SHARED_CHANGED:
        return SHARED_CHANGED[field]
    return 3 if info.default is None else info.default // 2 + 1


def _selection(engine: TopKEngine) -> tuple[np.ndarray, list[list[int]], list[list[int]]]:
    rng = np.random.default_rng(0)
    scores = np.round(rng.normal(0, 40, (16, 40)))
    sel = engine.select(scores, 10, np.random.default_rng(1))
    shape = engine.passes_for_shape(np.full(8, 40), np.full(8, 10), np.random.default_rng(2))
    return sel.mask, [p.tolist() for p in sel.passes], [p.tolist() for p in shape]


@pytest.mark.parametrize("name", sorted(ENGINES))
def test_plan_fields_are_what_the_functional_model_reads(name):
    # phase 1 (and a sweep's plan cache) depends on exactly the declared fields: any other field of the
    # engine's model leaves select and passes_for_shape alone, each declared one changes them
    cls = ENGINES[name]
    fields = {k: v for k, v in cls.params_type.model_fields.items() if k != "input_parallelism"}
    assert set(cls.plan_fields) <= set(fields) and set(SHARED_CHANGED) <= set(fields)
    base = _selection(get_engine(name))
    for field, info in fields.items():
        got = _selection(get_engine(name, engine_params(name, **{field: _changed(field, info)})))
        same = all(
            np.array_equal(a, b) if isinstance(a, np.ndarray) else a == b for a, b in zip(got, base, strict=True)
        )
        assert same == (field not in cls.plan_fields), (name, field)
