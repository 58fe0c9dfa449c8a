"""``plugins:`` in a policy, hardware or sweep YAML loads plug-in files named relative to it."""

from __future__ import annotations

import hashlib
import importlib
import json
import re
import shutil
import sys

import pytest
import yaml

from accelsim.config import load_policy
from accelsim.errors import InputError
from accelsim.registry import load_plugins
from accelsim.sweep.store import read_results
from tests.plugins.conftest import EXAMPLE, accelsim, run_json

FILES = EXAMPLE / "accelsim_example_plugins"


@pytest.fixture
def configs(tmp_path):
    """A folder with the example's files under plugins/ and YAMLs beside it that load them."""
    shutil.copytree(FILES, tmp_path / "plugins")
    (tmp_path / "policy.yaml").write_text(yaml.safe_dump({"plugins": ["plugins/sinktopk.py"], "name": "sinktopk"}))
    (tmp_path / "hw.yaml").write_text(
        yaml.safe_dump({"plugins": ["plugins/radix.py"], "extends": "spatten", "topk": {"engine": "radix"}})
    )
    return tmp_path


def test_policy_and_hardware_yaml_load_their_plugins(configs, small_trace_file):
    # run from another folder: the plug-ins' paths are relative to the YAML files
    res = run_json(
        "-w",
        small_trace_file,
        "--policy",
        configs / "policy.yaml",
        "--hw",
        configs / "hw.yaml",
        cwd=small_trace_file.parent,
    )
    assert res["policy"] == "sinktopk" and res["topk_jobs"] > 0


def test_a_sweep_yaml_loads_its_plugins(configs, small_trace_file):
    spec = {
        "version": 1,
        "name": "p",
        "timing": "event",
        "plugins": ["plugins/sinktopk.py", "plugins/radix.py", "plugins/kvenergy.py"],
        "base": {
            "hw": {"extends": "spatten", "topk": {"engine": "radix"}},
            "policy": {"name": "sinktopk"},
            "workload": str(small_trace_file),
        },
        "axes": {"policy.budget": [0.2, 0.4]},
    }
    (configs / "s.yaml").write_text(yaml.safe_dump(spec))
    proc = accelsim("-m", "accelsim.cli", "sweep", configs / "s.yaml", "-o", configs / "out", "-j", "1")
    assert proc.returncode == 0, proc.stderr
    table = read_results(configs / "out").sort_values("policy.budget")
    assert list(table["status"]) == ["ok", "ok"] and table["dram_bytes"].is_monotonic_increasing
    # the sweep's recorded YAML loads the figure file again for its report
    proc = accelsim("-m", "accelsim.cli", "report", configs / "out", "-o", configs / "r.html")
    assert proc.returncode == 0, proc.stderr
    assert "id='fig-kv_energy'" in (configs / "r.html").read_text()


@pytest.mark.parametrize(
    ("plugins", "message"),
    [
        ("x.py", "field 'plugins': expected a list of plug-in files or modules, got 'x.py'"),
        ([3], "field 'plugins.0': expected a .py file or a module name, got 3"),
        (["missing.py"], "field 'plugins.0': plug-in file '{dir}/missing.py' does not exist"),
        (["no_such_module_here"], "field 'plugins.0': no module named 'no_such_module_here'"),
        (["broken.py"], "field 'plugins.0': importing 'broken.py' failed: ZeroDivisionError: division by zero"),
    ],
)
def test_bad_plugins_name_the_file_and_entry(tmp_path, plugins, message):
    (tmp_path / "broken.py").write_text("1 / 0\n")
    path = tmp_path / "p.yaml"
    path.write_text(yaml.safe_dump({"plugins": plugins, "name": "dense"}))
    with pytest.raises(InputError, match=f"^{re.escape(f'{path}: ' + message.format(dir=tmp_path))}$"):
        load_policy(path)


WORKER = """
import json, sys
from accelsim import api
from accelsim.config import load_hardware
from accelsim.sweep.evaluate import Job, run_job
from accelsim.sweep.points import PlanKey, Point, file_sha, pairs

trace, plugin = sys.argv[1:]
hw = load_hardware("spatten")
key = PlanKey(trace, file_sha(trace), json.dumps({"name": "sinktopk"}), "both", 0, api.plan_key(hw, False))
point = Point(0, {}, "p0", pairs(hw.model_dump()), key,
              labels={"hardware": "spatten", "policy": "sinktopk", "workload": "small"})
rows = run_job(Job(key, "event", (), (point,), (plugin,))).records()
print(json.dumps([(r["status"], r["error"]) for r in rows]))
"""


def test_a_fresh_worker_loads_the_sweeps_plugins(small_trace_file):
    # a Dask worker starts without the driver's imports: the job names the plug-in files it loads
    proc = accelsim("-c", WORKER, small_trace_file, FILES / "sinktopk.py")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == [["ok", ""]]


def _package(root, top: str) -> None:
    """A package ``top`` in ``root`` whose ``unit.py`` imports a sibling by the package's name."""
    (root / top).mkdir(parents=True)
    (root / top / "__init__.py").write_text("")
    (root / top / "helper.py").write_text("VALUE = 7\n")
    (root / top / "unit.py").write_text(f"from {top}.helper import VALUE\n")


def test_a_file_in_a_package_imports_as_its_package_module(tmp_path):
    # a unit's rtl module and its own imports name the package: they resolve for a file loaded by path
    top = f"pkg_{tmp_path.name}"
    _package(tmp_path, top)
    assert load_plugins([f"{top}/unit.py"], tmp_path, None) == (str(tmp_path / top / "unit.py"),)
    assert sys.modules[f"{top}.unit"].VALUE == 7
    assert importlib.import_module(f"{top}.helper").__file__ == str(tmp_path / top / "helper.py")


def test_a_package_name_taken_by_another_folder_loads_by_path(tmp_path):
    top = f"pkg_{tmp_path.name}"
    _package(tmp_path / "a", top)
    _package(tmp_path / "b", top)
    load_plugins([f"a/{top}/unit.py"], tmp_path, None)
    (tmp_path / "b" / top / "unit.py").write_text("VALUE = 8\n")  # b's own file, not a's package
    load_plugins([f"b/{top}/unit.py"], tmp_path, None)
    assert sys.modules[f"{top}.unit"].__file__ == str(tmp_path / "a" / top / "unit.py")
    b_file = str(tmp_path / "b" / top / "unit.py")
    assert sys.modules[f"accelsim_plugin_unit_{hashlib.sha1(b_file.encode()).hexdigest()[:8]}"].VALUE == 8
