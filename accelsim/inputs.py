"""The one gate every input file passes: a regular file, of bounded size, UTF-8 text; YAML parsed with
bounded nesting and alias expansion; sizes a file declares checked against a memory budget before
anything is allocated. Each refusal is an :class:`~accelsim.errors.InputError` that names the file.
"""

from __future__ import annotations

import math
import os
import re
import stat
from pathlib import Path
from typing import Any

import yaml

from accelsim.errors import InputError

MAX_TEXT_BYTES = 256 << 20
"""Largest text input (configs, CSV and DRAM traces): 256 MiB, 50x the largest shipped trace (the authors'
GPT-2 CSV, 0.5 MB; a DRAMsim3 trace of the GPT-2 run, 5 MB)."""
MAX_YAML_DEPTH = 64
"""Deepest YAML nesting: a sweep file nests 5 levels, a config 3."""
MAX_YAML_NODES = 100_000
"""Most YAML nodes after alias expansion: a sweep of 10 axes x 1,000 values is 10,000."""
MEMORY_BUDGET_BYTES = 16 << 30
"""Most memory a declared shape may expand to (a workload's tensors, a trace's declared tensors): 16 GiB,
an eighth of a 128 GiB workstation; larger shapes are refused before any array is allocated."""
MAX_EXTENDS = 32
"""Longest ``extends:`` chain of configs (the presets chain at most 2)."""


def require_file(path: str | Path, limit: int = MAX_TEXT_BYTES) -> os.stat_result:
    """The status of an input file of at most ``limit`` bytes: a regular file or a pipe (``<(...)``), not a
    directory or a device."""
    path = Path(path)
    try:
        st = path.stat()
    except FileNotFoundError:
        raise InputError(path, None, "file does not exist") from None
    except OSError as err:
        raise InputError(path, None, f"cannot read file ({err.strerror})") from None
    if not (stat.S_ISREG(st.st_mode) or stat.S_ISFIFO(st.st_mode)):
        kind = "a directory" if stat.S_ISDIR(st.st_mode) else "a device or socket"
        raise InputError(path, None, f"expected a file, got {kind}")
    if st.st_size > limit:
        raise InputError(path, None, f"file of {st.st_size:,} bytes is larger than the {limit:,}-byte limit")
    return st


def read_bytes(path: str | Path, limit: int = MAX_TEXT_BYTES) -> bytes:
    """The bytes of an input file (see :func:`require_file`), read without trusting its reported size."""
    path = Path(path)
    require_file(path, limit)
    try:
        with open(path, "rb") as f:
            # at most limit + 1 bytes, in a first buffer no larger than the file says it is: its size
            # only sizes that buffer (a pipe says 0, a growing file more than it said: read on)
            size = min(limit, os.fstat(f.fileno()).st_size) + 1
            data = f.read(size)
            if len(data) == size:
                data += f.read(limit + 1 - size)
    except OSError as err:
        raise InputError(path, None, f"cannot read file ({err.strerror})") from None
    if len(data) > limit:
        raise InputError(path, None, f"file is larger than the {limit:,}-byte limit")
    return data


def decode_utf8(data: bytes, source: str | Path) -> str:
    """``data`` as UTF-8 text (a leading BOM dropped); NUL bytes or another encoding are refused."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise InputError(
            source,
            None,
            f"not UTF-8 text (byte 0x{data[err.start]:02x} at offset {err.start}); accelsim reads UTF-8 only",
        ) from None
    if "\x00" in text:
        raise InputError(source, None, f"binary data (a NUL byte at offset {text.index(chr(0))}); expected UTF-8 text")
    return text


def read_text(path: str | Path, limit: int = MAX_TEXT_BYTES) -> str:
    """A UTF-8 text file of at most ``limit`` bytes (see :func:`read_bytes`, :func:`decode_utf8`)."""
    return decode_utf8(read_bytes(path, limit), path)


class BoundedLoader(yaml.CSafeLoader if yaml.__with_libyaml__ else yaml.SafeLoader):
    """SafeLoader (libyaml's parser and composer where PyYAML has them) that refuses duplicate keys and
    documents that expand to more than ``MAX_YAML_NODES`` nodes through aliases (a "billion laughs");
    :func:`parse_yaml` refuses nesting deeper than ``MAX_YAML_DEPTH`` before it composes."""

    def get_single_node(self) -> Any:
        node = super().get_single_node()
        if node is not None:
            _expanded_size(node, {}, set())
        return node


def _check_depth(text: str) -> None:
    """ComposerError where ``text`` nests deeper than ``MAX_YAML_DEPTH``, found from the parser's events
    (a stream, however deep) before any composer recurses into it."""
    depth = 0  # of the collections open; a node inside them is one deeper
    for event in yaml.parse(text, Loader=BoundedLoader):
        if isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
        elif isinstance(event, yaml.NodeEvent):
            if depth + 1 > MAX_YAML_DEPTH:
                raise yaml.composer.ComposerError(
                    None, None, f"nested deeper than {MAX_YAML_DEPTH} levels", event.start_mark
                )
            depth += isinstance(event, yaml.CollectionStartEvent)


def _expanded_size(node: yaml.Node, sizes: dict[int, int], open_: set[int]) -> int:
    """Nodes of ``node`` with every alias expanded; ComposerError past ``MAX_YAML_NODES`` or on a cycle."""
    key = id(node)
    if key in sizes:
        return sizes[key]
    if key in open_:
        raise yaml.composer.ComposerError(None, None, "an alias refers to a node that contains it", node.start_mark)
    open_.add(key)
    total = 1
    if isinstance(node, yaml.SequenceNode):
        total += sum(_expanded_size(child, sizes, open_) for child in node.value)
    elif isinstance(node, yaml.MappingNode):
        total += sum(_expanded_size(k, sizes, open_) + _expanded_size(v, sizes, open_) for k, v in node.value)
    open_.discard(key)
    if total > MAX_YAML_NODES:
        raise yaml.composer.ComposerError(
            None, None, f"expands to more than {MAX_YAML_NODES:,} nodes (aliases included)", node.start_mark
        )
    sizes[key] = total
    return total


def _construct_mapping(loader: BoundedLoader, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        try:
            if key in seen:
                raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r}", key_node.start_mark)
            seen.add(key)
        except TypeError:  # an unhashable key: the constructor names it
            break
    return loader.construct_mapping(node, deep=deep)


BoundedLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
BoundedLoader.add_implicit_resolver(  # YAML 1.2 floats: 1e9 and 1e-12 are numbers, not strings as in YAML 1.1
    "tag:yaml.org,2002:float", re.compile(r"^[-+]?(?:[0-9][0-9_]*)(?:\.[0-9_]*)?[eE][-+]?[0-9]+$"), list("-+0123456789")
)


def _check_brackets(text: str, source: str | Path) -> None:
    """Refuse more than ``MAX_YAML_DEPTH`` open brackets before the parser sees them: PyYAML's scanner takes
    time quadratic in the flow depth (1.8 s at 5,000) before the composer's own bound applies. Brackets in
    quoted strings count too; a config holds no such strings."""
    import numpy as np

    raw = np.frombuffer(text.encode("utf-8", "surrogatepass"), np.uint8)
    step = np.isin(raw, (ord("["), ord("{"))).astype(np.int32) - np.isin(raw, (ord("]"), ord("}")))
    if len(step) and int(np.cumsum(step).max()) > MAX_YAML_DEPTH:
        raise InputError(source, None, f"malformed YAML: brackets nested deeper than {MAX_YAML_DEPTH} levels")


def parse_yaml(text: str, source: str | Path) -> Any:
    """Parse YAML ``text`` with :class:`BoundedLoader`; any failure is one line naming ``source``."""
    _check_brackets(text, source)
    try:
        _check_depth(text)
        return yaml.load(text, Loader=BoundedLoader)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark is not None else ""
        problem = getattr(err, "problem", None) or str(err)
        raise InputError(source, None, f"malformed YAML: {where}{problem}") from None
    except RecursionError:
        raise InputError(source, None, "malformed YAML: nested too deeply") from None


def read_yaml(path: str | Path) -> Any:
    """Parse a YAML file (UTF-8, bounded in size, nesting and alias expansion)."""
    return parse_yaml(read_text(path), path)


def check_budget(source: str | Path | None, field: str | None, nbytes: float, what: str) -> None:
    """Refuse a declared shape whose arrays would take more than ``MEMORY_BUDGET_BYTES``."""
    if not math.isfinite(nbytes) or nbytes > MEMORY_BUDGET_BYTES:
        raise InputError(
            source,
            field,
            f"{what} would take {nbytes / 2**30:,.1f} GiB, more than the {MEMORY_BUDGET_BYTES >> 30} GiB memory budget",
        )


def content_key(path: str | Path) -> tuple[str, int, int, int, int]:
    """What identifies a file's content for caches: resolved path, device, inode, size and mtime (ns); an
    edit or a replacement changes it."""
    st = os.stat(path)
    return str(Path(path).resolve()), st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns
