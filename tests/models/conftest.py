"""Shared set-up for capture tests: skip without the torch extra, one torch thread, offline hub."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
torch = pytest.importorskip("torch", reason="the torch extra is not installed (pip install -e '.[torch]')")
pytest.importorskip("transformers", reason="the torch extra is not installed (pip install -e '.[torch]')")

torch.set_num_threads(1)  # two threads thrash on a 2-core machine
