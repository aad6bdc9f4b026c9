"""Benchmark: evaluation generation throughput against a plain batch-1 ``model.generate`` loop.

``python -m eval.bench [--model PATH] [--prompts 32] [--max-new-tokens 64]`` generates greedily for the
same prompts twice in one process: once through the evaluation backend at its default batch size, once
one prompt at a time, and prints generated tokens/s of each, their ratio, and peak memory. The default
model is the demo's SmolLM2-135M-Instruct checkpoint (``make bench`` builds it with
``python -m recipes.smollm2``).
"""

from __future__ import annotations

import argparse
import resource
import time
from pathlib import Path

import torch

import data
from eval.generate import GenerationSettings, TransformersBackend, render_prompt

DEMO_MODEL = Path("models/smollm2-135m-instruct")


def _load(model: str | None):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    model = model or str(DEMO_MODEL)
    if not (Path(model) / "config.json").exists():
        raise SystemExit(
            f"error: no model at {model}; build it with python -m recipes.smollm2 (make bench does) or pass --model"
        )
    return (
        model,
        AutoModelForCausalLM.from_pretrained(model, dtype=torch.float32),
        AutoTokenizer.from_pretrained(model),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=None)
    parser.add_argument("--prompts", type=int, default=32)
    parser.add_argument("--max-new-tokens", type=int, default=64)
    args = parser.parse_args()
    name, model, tokenizer = _load(args.model)
    model.eval()
    rows = data.load("arithmetic", split="test", limit=args.prompts, template="answer_is")
    prompts = [render_prompt(tokenizer, row["prompt"]) for row in rows]
    settings = GenerationSettings(max_new_tokens=args.max_new_tokens)
    backend = TransformersBackend(model, tokenizer)
    backend.generate(
        prompts[:2], GenerationSettings(max_new_tokens=4)
    )  # the first generate call is slow: warm up

    start = time.perf_counter()
    batched = backend.generate(prompts, settings)
    batched_s = time.perf_counter() - start
    batched_tokens = sum(s[0].tokens for s in batched)

    start = time.perf_counter()
    loop_tokens = 0
    for prompt in prompts:  # the baseline: what a plain script does
        encoded = tokenizer(prompt, return_tensors="pt", add_special_tokens=False)
        with torch.inference_mode():
            output = model.generate(
                **encoded,
                max_new_tokens=args.max_new_tokens,
                do_sample=False,
                pad_token_id=tokenizer.pad_token_id or tokenizer.eos_token_id,
            )
        loop_tokens += output.shape[1] - encoded["input_ids"].shape[1]
    loop_s = time.perf_counter() - start

    print(
        f"model: {name}; {len(prompts)} arithmetic prompts, greedy, max_new_tokens={args.max_new_tokens}, threads={torch.get_num_threads()}"
    )
    print(f"{'generation':<42} {'seconds':>8} {'tokens':>7} {'tokens/s':>9} {'speed-up':>9}")
    print(
        f"{'model.generate, one prompt at a time':<42} {loop_s:8.2f} {loop_tokens:7d} {loop_tokens / loop_s:9.0f} {1.0:8.1f}x"
    )
    label = f"eval backend, batch {backend.batch_size} (default)"
    ratio = (batched_tokens / batched_s) / (loop_tokens / loop_s)
    print(f"{label:<42} {batched_s:8.2f} {batched_tokens:7d} {batched_tokens / batched_s:9.0f} {ratio:8.1f}x")
    print(f"peak memory (RSS): {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
