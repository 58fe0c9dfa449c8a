"""Prompt text sources: a user's file, or CPython's pydoc topics, each with provenance."""

from __future__ import annotations

import hashlib
import platform
from pathlib import Path

import pytest

from accelsim.errors import InputError
from accelsim.models.text import load_text


def test_pydoc_topics_from_the_named_one_on() -> None:
    from pydoc_data.topics import topics

    text, prov = load_text("pydoc:with")
    names = sorted(topics)
    assert text.startswith(topics["with"])
    assert text.endswith(topics[names[-1]])  # runs to the last topic
    assert prov["python"] == platform.python_version()
    assert prov["first_topic"] == "with"
    assert prov["sha256"] == hashlib.sha256(text.encode()).hexdigest()


def test_unknown_pydoc_topic_lists_near_names() -> None:
    near = r"^--text: no pydoc topic 'assign' \(topics: .*assignment"
    with pytest.raises(InputError, match=near):
        load_text("pydoc:assign")


def test_file_with_its_hash(tmp_path: Path) -> None:
    path = tmp_path / "t.txt"
    path.write_text("Nothing is so useless as a general maxim.")
    text, prov = load_text(str(path))
    assert text == "Nothing is so useless as a general maxim."
    assert prov == {"source": "file", "path": str(path),
                    "sha256": hashlib.sha256(path.read_bytes()).hexdigest()}


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"^.*/nope\.txt: file does not exist$"):
        load_text(str(tmp_path / "nope.txt"))


def test_binary_file(tmp_path: Path) -> None:
    (tmp_path / "b.bin").write_bytes(b"ok\xff")
    with pytest.raises(InputError, match=r"^.*/b\.bin: not UTF-8 text \(byte 2\)$"):
        load_text(str(tmp_path / "b.bin"))
