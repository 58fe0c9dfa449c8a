"""``accelsim trace capture --module PKG.MOD:FACTORY``: a user's own PyTorch model from the CLI.

Runs the shipped example (``examples/own_model/tiny_decoder.py``) end to end, and checks that every
wrong module, factory or prompt ends in one line naming the option, exit status 2.
"""

from __future__ import annotations

import itertools
import re
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

NO_EXTRA = "the torch extra is not installed (pip install -e '.[torch]')"
torch = pytest.importorskip("torch", reason=NO_EXTRA)
pytest.importorskip("transformers", reason=NO_EXTRA)

from accelsim.cli import main  # noqa: E402
from accelsim.models.text import load_text  # noqa: E402
from accelsim.models.torch_capture import capture_module  # noqa: E402
from accelsim.trace.format import read_trace  # noqa: E402

EXAMPLE = "examples.own_model.tiny_decoder:make"
_names = itertools.count()


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    """Run ``accelsim ARGS``; return (exit status, stderr)."""
    try:
        main(list(args))
        code = 0
    except SystemExit as exit_:
        code = int(exit_.code or 0)
    return code, capsys.readouterr().err


def assert_one_line_error(code: int, err: str, pattern: str) -> None:
    assert code == 2
    assert err.count("\n") == 1, err
    assert re.fullmatch(f"accelsim: error: {pattern}\n", err), err


@pytest.fixture
def user_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Write a module of the user's into the current directory; return its import name."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", list(sys.path))  # the CLI puts the current directory first

    def write(source: str) -> str:
        name = f"user_model_{next(_names)}"
        (tmp_path / f"{name}.py").write_text(textwrap.dedent(source))
        return name

    return write


MODEL = """
    import torch
    import torch.nn.functional as F
    from torch import nn

    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            torch.manual_seed(0)
            self.embed, self.qkv = nn.Embedding(40, 16), nn.Linear(16, 48)

        def forward(self, ids, cache=None):
            q, k, v = (x.unflatten(-1, (2, 8)).transpose(1, 2) for x in self.qkv(self.embed(ids)).chunk(3, -1))
            if cache is not None:
                k, v = torch.cat([cache[0], k], 2), torch.cat([cache[1], v], 2)
            out = F.scaled_dot_product_attention(q, k, v, MASK)
            return out.transpose(1, 2).flatten(2) @ self.embed.weight.T, (k, v)
"""


def model_source(mask: str = "None", factory: str = "(Model(), torch.arange(3, 23))") -> str:
    return MODEL.replace("MASK", mask) + f"\n    def make():\n        return {factory}\n"


def test_example_end_to_end(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    out = tmp_path / "tiny.safetensors"
    code, err = run(
        capsys,
        "trace",
        "capture",
        "--module",
        EXAMPLE,
        "--text",
        "pydoc:assignment",
        "--prompt-tokens",
        "16",
        "--decode-steps",
        "2",
        "--fp32",
        "-o",
        str(out),
    )
    assert code == 0, err
    assert "wrote" in err and "2 layers, 4 heads / 2 KV heads, d=32, T=16, S=2" in err
    trace = read_trace(out)
    assert trace.meta.model == EXAMPLE and trace.meta.causal
    assert trace.meta.provenance["model"] == {"source": "--module", "module": EXAMPLE, "class": "TinyDecoder"}
    assert trace.meta.provenance["command"].startswith(f"accelsim trace capture --module {EXAMPLE} --text")
    # The same capture through the library: the CLI adds nothing and loses nothing.
    from examples.own_model.tiny_decoder import make

    model, tokenizer = make()
    text, _ = load_text("pydoc:assignment")
    want = capture_module(model, tokenizer(text)[:16], decode_steps=2, dtype=np.float32).trace
    assert trace.tensors.keys() == want.tensors.keys()
    for name, tensor in want.tensors.items():
        np.testing.assert_array_equal(trace.tensors[name], tensor, err_msg=name)


def test_factory_returning_token_ids(capsys: pytest.CaptureFixture[str], user_module, tmp_path: Path) -> None:
    name = user_module(model_source())
    code, err = run(
        capsys,
        "trace",
        "capture",
        "--module",
        f"{name}:make",
        "--prompt-tokens",
        "12",
        "-o",
        str(tmp_path / "o.safetensors"),
    )
    assert code == 0, err
    trace = read_trace(tmp_path / "o.safetensors")
    assert (trace.meta.prompt_len, trace.meta.heads, trace.meta.causal) == (12, 2, False)
    assert trace.meta.provenance["text"] == {"source": f"token ids from {name}:make"}


TOKENIZER = "(Model(), lambda text: [1, 2, 3])"
BAD = {  # id: (module source or None, --module, other arguments, the one-line error)
    "missing-module": (
        None,
        "no_such_module_here:make",
        [],
        r"--module: cannot import 'no_such_module_here' \(No module named 'no_such_module_here'\)",
    ),
    "no-colon": (None, "no_colon", [], r"--module: expected PKG\.MOD:FACTORY, not 'no_colon'"),
    "no-factory": ("x = 1\n", "{name}:make", [], r"--module: module '{name}' has no callable 'make'"),
    "import-fails": (
        "raise RuntimeError('no GPU here')\n",
        "{name}:make",
        [],
        r"--module: importing '{name}' raised RuntimeError: no GPU here",
    ),
    "factory-fails": (
        "def make():\n    raise OSError('weights.bin missing')\n",
        "{name}:make",
        [],
        r"--module: {name}:make\(\) raised OSError: weights\.bin missing",
    ),
    "not-a-module": (
        "def make():\n    return 'model', None\n",
        "{name}:make",
        [],
        r"--module: {name}:make\(\) must return \(nn\.Module, tokenizer or token ids\), not str first",
    ),
    "ids-and-text": (
        model_source(),
        "{name}:make",
        ["--text", "pydoc:assignment"],
        r"--text: not used: the factory returns token ids, not a tokenizer",
    ),
    "tokenizer-no-text": (
        model_source(factory=TOKENIZER),
        "{name}:make",
        [],
        r"--text: required: the factory returns a tokenizer",
    ),
    "short-prompt": (
        model_source(factory=TOKENIZER),
        "{name}:make",
        ["--text", "pydoc:assignment"],
        r"--text: the prompt has only 3 tokens, fewer than --prompt-tokens 12",
    ),
    "float-ids": (
        model_source(factory="(Model(), torch.rand(30))"),
        "{name}:make",
        [],
        r"--module: token ids must be one sequence of integers, got torch\.float32 \[30\]",
    ),
    "bias-mask": (
        model_source(mask="torch.randn(q.shape[2], k.shape[2])"),
        "{name}:make",
        [],
        r"--module: cannot capture this model: the attention mask adds scores other than 0 and -inf "
        r"\(a bias such as ALiBi\), which a trace cannot represent",
    ),
}


@pytest.mark.parametrize(("source", "spec", "args", "pattern"), BAD.values(), ids=BAD.keys())
def test_bad_module_is_one_line(
    capsys: pytest.CaptureFixture[str],
    user_module,
    tmp_path: Path,
    source: str | None,
    spec: str,
    args: list[str],
    pattern: str,
) -> None:
    name = user_module(source) if source is not None else ""
    code, err = run(
        capsys,
        "trace",
        "capture",
        "--module",
        spec.format(name=name),
        "--prompt-tokens",
        "12",
        *args,
        "-o",
        str(tmp_path / "o.safetensors"),
    )
    assert_one_line_error(code, err, pattern.format(name=name))
    assert not (tmp_path / "o.safetensors").exists()


@pytest.mark.parametrize("models", [[], ["--model", "minilm", "--module", EXAMPLE]])
def test_exactly_one_model_source(capsys: pytest.CaptureFixture[str], tmp_path: Path, models: list[str]) -> None:
    code, err = run(
        capsys,
        "trace",
        "capture",
        *models,
        "--text",
        "pydoc:assignment",
        "--prompt-tokens",
        "8",
        "-o",
        str(tmp_path / "o.safetensors"),
    )
    assert_one_line_error(code, err, r"--model: give one of --model NAME_OR_DIR or --module PKG\.MOD:FACTORY")


def test_model_needs_text(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, err = run(
        capsys, "trace", "capture", "--model", "minilm", "--prompt-tokens", "8", "-o", str(tmp_path / "o.safetensors")
    )
    assert_one_line_error(code, err, r"--text: required with --model")
