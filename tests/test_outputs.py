"""The output writer (accelsim/outputs.py): paths checked before work, files whole or absent, one-line
errors; and ``accelsim run``'s outputs through it."""

from __future__ import annotations

import errno
import os

import pytest

from accelsim import outputs
from accelsim.errors import InputError
from accelsim.outputs import atomic_dir, check_output, write_text
from tests.conftest import CSV_PRUNED, cli

pytestmark = pytest.mark.smoke  # part of the quick check: pytest -m smoke


def test_kinds_are_checked(tmp_path):
    with pytest.raises(InputError, match=r"^.*: field '-o': is a directory; expected a file path to write$"):
        check_output(tmp_path, "file", "-o")
    with pytest.raises(InputError, match=r"^/dev/full: is a device, pipe or socket; expected a file path to write$"):
        check_output("/dev/full")
    (tmp_path / "f").write_text("x")
    with pytest.raises(InputError, match=r"f: is a file; expected a directory to write results in$"):
        check_output(tmp_path / "f", "dir")
    with pytest.raises(InputError, match=r"out\.json: cannot use as an output \(Not a directory\)$"):
        check_output(tmp_path / "f" / "below" / "out.json")
    assert check_output(tmp_path / "new" / "deeper" / "out.json").name == "out.json"  # parents are made on write


def _full_disk(monkeypatch):
    def replace(src, dst):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(outputs.os, "replace", replace)


def test_a_full_disk_keeps_the_old_file_and_no_temp(tmp_path, monkeypatch):
    path = tmp_path / "out.json"
    path.write_text("old")
    _full_disk(monkeypatch)
    with pytest.raises(InputError, match=r"out\.json: cannot write \(No space left on device\)$"):
        write_text(path, "new")
    assert path.read_text() == "old" and sorted(p.name for p in tmp_path.iterdir()) == ["out.json"]


def test_a_failed_directory_leaves_nothing(tmp_path):
    with pytest.raises(RuntimeError), atomic_dir(tmp_path / "data") as tmp:
        (tmp / "part.parquet").write_text("half")
        raise RuntimeError("the writer failed")
    assert list(tmp_path.iterdir()) == []


def test_run_refuses_bad_outputs_before_work(tmp_path):
    (tmp_path / "adir").mkdir()
    for flag in ("-o", "--report", "--dram-trace"):
        r = cli("run", "-w", CSV_PRUNED, flag, tmp_path / "adir", "--json")
        assert r.returncode == 2 and r.stdout == ""
        assert r.stderr.splitlines() == [
            f"accelsim: error: {tmp_path / 'adir'}: field "
            f"'{'--output' if flag == '-o' else flag}': is a directory; expected a "
            "file path to write"
        ]
    assert list(tmp_path.iterdir()) == [tmp_path / "adir"]


def test_a_failed_write_removes_the_folders_it_made(tmp_path, monkeypatch):
    _full_disk(monkeypatch)
    with pytest.raises(InputError, match=r"out\.json: cannot write \(No space left on device\)$"):
        write_text(tmp_path / "a" / "b" / "out.json", "new")
    assert list(tmp_path.iterdir()) == []
