"""The input gate (accelsim/inputs.py) and the config loader on it: encodings, devices, YAML bombs,
coercions, ``extends:`` chains, empty files, memory budgets, content-keyed caches."""

from __future__ import annotations

import os

import pytest

from accelsim.config import load_hardware
from accelsim.config.workload import load_workload_spec
from accelsim.errors import InputError
from accelsim.hw.dram import load_dram
from accelsim.inputs import MAX_EXTENDS, content_key, parse_yaml, read_text
from accelsim.sweep.points import file_sha

pytestmark = pytest.mark.smoke  # part of the quick check: pytest -m smoke


def write(tmp_path, name, data):
    path = tmp_path / name
    path.write_bytes(data if isinstance(data, bytes) else data.encode())
    return path


@pytest.mark.parametrize("data", ["name: café\n".encode("latin-1"), "name: x\n".encode("utf-16"), b"\x89PNG\x00\xff"])
def test_other_encodings_are_one_line(tmp_path, data):
    with pytest.raises(
        InputError,
        match=r"^.*h\.yaml: not UTF-8 text \(byte 0x[0-9a-f]{2} at offset \d+\); "
        r"accelsim reads UTF-8 only$",
    ):
        load_hardware(write(tmp_path, "h.yaml", data))


def test_nul_bytes_and_bom(tmp_path):
    with pytest.raises(InputError, match=r"binary data \(a NUL byte at offset 5\)"):
        read_text(write(tmp_path, "n.yaml", b"name:\x00x"))
    assert read_text(write(tmp_path, "b.yaml", b"\xef\xbb\xbfname: x")) == "name: x"


def test_devices_and_directories_are_not_files(tmp_path):
    with pytest.raises(InputError, match=r"^/dev/zero: expected a file, got a device or socket$"):
        read_text("/dev/zero")
    with pytest.raises(InputError, match=r"expected a file, got a directory$"):
        read_text(tmp_path)
    with pytest.raises(InputError, match="/dev/zero: expected a file"):  # a hardware file's dram.preset
        load_dram("/dev/zero")


def test_alias_bomb_and_depth(tmp_path):
    bomb = "a: &a [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]\n" + "".join(
        f"{c}: &{c} [{', '.join([f'*{p}'] * 10)}]\n" for p, c in zip("abcdefg", "bcdefgh", strict=True)
    )
    with pytest.raises(InputError, match=r"expands to more than 100,000 nodes \(aliases included\)$"):
        parse_yaml(bomb, "s.yaml")
    with pytest.raises(InputError, match=r"brackets nested deeper than 64 levels$"):
        parse_yaml("a: " + "[" * 5000, "s.yaml")
    with pytest.raises(InputError, match=r"nested deeper than 64 levels$"):
        parse_yaml("".join(" " * i + f"k{i}:\n" for i in range(100)) + " " * 100 + "v", "s.yaml")
    with pytest.raises(InputError, match=r"line 1: nested deeper than 64 levels$"):  # before libyaml composes
        parse_yaml("- " * 100_000 + "x", "s.yaml")  # (its composer recurses in C: this deep, it would crash)
    with pytest.raises(InputError, match="an alias refers to a node that contains it"):
        parse_yaml("a: &a [*a]", "s.yaml")
    assert parse_yaml("a: &x {b: 1}\nc: *x\n", "s.yaml") == {"a": {"b": 1}, "c": {"b": 1}}


def test_yaml_1_2_floats():
    assert parse_yaml("a: 1e-12\nb: 2E+3\nc: x1e3\n", "s") == {"a": 1e-12, "b": 2000.0, "c": "x1e3"}


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("clock_ghz: .inf", r"field 'clock_ghz': Input should be a finite number, got inf$"),
        ("dram: {channel_gbs: .nan}", r"field 'dram.channel_gbs': Input should be a finite number, got nan$"),
        ("fetcher: {ports: true}", r"field 'fetcher.ports': Input should be a valid integer, got True$"),
        ("fetcher: {ports: '32'}", r"field 'fetcher.ports': Input should be a valid integer, got '32'$"),
        ("fetcher: {ports: 32.5}", r"field 'fetcher.ports': Input should be a valid integer"),
        ("topk: {count: 1000000000}", r"field 'topk.count': Input should be less than or equal to 64"),
        ("softmax: {parallelism: 1024}", r"softmax.parallelism must be at most qk.multipliers \(512\)"),
    ],
)
def test_no_coercion_no_infinity(tmp_path, line, message):
    with pytest.raises(InputError, match=message):
        load_hardware(write(tmp_path, "h.yaml", f"extends: spatten\n{line}\n"))


def test_empty_and_non_mapping_configs(tmp_path):
    with pytest.raises(InputError, match=r"e\.yaml: empty file; expected a mapping of hardware config fields$"):
        load_hardware(write(tmp_path, "e.yaml", "# nothing\n"))
    with pytest.raises(InputError, match=r"expected a mapping at the top level, got list$"):
        load_hardware(write(tmp_path, "l.yaml", "- 1\n"))


def test_relative_extends_resolve_from_the_naming_file(tmp_path, monkeypatch):
    (tmp_path / "cfg").mkdir()
    write(tmp_path / "cfg", "base.yaml", "extends: spatten\nname: from-base\n")
    child = write(tmp_path / "cfg", "child.yaml", "extends: base.yaml\nclock_ghz: 0.5\n")
    monkeypatch.chdir(tmp_path)  # base.yaml is not in the working directory
    hw = load_hardware(child)
    assert (hw.name, hw.clock_ghz) == ("from-base", 0.5)


def test_extends_chains_are_bounded(tmp_path):
    for i in range(MAX_EXTENDS + 5):
        write(tmp_path, f"c{i}.yaml", f"extends: c{i + 1}.yaml\n")
    write(tmp_path, f"c{MAX_EXTENDS + 5}.yaml", "extends: spatten\n")
    with pytest.raises(InputError, match=rf"field 'extends': a chain of more than {MAX_EXTENDS} extends$"):
        load_hardware(tmp_path / "c0.yaml")
    write(tmp_path, "a.yaml", "extends: b.yaml\n")
    write(tmp_path, "b.yaml", "extends: a.yaml\n")
    with pytest.raises(InputError, match=r"circular extends through 'b\.yaml'"):
        load_hardware(tmp_path / "a.yaml")


def test_workload_shapes_are_budgeted_before_allocation(tmp_path):
    shape = "kind: synthetic\nmodel: m\nsource: s\nlayers: 1\nheads: {h}\nkv_heads: {g}\nhead_dim: 8\nprompt_len: {t}\n"
    with pytest.raises(
        InputError,
        match=r"field 'prompt_len': generating this workload would take [\d,.]+ GiB, "
        r"more than the 16 GiB memory budget$",
    ):
        load_workload_spec(write(tmp_path, "w.yaml", shape.format(h=1, g=1, t=10**8)))
    with pytest.raises(InputError, match=r"heads \(5\) must be a multiple of kv_heads \(2\)$"):
        load_workload_spec(write(tmp_path, "w.yaml", shape.format(h=5, g=2, t=16)))


def test_workload_hash_follows_the_content(tmp_path):
    path = write(tmp_path, "w.csv", "a\n")
    first = file_sha(str(path))
    key = content_key(path)
    path.write_text("b\n")  # same size, same name
    os.utime(path, ns=(key[4] + 10**9, key[4] + 10**9))
    assert file_sha(str(path)) != first
