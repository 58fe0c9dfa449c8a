"""``accelsim trace``: capture traces from local Hugging Face models, and describe trace files."""

from __future__ import annotations

import os
import platform
import shlex
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from accelsim.cli._tables import Cell, Format, FormatOption, Sheet, emit
from accelsim.errors import InputError

trace_app = typer.Typer(help="Capture attention traces from models; describe trace files.",
                        no_args_is_help=True)

NO_TORCH = "capture needs the torch extra: pip install -e '.[torch]' (see the README)"


def register(app: typer.Typer) -> None:
    """Add the ``trace`` command group to ``app``."""
    app.add_typer(trace_app, name="trace")


def _version(dist: str) -> str | None:
    try:
        return version(dist)
    except PackageNotFoundError:
        return None


@trace_app.command()
def capture(
    prompt_tokens: Annotated[int, typer.Option(help="Prompt length T in tokens.")],
    out: Annotated[Path, typer.Option("-o", "--out", help="Output trace (.safetensors).")],
    model: Annotated[str | None, typer.Option(help="Model directory, .gguf file, or a shorthand: "
                                                   "minilm, smollm2.")] = None,
    module: Annotated[str | None, typer.Option(help="Your own PyTorch model instead: PKG.MOD:FACTORY, "
                                                    "FACTORY() returning (model, tokenizer or token ids) "
                                                    "(README).")] = None,
    text: Annotated[str | None, typer.Option(help="UTF-8 text file, or pydoc:TOPIC for CPython's "
                                                  "pydoc_data.topics from TOPIC on.")] = None,
    decode_steps: Annotated[int, typer.Option(help="Greedy decode steps S.")] = 0,
    fp32: Annotated[bool, typer.Option("--fp32", help="Store float32 (default float16).")] = False,
) -> None:
    """Capture a trace from a local model: prefill on T tokens of a text, then S greedy steps.

    Every layer's attention inputs (Q and K after RoPE, V, masks) are written to a safetensors
    trace, float16 unless --fp32. --model runs a Hugging Face model; --module any PyTorch model
    whose attention calls F.scaled_dot_product_attention or nn.MultiheadAttention.
    """
    import numpy as np

    from accelsim.models.text import load_text
    from accelsim.outputs import check_output

    if prompt_tokens < 1:
        raise InputError("--prompt-tokens", None, f"must be at least 1, not {prompt_tokens}")
    if decode_steps < 0:
        raise InputError("--decode-steps", None, f"must be at least 0, not {decode_steps}")
    if not out.parent.is_dir():
        raise InputError(out, None, "output directory does not exist")
    check_output(out, "file", "--out")
    if (model is None) == (module is None):
        raise InputError("--model", None, "give one of --model NAME_OR_DIR or --module PKG.MOD:FACTORY")
    if module is not None:
        _capture_module(module, text, prompt_tokens, out, decode_steps, fp32)
        return
    if text is None:
        raise InputError("--text", None, "required with --model")
    body, text_provenance = load_text(text)
    # Models are local directories or files: never ask a hub (set before transformers loads).
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    try:
        import torch  # noqa: F401 (the torch extra is installed)

        from accelsim.models.capture import CaptureError
        from accelsim.models.capture import capture as run_capture
        from accelsim.models.loading import SHORTHANDS, load_model, resolve_model
    except ImportError:
        raise InputError("--model", None, NO_TORCH) from None

    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()  # our own progress display replaces transformers' bars
    hf_logging.disable_progress_bar()
    console = Console(stderr=True)
    source = resolve_model(model)
    with console.status(f"loading {model} (a GGUF file is converted to fp32 once, ~30 s)"):
        net, tokenizer = load_model(source)
    cfg = net.config.get_text_config()
    limit = getattr(cfg, "max_position_embeddings", None)
    if limit is not None and prompt_tokens + decode_steps > limit:
        raise InputError("--prompt-tokens", None, f"T + S = {prompt_tokens + decode_steps} exceeds "
                                                   f"the model's {limit} positions")
    if decode_steps and net.get_output_embeddings() is None:
        raise InputError("--decode-steps", None,
                         f"{type(net).__name__} has no LM head: it cannot decode (use 0)")
    ids = tokenizer(body, truncation=True, max_length=prompt_tokens)["input_ids"]
    if len(ids) < prompt_tokens:
        raise InputError("--text", None, f"the text has only {len(ids)} tokens, "
                                         f"fewer than --prompt-tokens {prompt_tokens}")

    command = ["accelsim", "trace", "capture", "--model", model, "--text", text,
               "--prompt-tokens", str(prompt_tokens),
               *(["--decode-steps", str(decode_steps)] if decode_steps else []),
               *(["--fp32"] if fp32 else []), "-o", out.name]
    shorthand = SHORTHANDS.get(model)
    provenance: dict[str, Any] = {
        "text": text_provenance,
        "model": {"source": model, "class": type(net).__name__,
                  **({"package": shorthand.dist, "package_version": _version(shorthand.dist),
                      "hub_id": shorthand.hub_id} if shorthand else {}),
                  **({"gguf_file": source.gguf_file} if source.gguf_file else {})},
        "command": shlex.join(command),
        "software": _software(),
    }
    layers = cfg.num_hidden_layers
    with Progress(TextColumn("[progress.description]{task.description}"), BarColumn(),
                  MofNCompleteColumn(), TimeElapsedColumn(), console=console) as bar:
        task = bar.add_task("capturing attention calls", total=layers * (1 + decode_steps))
        try:
            result = run_capture(net, ids, decode_steps=decode_steps,
                                 dtype=np.float32 if fp32 else np.float16,
                                 model_name=shorthand.hub_id if shorthand else model,
                                 provenance=provenance, on_layer=lambda: bar.advance(task),
                                 out=out)
        except CaptureError as err:
            raise InputError(source.path, None, f"cannot capture this model: {err}") from None
    _wrote(out, result.trace.meta, console)


def _software() -> dict[str, Any]:
    import torch

    return {
        "accelsim": _version("accelsim"),
        "torch": torch.__version__,
        "transformers": _version("transformers"),
        "python": platform.python_version(),
    }


def _write(out: Path, trace: Any, console: Console) -> None:
    """Write the captured trace and say what it holds."""
    from accelsim.trace.format import write_trace

    write_trace(out, trace)
    _wrote(out, trace.meta, console)


def _wrote(out: Path, m: Any, console: Console) -> None:
    """Say what the written trace holds."""
    console.print(
        f"wrote {out}: {m.layers} layers, {m.heads} heads / {m.kv_heads} KV heads, "
        f"d={m.head_dim}, T={m.prompt_len}, S={m.decode_steps}, "
        f"{out.stat().st_size / 1e6:.1f} MB"
    )


def _capture_module(spec: str, text: str | None, prompt_tokens: int, out: Path, decode_steps: int, fp32: bool) -> None:
    """``capture --module``: a user's PyTorch model from ``FACTORY()`` (accelsim.models.factory)."""
    import numpy as np

    from accelsim.models.text import load_text

    try:
        from accelsim.models.capture import CaptureError
        from accelsim.models.factory import load_factory, prompt_ids
        from accelsim.models.torch_capture import capture_module
    except ImportError:
        raise InputError("--module", None, NO_TORCH) from None
    body, text_provenance = load_text(text) if text is not None else (None, {"source": "token ids from " + spec})
    console = Console(stderr=True)
    with console.status(f"calling {spec}()"):
        net, tokenizer_or_ids = load_factory(spec)
    ids = prompt_ids(tokenizer_or_ids, body, prompt_tokens)
    command = [
        "accelsim",
        "trace",
        "capture",
        "--module",
        spec,
        *(["--text", text] if text else []),
        "--prompt-tokens",
        str(prompt_tokens),
        *(["--decode-steps", str(decode_steps)] if decode_steps else []),
        *(["--fp32"] if fp32 else []),
        "-o",
        out.name,
    ]
    provenance: dict[str, Any] = {
        "text": text_provenance,
        "model": {"source": "--module", "module": spec, "class": type(net).__qualname__},
        "command": shlex.join(command),
        "software": _software(),
    }
    with Progress(
        TextColumn("[progress.description]{task.description}"),
        TextColumn("{task.completed:.0f}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    ) as bar:
        task = bar.add_task("attention calls captured", total=None)
        try:
            result = capture_module(
                net.eval(),
                ids,
                decode_steps=decode_steps,
                dtype=np.float32 if fp32 else np.float16,
                model_name=spec,
                provenance=provenance,
                on_layer=lambda: bar.advance(task),
            )
        except CaptureError as err:
            raise InputError("--module", None, f"cannot capture this model: {err}") from None
    _write(out, result.trace, console)


@trace_app.command()
def info(
    file: Annotated[Path, typer.Argument(help="Trace file (.safetensors).")],
    stats: Annotated[bool, typer.Option(help="Recompute attention to summarise its sparsity.")]
    = True,
    fmt: FormatOption = Format.table,
) -> None:
    """Describe a trace: shape, size, provenance and attention sparsity.

    Sparsity, per layer: the share of the keys a query may see that hold 90% / 99% of its
    attention mass, averaged over heads and queries.
    """
    import json

    from accelsim.trace.format import read_meta, read_trace
    from accelsim.trace.stats import mass_summary

    meta = read_meta(file)
    shape = Sheet("trace", "", ["field", "value"], show_header=False, left=["value"])
    size = file.stat().st_size
    masks = ("stored per layer (prefill and decode)" if meta.masked
             else "causal" if meta.causal else "full (bidirectional)")
    for key, value in [("file", str(file)), ("size", Cell(size, f"{size / 1e6:.2f} MB")), ("model", meta.model),
                       ("layers", meta.layers), ("heads", meta.heads),
                       ("KV heads", Cell(meta.kv_heads, f"{meta.kv_heads} (group {meta.group})")),
                       ("head dim", meta.head_dim), ("prompt tokens T", meta.prompt_len),
                       ("decode steps S", meta.decode_steps), ("masks", masks)]:
        shape.add(key, value)
    prov = Sheet("provenance", "provenance", ["key", "value"], left=["value"])
    for key, value in meta.provenance.items():
        prov.add(key, json.dumps(value))
    sheets = [shape, prov]
    if stats:
        trace = read_trace(file)
        dtype = trace.tensors["layers.0.prefill.q"].dtype
        summary = mass_summary(trace)
        columns = [c for c in summary[0] if c != "layer"]
        names = [c.replace("@", " @") for c in columns]
        mass = Sheet("mass", f"keys holding 90% / 99% of attention mass ({dtype}, share of keys seen)",
                     ["layer", *names], formats=dict.fromkeys(names, ".1%"))
        for row in summary:
            mass.add(row["layer"], *(row[c] for c in columns))
        sheets.append(mass)
    emit(sheets, fmt)


@trace_app.command()
def synth(
    like: Annotated[Path, typer.Option(help="Real trace to calibrate on (.safetensors).")],
    tokens: Annotated[int, typer.Option(help="Prompt length T of the synthetic trace.")],
    out: Annotated[Path, typer.Option("-o", "--out", help="Output trace (.safetensors).")],
    decode_steps: Annotated[int, typer.Option(help="Decode steps S.")] = 0,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    fp32: Annotated[bool, typer.Option("--fp32", help="Store float32 (default float16).")] = False,
) -> None:
    """Generate a synthetic trace of any length calibrated on a real one, layer by layer.

    Fits each layer's and head's score statistics on the real trace's prompt (distance profile,
    sink, key salience, noise; see docs/traces.md), then writes T + S tokens with those statistics,
    one layer in memory at a time.
    """
    import numpy as np

    from accelsim.inputs import check_budget
    from accelsim.outputs import check_output
    from accelsim.trace.calibrate import fit_profile
    from accelsim.trace.format import read_trace
    from accelsim.trace.synthetic import synthetic_like

    if tokens < 1:
        raise InputError("--tokens", None, f"must be at least 1, not {tokens}")
    if decode_steps < 0:
        raise InputError("--decode-steps", None, f"must be at least 0, not {decode_steps}")
    if not out.parent.is_dir():
        raise InputError(out, None, "output directory does not exist")
    check_output(out, "file", "--out")
    source = read_trace(like)
    m = source.meta
    check_budget("--tokens", None, 4 * (m.heads + 3 * m.kv_heads) * (tokens + decode_steps) * m.head_dim,
                 "generating one layer of this length")
    console = Console(stderr=True)
    with console.status(f"fitting {m.layers} layers x {m.heads} heads of {like}"):
        profile = fit_profile(source, "--like")
    command = ["accelsim", "trace", "synth", "--like", like.name, "--tokens", str(tokens),
               *(["--decode-steps", str(decode_steps)] if decode_steps else []),
               *(["--seed", str(seed)] if seed else []), *(["--fp32"] if fp32 else []), "-o", out.name]
    provenance = {"like": {"file": like.name, "model": m.model, "prompt_len": m.prompt_len},
                  "command": shlex.join(command)}
    with console.status(f"writing {m.layers} layers of {tokens + decode_steps} tokens"):
        trace = synthetic_like(profile, prompt_len=tokens, decode_steps=decode_steps, seed=seed,
                               dtype=np.float32 if fp32 else np.float16, provenance=provenance, out=out)
    console.print(f"wrote {out}: {trace.meta.layers} layers, T={tokens}, S={decode_steps}, "
                  f"{out.stat().st_size / 1e6:.1f} MB")
