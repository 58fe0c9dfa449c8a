"""The RTL components are found through their engines (``TopKEngine.rtl``): an engine with RTL is its
model's module and its component's module, with no list to edit in ``accelsim.rtl.topk``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from accelsim.rtl.topk import ENGINE_COMPONENTS
from accelsim.topk import ENGINES

ENGINE_FILE = """
from accelsim.topk import register
from accelsim.topk.sorter import Sorter


@register
class MySorter(Sorter):
    name = "mysorter"
    rtl = "my_sorter_rtl"
"""
RTL_FILE = '''
from accelsim.rtl.topk.common import register_component
from accelsim.rtl.topk.sorter import SorterTopK


@register_component("mysorter")
class MySorterTopK(SorterTopK):
    """The sorter's circuit under another engine's name."""
'''
CHECK = """
import json
import my_sorter
from accelsim.rtl.topk import ENGINE_COMPONENTS, build_component
from accelsim.topk import TopKParams

component = build_component("mysorter", TopKParams(parallelism=4, index_width=4))
print(json.dumps({"engines": sorted(ENGINE_COMPONENTS), "built": type(component).__name__}))
"""


def test_every_engine_naming_an_rtl_module_has_its_component():
    with_rtl = {name for name, engine in ENGINES.items() if engine.rtl is not None}
    assert with_rtl and set(ENGINE_COMPONENTS) == with_rtl
    for name in with_rtl:
        assert name == ENGINE_COMPONENTS[name].ENGINE


def test_an_engine_outside_the_package_brings_its_rtl(tmp_path):
    (tmp_path / "my_sorter.py").write_text(ENGINE_FILE)
    (tmp_path / "my_sorter_rtl.py").write_text(RTL_FILE)
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), str(root), os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.run([sys.executable, "-c", CHECK], capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr
    got = json.loads(proc.stdout)
    assert got == {"engines": sorted({*ENGINE_COMPONENTS, "mysorter"}), "built": "MySorterTopK"}
