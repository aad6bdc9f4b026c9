"""Benchmark: evaluation generation against plain batched ``model.generate``, in one process.

``python -m eval.bench [--model PATH] [--prompts 400] [--max-new-tokens 96] [--batch-size 32]
[--backend-batch-size N] [--repeats 2]`` generates greedily for the demo's held-out problems (400 one-step
arithmetic problems, the ``answer_is`` template, 96 new tokens, as ``make demo`` scores them) twice: with
``model.generate`` on left-padded batches of ``--batch-size`` prompts, as a plain script does, and with the
evaluation backend (eval/decode.py: continuous batching, shared prompt prefixes computed once; its own batch
unless ``--backend-batch-size`` is given), ``--repeats`` times each (2 by default) in the order plain,
backend, backend, plain, so that this machine's drift in speed over minutes cancels from the ratio. It
prints the mean seconds, generated tokens per second, the speed-up, whether the two produced the same
completions, the FLOPs each did (counted from the tokens the model's backbone processed: 2 x non-embedding
parameters per token, plus the LM head per scored position) as GFLOP/s against this machine's fp32
matrix-multiply peak, and peak memory. The default model is the demo's SmolLM2-135M-Instruct checkpoint
(``make bench`` builds it with ``python -m recipes.smollm2``).
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


def matmul_peak(size: int = 1024, repeats: int = 20) -> float:
    """This machine's fp32 matrix-multiply rate in GFLOP/s (the best of three timed runs)."""
    a, b = torch.randn(size, size), torch.randn(size, size)
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        for _ in range(repeats):
            torch.mm(a, b)
        best = min(best, time.perf_counter() - start)
    return 2 * size**3 * repeats / best / 1e9


class TokenCounter:
    """FLOPs of a model's forward passes, from the tokens its backbone processes (attention left out)."""

    def __init__(self, model):
        self.body = sum(
            p.numel() for n, p in model.named_parameters() if "embed_tokens" not in n and "lm_head" not in n
        )
        self.head = model.get_output_embeddings().weight.numel()
        self.flops = 0.0
        model.model.register_forward_pre_hook(self._count, with_kwargs=True)

    def _count(self, module, args, kwargs) -> None:
        ids = kwargs.get("input_ids", args[0] if args else None)
        if ids is not None:  # generation scores one position per row
            self.flops += 2 * self.body * ids.numel() + 2 * self.head * ids.size(0)


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


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=None)
    parser.add_argument("--prompts", type=int, default=400)
    parser.add_argument("--max-new-tokens", type=int, default=96)
    parser.add_argument("--batch-size", type=int, default=32, help="plain generate's prompts per batch")
    parser.add_argument(
        "--backend-batch-size",
        type=int,
        default=None,
        help="the backend's prompts in flight (default: its own)",
    )
    parser.add_argument(
        "--repeats",
        type=int,
        default=2,
        help="runs of each, in the order plain, backend, backend, plain, ...; seconds are their mean",
    )
    args = parser.parse_args(argv)
    if args.repeats < 1 or args.prompts < 1:
        raise SystemExit("error: --repeats and --prompts must be at least 1")
    name, model, tokenizer = _load(args.model)
    model.eval()
    counter = TokenCounter(model)
    rows = data.load("arithmetic", split="test", levels=[1], limit=args.prompts, template="answer_is")
    prompts = [render_prompt(tokenizer, row["prompt"]) for row in rows]
    settings = GenerationSettings(max_new_tokens=args.max_new_tokens)
    peak = matmul_peak()
    plain_label, ours_label = "model.generate, batched (plain)", "evaluation backend"
    runs: dict[str, list[float]] = {plain_label: [], ours_label: []}
    flops: dict[str, float] = {}
    samples: dict[str, list] = {}
    # plain, backend, backend, plain, ...: this machine's speed drifts by 10-20% over minutes, and the
    # mirrored order cancels a steady drift from the ratio of the totals.
    order = [
        (plain_label, ours_label) if i % 2 == 0 else (ours_label, plain_label) for i in range(args.repeats)
    ]
    for label in [label for pair in order for label in pair]:
        plain = label == plain_label
        size = args.batch_size if plain else args.backend_batch_size
        backend = TransformersBackend(model, tokenizer, batch_size=size, plain=plain)
        backend.generate(prompts[:2], GenerationSettings(max_new_tokens=4))  # warm-up
        counter.flops = 0.0
        start = time.perf_counter()
        samples[label] = backend.generate(prompts, settings)
        runs[label].append(time.perf_counter() - start)
        flops[label] = counter.flops
    same = sum(a[0].text == b[0].text for a, b in zip(samples[plain_label], samples[ours_label], strict=True))
    plain_s = sum(runs[plain_label])
    print(
        f"model: {name}; {len(prompts)} held-out arithmetic prompts (answer_is), greedy, max_new_tokens="
        f"{args.max_new_tokens}, plain batch {args.batch_size}, backend batch {args.backend_batch_size or 'its default'}, threads={torch.get_num_threads()}; fp32 matrix multiply: "
        f"{peak:.0f} GFLOP/s; {args.repeats} run(s) each, in the order plain, backend, backend, plain, ..."
    )
    print(
        f"{'generation':<34} {'seconds':>8} {'tokens':>7} {'tokens/s':>9} {'GFLOP/s':>8} {'of peak':>8} {'speed-up':>9}"
        "  each run (s)"
    )
    for label, seconds in runs.items():
        tokens = sum(s[0].tokens for s in samples[label])
        mean = sum(seconds) / len(seconds)
        rate = flops[label] / mean / 1e9
        print(
            f"{label:<34} {mean:8.2f} {tokens:7d} {tokens / mean:9.0f} {rate:8.0f} {rate / peak:8.0%} "
            f"{plain_s / sum(seconds):8.2f}x  " + ", ".join(f"{t:.1f}" for t in seconds)
        )
    print(f"identical completions: {same}/{len(prompts)}")
    print(f"peak memory (RSS): {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
