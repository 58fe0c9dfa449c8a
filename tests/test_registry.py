"""accelsim.registry: plug-ins register once, discovery waits for the first lookup, clashes are refused."""

from __future__ import annotations

import importlib
import inspect
import os
import pkgutil
import re
import subprocess
import sys

import pytest

import accelsim.policies
import accelsim.topk
from accelsim.config.policy import PolicyConfig, policy_name
from accelsim.policies import POLICIES
from accelsim.registry import Registry
from accelsim.topk import ENGINES, TopKEngine


def _defined(package, base: type) -> list[type]:
    """Subclasses of ``base`` that the modules of ``package`` define (not import)."""
    out = []
    for mod in pkgutil.iter_modules(package.__path__):
        module = importlib.import_module(f"{package.__name__}.{mod.name}")
        out += [
            c
            for _, c in inspect.getmembers(module, inspect.isclass)
            if issubclass(c, base) and c is not base and c.__module__ == module.__name__
        ]
    return out


def test_every_policy_model_of_the_package_is_registered():
    models = _defined(accelsim.policies, PolicyConfig)
    assert models and all(POLICIES[policy_name(m)].config is m for m in models)


def test_every_engine_of_the_package_is_registered():
    engines = [c for c in _defined(accelsim.topk, TopKEngine) if not inspect.isabstract(c)]
    assert engines and all(ENGINES[c.name] is c for c in engines)


def test_discovery_waits_for_the_first_lookup():
    code = (
        "import sys, accelsim.policies, accelsim.config\n"
        "before = [m for m in sys.modules if m.startswith('accelsim.policies.')\n"
        "          and m != 'accelsim.policies.base']\n"
        "accelsim.policies.POLICIES['dense']\n"
        "print(before, 'accelsim.policies.h2o' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert out.stdout.split() == ["[]", "True"]


def test_a_name_taken_by_another_module_is_refused():
    reg: Registry[int] = Registry("timer", "accelsim")
    reg.add("a", 1, "pkg.one")
    reg.add("a", 2, "pkg.one")  # the same module again (a reload) replaces its own entry
    with pytest.raises(ValueError, match=r"^timer 'a' of pkg\.two clashes with the one of pkg\.one$"):
        reg.add("a", 3, "pkg.two")
    assert reg._items == {"a": 2}


def test_a_policy_model_names_itself_with_a_literal():
    class NoLiteral(PolicyConfig):
        name: str = "x"

    with pytest.raises(TypeError, match=r"^NoLiteral\.name must be declared as name: Literal\[<policy>\] = <policy>$"):
        policy_name(NoLiteral)
    with pytest.raises(TypeError, match=re.escape("subclass accelsim.config.policy.PolicyConfig, not <class 'int'>")):
        policy_name(int)


def installed_policy(folder, name: str, source: str) -> dict[str, str]:
    """An installed distribution (its dist-info alone) in ``folder`` declaring the policy module ``<name>_policy``
    of ``source``; the environment of a process that sees it."""
    info = folder / f"{name}_plugin-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}-plugin\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(f"[accelsim.policies]\n{name} = {name}_policy\n")
    (folder / f"{name}_policy.py").write_text(source)
    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(folder), *sys.path])}


def test_a_broken_installed_plugin_is_one_line_naming_it(tmp_path, small_trace_file):
    # an installed distribution whose accelsim.policies entry point fails to import
    env = installed_policy(tmp_path, "broken", "raise RuntimeError('no GPU here')\n")
    proc = subprocess.run(
        [sys.executable, "-m", "accelsim.cli", "run", "-w", str(small_trace_file), "--policy", "dense"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert proc.returncode == 2
    assert proc.stderr == (
        "accelsim: error: broken-plugin: field 'entry point accelsim.policies:broken': importing "
        "'broken_policy' failed: RuntimeError: no GPU here\n"
    )


LOOKUP = """
import sys
from accelsim.policies import POLICIES
from accelsim.timers import TIMERS
from accelsim.topk import ENGINES

one = {"policy": POLICIES["streaming"], "timer": TIMERS["event"], "engine": ENGINES["quickselect"]}
loaded = sorted(m for m in sys.modules if m.startswith(("accelsim.policies.", "accelsim.timers.", "accelsim.topk.")))
whole = {"policy": dict(POLICIES)["streaming"], "timer": dict(TIMERS)["event"], "engine": dict(ENGINES)["quickselect"]}
print(loaded)
print(all(one[k] is whole[k] for k in one))
"""


def test_a_shipped_name_imports_its_module_alone(tmp_path):
    # in a fresh interpreter: a lookup by a name whose module is the package's <name> imports that module
    # (and what it imports), not every plug-in; full discovery afterwards finds the same item
    run = subprocess.run([sys.executable, "-c", LOOKUP], capture_output=True, text=True, check=True)
    loaded, same = run.stdout.splitlines()
    assert "accelsim.policies.streaming" in loaded and "accelsim.policies.h2o" not in loaded
    assert "accelsim.timers.event" in loaded and "accelsim.timers.fast" not in loaded
    assert "accelsim.topk.quickselect" in loaded and "accelsim.topk.sorter" not in loaded
    assert same == "True"
    # where an installed distribution declares policies, one of which could take the name: every module
    env = installed_policy(tmp_path, "other", "")
    run = subprocess.run([sys.executable, "-c", LOOKUP], capture_output=True, text=True, check=True, env=env)
    assert "accelsim.policies.h2o" in run.stdout.splitlines()[0]
