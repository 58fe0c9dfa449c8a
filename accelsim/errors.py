"""The one exception type that user-facing input errors travel as."""

from __future__ import annotations

from pathlib import Path


class InputError(Exception):
    """Bad user input: a file, a field in it, and what was expected.

    The CLI prints ``str(err)`` on one line and exits with code 2.
    """

    def __init__(self, source: str | Path | None, field: str | None, message: str) -> None:
        self.source = str(source) if source is not None else None
        self.field = field
        self.message = message
        super().__init__(self._format())

    def _format(self) -> str:
        parts = []
        if self.source:
            parts.append(self.source)
        if self.field:
            parts.append(f"field '{self.field}'")
        parts.append(self.message)
        return ": ".join(parts).replace("\n", " ")
