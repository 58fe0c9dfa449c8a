"""Prompt text for capture, with its provenance: a user's file, or CPython's own documentation.

``pydoc:TOPIC`` reads ``pydoc_data.topics`` from the running Python's standard library (the text
``help()`` shows, written by the CPython documentation authors), starting at ``TOPIC`` and going on
through the following topics in sorted order, so any prompt length up to the whole corpus works
offline. The topics change between Python releases, so the provenance records the version.
"""

from __future__ import annotations

import hashlib
import platform
from pathlib import Path
from typing import Any

from accelsim.errors import InputError

PYDOC_PREFIX = "pydoc:"


def load_text(spec: str) -> tuple[str, dict[str, Any]]:
    """Return the text named by ``spec`` (a file path or ``pydoc:TOPIC``) and its provenance."""
    if spec.startswith(PYDOC_PREFIX):
        return _pydoc_text(spec.removeprefix(PYDOC_PREFIX))
    path = Path(spec)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError(path, None, "file does not exist") from None
    except OSError as err:
        raise InputError(path, None, f"cannot read file ({err.strerror})") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise InputError(path, None, f"not UTF-8 text (byte {err.start})") from None
    return text, {"source": "file", "path": str(path), "sha256": hashlib.sha256(data).hexdigest()}


def _pydoc_text(topic: str) -> tuple[str, dict[str, Any]]:
    from pydoc_data.topics import topics

    names = sorted(topics)
    if topic not in topics:
        near = [n for n in names if n.startswith(topic[:3])] or [*names[:5], "..."]
        raise InputError("--text", None, f"no pydoc topic {topic!r} (topics: {', '.join(near)})")
    used = names[names.index(topic):]
    text = "\n\n".join(topics[n] for n in used)
    provenance = {
        "source": "CPython Lib/pydoc_data/topics.py (pydoc_data.topics)",
        "python": platform.python_version(),
        "first_topic": topic,
        "topics_in_order": "sorted by name, from first_topic on, joined by blank lines",
        "sha256": hashlib.sha256(text.encode()).hexdigest(),
    }
    return text, provenance
