"""The GPU path, checked on a GPU: ``make gpu-check`` (``python -m recipes.gpu_check``), a few minutes.

Every paper recipe runs on GPUs, where the CPU tests never go: bf16, CUDA generation with stop strings,
the precision policy. This runs the things that went wrong there before, and the decoder that never ran
there, on the tiny model (no download), and prints one line per check:

1. ``precision``: the smoke recipe, 2 steps at lr 1e-6 under the precision policy: full fine-tuning keeps
   fp32 master weights with bf16 compute on a GPU, so every trained tensor changes (pure bf16 weights would
   round these updates away).
2. ``r1``: the R1-Zero recipe on a tiny model first taught to write ``... </think> <answer>7</answer> and
   more``: generation stops at ``</answer>``, the completions that stopped there are not "truncated", and
   their accuracy reward (``zero_if_truncated: true``) is paid.
3. ``eval``: ``python -m eval``'s code on the same model with the R1 template: completions end at
   ``</answer>``, none is flagged as cut off, and pass@1 is above 0.
4. ``decode``: evaluation's continuous batching (eval/decode.py) on this device, with rows admitted into
   ended rows' slots and by rebuilding the batch, gives the greedy tokens ``model.generate`` gives for each
   prompt alone.

On a machine without a GPU it runs on the CPU with ``--allow-cpu`` (the test suite does this); the precision
check then expects fp32 compute. Exit code 0 when every check passed, 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parents[1]
ANSWER = "7"
TARGET = f" {ANSWER} </think> <answer>{ANSWER}</answer> and more text after the answer"


def _questions() -> list[str]:
    return [f"What is {a} + {int(ANSWER) - a}?" for a in range(1, 7)]


def _changed_share(before: Path, after: Path) -> float:
    """The share of parameter tensors whose values differ between two saved checkpoints."""
    from safetensors.torch import load_file

    old, new = load_file(str(before / "model.safetensors")), load_file(str(after / "model.safetensors"))
    changed = [not bool((old[k].float() == new[k].float()).all()) for k in old]
    return sum(changed) / len(changed)


def check_precision(out: Path, gpu: bool) -> str:
    from recipes.train import train

    summary = train(
        str(ROOT / "recipes" / "smoke.yaml"),
        [f"output_dir={out}", "trainer.max_steps=2", "trainer.learning_rate=1e-6", "trainer.save_steps=100"],
    )
    info = json.loads((out / "run_info.json").read_text())["precision"]
    expected = "bf16 autocast" if gpu else "fp32"
    assert info["weights"] == "float32" and info["compute"] == expected, (
        f"precision is {info}, expected fp32 weights, {expected}"
    )
    share = _changed_share(out / "tiny-model-init", Path(summary["final_model"]))
    assert share == 1.0, f"only {share:.0%} of the weight tensors changed after 2 steps at lr 1e-6"
    return f"weights {info['weights']}, compute {info['compute']}; {share:.0%} of weight tensors changed at lr 1e-6"


def fitted_model(out: Path, device: str) -> Path:
    """The tiny model, taught to answer every question with TARGET after the R1 prompt; saved to ``out``."""
    import data
    from recipes.tiny_model import build_tiny_model, fit_to_texts

    model, tokenizer = build_tiny_model(seed=0)
    prompts = [data.get_template("r1_drgrpo").apply(q) for q in _questions()]
    fit_to_texts(model.to(device), tokenizer, [p + TARGET for p in prompts], steps=150)
    model.to("cpu").save_pretrained(out)
    tokenizer.save_pretrained(out)
    with (out.parent / "sevens.jsonl").open("w") as f:
        for question in _questions():  # GSM8K's layout, so that the same file serves training and eval
            f.write(
                json.dumps({"question": question, "answer": f"{question} = {ANSWER}\n#### {ANSWER}"}) + "\n"
            )
    return out


def check_r1(out: Path, model: Path) -> str:
    from recipes.train import train
    from rewards import has_format

    train(
        str(ROOT / "recipes" / "r1zero_qwen2.5-math-1.5b.yaml"),
        [
            f"output_dir={out}",
            f"model.name_or_path={model}",
            "data.name=gsm8k",
            f"data.data_files={model.parent / 'sevens.jsonl'}",
            "data.split=train",
            "eval=null",
            "trainer.use_vllm=false",
            "trainer.per_device_train_batch_size=8",
            "trainer.steps_per_generation=1",
            "trainer.num_generations=4",
            "trainer.max_completion_length=40",
            "trainer.max_steps=2",
            "trainer.save_steps=100",
            "trainer.report_to=[]",
        ],
    )
    rows = [json.loads(line) for line in (out / "completions.jsonl").open()]
    stopped = [r for r in rows if r["completion"].endswith("</answer>")]
    formed = [r for r in stopped if has_format(r["completion"], "think_answer", think_prefilled=True)]
    assert stopped, f"no completion ended at the stop string </answer>: {rows[0]['completion']!r}"
    assert formed and all(r["rewards"]["accuracy"] == 1.0 for r in formed), (
        f"well-formed completions stopped at </answer> were not paid: {[r['rewards'] for r in formed][:4]}"
    )
    return f"{len(stopped)}/{len(rows)} completions stopped at </answer>; all {len(formed)} well-formed ones paid 1.0"


def check_eval(out: Path, model: Path) -> str:
    from eval.run import evaluate

    results = evaluate(
        str(model),
        ["gsm8k"],
        template="r1_drgrpo",
        max_new_tokens=40,
        data_files={"gsm8k": str(model.parent / "sevens.jsonl")},
        out=out,
    )
    records = [json.loads(line) for line in (out / "gsm8k" / "samples.jsonl").open()]
    texts = [c for r in records for c in r["completions"]]
    cut = sum(t for r in records for t in r["truncated"])
    assert all(t.endswith("</answer>") for t in texts), f"a completion did not stop at </answer>: {texts}"
    assert cut == 0, f"{cut} completions that stopped at </answer> were flagged as cut off"
    assert results["gsm8k"]["pass@1"] > 0, f"pass@1 is 0: {texts[:2]}"
    return f"{len(texts)} completions, all ending at </answer>, none flagged cut off; pass@1 {results['gsm8k']['pass@1']:.2f}"


def check_decode(device: str) -> str:
    from eval.decode import decode
    from recipes.tiny_model import build_stopping_model, greedy_alone

    model, tokenizer = build_stopping_model(device)
    texts = ["Q1:", "Q2:", "Q3:", "Q4:", "Q5:", "Q1:x", "Q4:", "Write Q3:", "Q2:", "A longer prompt, Q5:"] * 2
    prompts = [tokenizer(t, add_special_tokens=False)["input_ids"] for t in texts]
    decoded = decode(model, tokenizer, prompts, 12, {tokenizer.eos_token_id}, slots=8)
    same = sum(
        row.tokens == greedy_alone(model, tokenizer, ids, 12)
        for ids, row in zip(prompts, decoded, strict=True)
    )
    assert same == len(prompts), (
        f"{len(prompts) - same} of {len(prompts)} prompts decoded other tokens than generate"
    )
    return f"{same}/{len(prompts)} prompts decoded 8 rows at a time give generate's greedy tokens"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m recipes.gpu_check", description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="outputs/gpu-check", help="working folder (replaced)")
    parser.add_argument("--allow-cpu", action="store_true", help="run on the CPU when there is no GPU")
    args = parser.parse_args(argv)
    import logging
    import shutil

    import torch

    gpu = torch.cuda.is_available()
    if not gpu and not args.allow_cpu:
        print(
            "error: no GPU here; run this on a GPU machine (or pass --allow-cpu to run it on the CPU)",
            file=sys.stderr,
        )
        return 2
    logging.basicConfig(level=logging.WARNING)
    out = Path(args.out)
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    device = "cuda" if gpu else "cpu"
    print(
        f"gpu-check on {torch.cuda.get_device_name(0) if gpu else 'the CPU'} (torch {torch.__version__})",
        flush=True,
    )
    failures = 0
    model: Any = None
    checks = [
        ("precision", lambda: check_precision(out / "precision", gpu)),
        ("r1", lambda: check_r1(out / "r1", model)),
        ("eval", lambda: check_eval(out / "eval", model)),
        ("decode", lambda: check_decode(device)),
    ]
    for name, check in checks:
        started = time.perf_counter()
        try:
            if model is None and name != "precision":
                model = fitted_model(out / "model", device)
            result = f"ok    {check()}"
        except Exception as error:  # noqa: BLE001 - every check reports, whatever broke
            failures += 1
            result = f"FAIL  {type(error).__name__}: {error}"
        print(f"{name:<10} {result} ({time.perf_counter() - started:.0f} s)", flush=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
