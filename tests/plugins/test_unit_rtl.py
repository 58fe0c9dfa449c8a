"""A plug-in unit's RTL through ``accelsim rtl``: the example package's ``kvwrite`` (its quantizer in
``kvwrite_rtl.py``, found through ``KvWrite.rtl``) is verified by the streaming units' cocotb bench
against the unit's own numpy and cycle models, installed as a user would."""

from __future__ import annotations

import json

import pytest

from accelsim.rtl.topk.harness import require_tool
from tests.plugins.conftest import accelsim


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    """One Icarus build directory per parameter set, shared by this module's runs."""
    require_tool("iverilog", "iverilog")
    return tmp_path_factory.mktemp("kvwrite_rtl")


def verify(site, workdir, *args: str) -> tuple[int, dict]:
    proc = accelsim("-m", "accelsim.cli", "rtl", "verify", "kvwrite", "--workdir", workdir, "--json", *args, site=site)
    assert proc.returncode in (0, 1), proc.stderr
    return proc.returncode, json.loads(proc.stdout)


def test_verify_kvwrite_matches_its_models(example_site, workdir):
    code, report = verify(example_site, workdir, "--vectors", "200")
    assert code == 0 and report["mismatches"] == 0, report["first_mismatch"]
    assert report["vectors"] > 200  # the edge rows besides
    # the unit's cycles() and latency() are the RTL's schedule: exact on every free-flowing job
    assert report["timed_jobs"] > 0 and report["cycle_mismatches"] == 0
    assert report["jobs"] > report["timed_jobs"]  # and some jobs ran under flow control


def test_a_param_changes_the_rtl_and_it_still_verifies(example_site, workdir):
    code, report = verify(example_site, workdir, "--vectors", "50", "--param", "bits=8")
    assert code == 0 and report["mismatches"] == 0 and report["cycle_mismatches"] == 0
    assert report["params"]["bits"] == 8
    # two parameter sets, two designs: the 8-bit one's output port is narrower
    sources = {p.parent.name: p.read_text() for p in workdir.glob("kvwrite-*/unit.v")}
    assert len(sources) == 2 and len(set(sources.values())) == 2


def test_the_bench_catches_a_wrong_model(example_site, workdir):
    # round half down instead of up: the edge rows' ties tell the model from the RTL
    code = (
        "import json\n"
        "from pathlib import Path\n"
        "import accelsim_example_plugins.kvwrite as kv\n"
        "from accelsim.rtl.units import harness\n"
        "right = kv.quantize\n"
        "kv.quantize = lambda x, s, p: right(x, s, p) - ((kv.np.asarray(x) * s) % (1 << kv.SCALE_FRAC) == "
        "(1 << (kv.SCALE_FRAC - 1)))\n"
        "import accelsim_example_plugins.kvwrite_rtl as rtl\n"
        "rtl.quantize = kv.quantize\n"
        "case = harness.get_case('kvwrite', kv.KvWriteParams())\n"
        f"r = harness.verify(case, harness.vectors(case, 0, 0), Path({str(workdir)!r}))\n"
        "print(json.dumps(r.as_dict()))"
    )
    proc = accelsim("-c", code, site=example_site)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout.splitlines()[-1])["mismatches"] > 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["outquant"], "field 'UNIT': no RTL for unit 'outquant'; expected one of: "),
        (
            ["kvwrite", "--param", "lines=8"],
            "field '--param lines': not read by its RTL (the kvwrite unit's RTL reads: ",
        ),
        (["kvwrite", "--param", "latency=0"], "bad kvwrite parameters: latency must be at least 1 in RTL, not 0"),
        (["kvwrite", "--hw", "spatten"], "spatten: field 'kvwrite': no kvwrite block in this hardware config"),
        (["kvwrite", "--width", "8"], "field '--width': not a parameter of the kvwrite unit: set its fields with"),
    ],
)
def test_bad_input_is_one_line_exit_2(example_site, args, message):
    proc = accelsim("-m", "accelsim.cli", "rtl", "verify", *args, site=example_site)
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1
    assert proc.stderr.startswith(f"accelsim: error: {message}")
    if args == ["outquant"]:  # the list is the registries': kvwrite's RTL is there, and no unit without it
        assert "kvwrite" in proc.stderr.split("expected one of: ")[1].split(", ")
