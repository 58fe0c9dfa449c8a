"""Capture tests run offline, on one torch thread (two threads thrash on a 2-core machine)."""

from __future__ import annotations

import importlib.util
import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")

if importlib.util.find_spec("torch") is not None:
    import torch

    torch.set_num_threads(1)
