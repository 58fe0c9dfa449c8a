"""``--module PKG.MOD:FACTORY``: a user's own PyTorch model, and its prompt, for capture.

``FACTORY()`` takes no arguments and returns ``(model, tokenizer_or_ids)``:

- ``model``: an ``nn.Module`` following :func:`accelsim.models.torch_capture.capture_module`'s
  protocol: ``model(ids)`` with ids [1, T] returns logits [1, T, V] or ``(logits, cache)``, and,
  to decode, ``model(ids, cache)`` with ids [1, 1] returns ``(logits, cache)``;
- ``tokenizer_or_ids``: either a tokenizer, called as ``tokenizer(text)`` and returning token ids
  (a list, a tensor, or a mapping with ``input_ids`` as Hugging Face tokenizers return), or the
  prompt's token ids themselves (then ``--text`` is not given).

``PKG.MOD`` is imported as ``python -m`` would: the current directory comes first on the path.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Mapping
from typing import Any

import torch
from torch import nn

from accelsim.errors import InputError

OPTION = "--module"


def load_factory(spec: str) -> tuple[nn.Module, Any]:
    """Import ``PKG.MOD``, call its ``FACTORY`` and check that it returned ``(model, tokenizer_or_ids)``."""
    name, sep, attr = spec.partition(":")
    if not (sep and name and attr):
        raise InputError(OPTION, None, f"expected PKG.MOD:FACTORY, not {spec!r}")
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        module = importlib.import_module(name)
    except ImportError as err:
        raise InputError(OPTION, None, f"cannot import {name!r} ({err})") from None
    except Exception as err:  # the user's module failed while importing
        raise InputError(OPTION, None, f"importing {name!r} raised {_describe(err)}") from None
    factory = getattr(module, attr, None)
    if not callable(factory):
        raise InputError(OPTION, None, f"module {name!r} has no callable {attr!r}")
    try:
        made = factory()
    except Exception as err:
        raise InputError(OPTION, None, f"{spec}() raised {_describe(err)}") from None
    if not (isinstance(made, tuple) and len(made) == 2 and isinstance(made[0], nn.Module)):
        got = type(made[0]).__name__ if isinstance(made, tuple) and made else type(made).__name__
        raise InputError(OPTION, None, f"{spec}() must return (nn.Module, tokenizer or token ids), not {got} first")
    return made


def prompt_ids(tokenizer_or_ids: Any, text: str | None, prompt_tokens: int) -> list[int]:
    """The first ``prompt_tokens`` token ids: the factory's own, or its tokenizer's on ``text``."""
    if isinstance(tokenizer_or_ids, torch.Tensor | list | tuple):
        if text is not None:
            raise InputError("--text", None, "not used: the factory returns token ids, not a tokenizer")
        ids, where = tokenizer_or_ids, OPTION
    else:
        if text is None:
            raise InputError("--text", None, "required: the factory returns a tokenizer")
        if not callable(tokenizer_or_ids):
            raise InputError(
                OPTION, None, f"the factory's tokenizer ({type(tokenizer_or_ids).__name__}) is not callable"
            )
        ids, where = tokenizer_or_ids(text), "--text"
        if isinstance(ids, Mapping):
            ids = ids["input_ids"]
    try:
        seq = torch.as_tensor(ids)
    except (TypeError, ValueError, RuntimeError):
        raise InputError(where, None, f"token ids must be integers, got {type(ids).__name__}") from None
    if seq.ndim == 2 and seq.shape[0] == 1:
        seq = seq[0]
    if seq.ndim != 1 or seq.is_floating_point() or seq.is_complex() or seq.dtype == torch.bool:
        raise InputError(where, None, f"token ids must be one sequence of integers, got {seq.dtype} {list(seq.shape)}")
    flat = seq.tolist()
    if len(flat) < prompt_tokens:
        raise InputError(
            where, None, f"the prompt has only {len(flat)} tokens, fewer than --prompt-tokens {prompt_tokens}"
        )
    return flat[:prompt_tokens]


def _describe(err: Exception) -> str:
    first = str(err).strip().splitlines()[0] if str(err).strip() else ""
    return f"{type(err).__name__}: {first}" if first else type(err).__name__
