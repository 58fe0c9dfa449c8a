"""Design-space sweeps: sweep YAML, expansion and search, executors, result store, Pareto fronts."""

from accelsim import facade
from accelsim.sweep.executors import EXECUTORS, Executor, get_executor, register
from accelsim.sweep.pareto import pareto_front, parse_objectives
from accelsim.sweep.runner import SweepOutcome, run_sweep
from accelsim.sweep.spec import Sweep, load_sweep
from accelsim.sweep.store import ResultStore, read_results

__all__ = ["EXECUTORS", "Executor", "ResultStore", "Sweep", "SweepOutcome", "get_executor", "load_sweep",
           "pareto_front", "parse_objectives", "read_results", "register", "run_sweep"]

facade.callable_package(__name__, facade.sweep)
