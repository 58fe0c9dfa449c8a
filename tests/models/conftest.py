"""Shared set-up for capture tests: skip without the torch extra, one torch thread, offline hub."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
NO_EXTRA = "the torch extra is not installed (pip install -e '.[torch]')"
torch = pytest.importorskip("torch", reason=NO_EXTRA)
pytest.importorskip("transformers", reason=NO_EXTRA)

torch.set_num_threads(1)  # two threads thrash on a 2-core machine
