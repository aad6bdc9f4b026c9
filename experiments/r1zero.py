"""Does the R1-Zero format come from rewards alone? (``make finding-r1zero``; DeepSeek-R1 §2.2): the
<think>/<answer> format learned from rule-based rewards alone (accuracy, format, tag count) with the R1-Zero
template: format compliance, accuracy and response length before, during and after training. Report and
figure under ``outputs/experiments/r1zero/``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from experiments.runner import (
    MODEL,
    build_model,
    evaluate_once,
    log_history,
    pyplot,
    train_once,
    write_report,
)

R1ZERO_OVERRIDES = [
    "data.template=r1_zero",
    "rewards=[{name: accuracy, params: {extract: answer_tag}}, {name: format, weight: 0.5}, {name: tag_count, weight: 0.5}]",
    "trainer.max_completion_length=64",
    "trainer.temperature=1.0",
]


def r1zero(args: argparse.Namespace) -> Path:
    out = Path(args.out)
    build_model(args.model)
    evaluation = [
        "--benchmarks",
        "arithmetic",
        "--levels",
        "1",
        "--template",
        "r1_zero",
        "--limit",
        str(args.limit),
    ]
    evaluation += ["--max-new-tokens", "128", "--extract", "answer_tag"]
    before = evaluate_once(args.model, out / "before", evaluation)
    summary = train_once(
        out / "seed0",
        [
            f"seed={args.seed}",
            f"model.name_or_path={args.model}",
            "trainer.max_steps=10000",
            "trainer.save_total_limit=1",
            f"guard={{max_minutes: {args.minutes}}}",
            *R1ZERO_OVERRIDES,
            *args.train_args,
        ],
    )
    after = evaluate_once(summary["final_model"], out / "after", evaluation)
    metrics = {
        label: json.loads((folder / "metrics.json").read_text())["benchmarks"]["arithmetic"]
        for label, folder in (("before", before), ("after", after))
    }
    history = log_history(out / "seed0")
    figure = _r1zero_figure(out, history)
    lines = [
        "# R1-Zero's format from rewards alone, on this CPU",
        "",
        f"SmolLM2-135M-Instruct with DeepSeek-R1's R1-Zero template as plain text (`r1_zero`: no chat template, "
        f"no prefilled <think>), level-1 arithmetic, rewards: accuracy inside <answer> (1.0), the "
        f"<think>...</think><answer>...</answer> format (0.5), tag count (0.5); {args.minutes} minutes of "
        f"training (seed {args.seed}), {summary['global_step']} steps. Held-out: {args.limit} problems, greedy, "
        "128 tokens.",
        "",
        "| | format compliance | accuracy (answer in <answer>) | accuracy, lenient | mean length (tokens) | "
        "cut at the limit | with " + " / ".join(TAGS) + " |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for (label, m), folder in zip(metrics.items(), (before, after), strict=True):
        low, high = m["pass@1_ci95"]
        shares = " / ".join(f"{share:.1%}" for share in tag_shares(folder / "arithmetic" / "samples.jsonl"))
        lines.append(
            f"| {label} | {m.get('format_compliance', 0):.1%} | {m['pass@1']:.1%} [{low:.1%}, {high:.1%}] | "
            f"{m.get('pass@1_lenient', 0):.1%} | {m.get('mean_completion_tokens', 0):.0f} | "
            f"{m.get('truncated_share', 0):.1%} | {shares} |"
        )
    if history:
        first, last = history[0], history[-1]
        lines += [
            "",
            "During training (first -> last logged step): format reward "
            f"{first.get('rewards/format/mean', 0):.2f} -> {last.get('rewards/format/mean', 0):.2f}, tag count "
            f"{first.get('rewards/tag_count/mean', 0):.2f} -> {last.get('rewards/tag_count/mean', 0):.2f}, accuracy "
            f"{first.get('rewards/accuracy/mean', 0):.2f} -> {last.get('rewards/accuracy/mean', 0):.2f}, completion "
            f"length {first.get('completions/mean_length', 0):.0f} -> {last.get('completions/mean_length', 0):.0f} tokens.",
        ]
    lines += ["", f"Figure: {figure}"]
    return write_report(out, lines)


TAGS = ("<think>", "</think>", "<answer>", "</answer>")


def tag_shares(samples: Path) -> list[float]:
    """The share of completions in an evaluation's ``samples.jsonl`` that hold each of ``TAGS``: what of
    the format a model has picked up when it doesn't produce all of it."""
    completions = [c for line in samples.open() for c in json.loads(line)["completions"]]
    return [sum(tag in c for c in completions) / max(len(completions), 1) for tag in TAGS]


def _r1zero_figure(out: Path, history: list[dict[str, Any]]) -> Path:
    plt = pyplot()
    figure, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    steps = [e["step"] for e in history]
    for key in ("rewards/format/mean", "rewards/tag_count/mean", "rewards/accuracy/mean"):
        left.plot(steps, [e.get(key) for e in history], label=key.split("/")[1])
    left.set_xlabel("step")
    left.set_ylabel("mean reward")
    left.legend()
    left.grid(alpha=0.3)
    right.plot(steps, [e.get("completions/mean_length") for e in history], color="tab:purple")
    right.set_xlabel("step")
    right.set_ylabel("mean completion length (tokens)")
    right.grid(alpha=0.3)
    figure.tight_layout()
    path = out / "r1zero.png"
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path


def main(argv: list[str] | None = None) -> int:
    from data.cli import ArgumentParser, positive_int

    parser = ArgumentParser(prog="python -m experiments.r1zero", description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=15.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--limit", type=positive_int, default=200, help="held-out problems")
    parser.add_argument("--out", default="outputs/experiments/r1zero")
    parser.add_argument(
        "--model", default=MODEL, help="the policy before training (default: the demo's SmolLM2)"
    )
    parser.add_argument(
        "--train-args", nargs="*", default=[], help="further recipe overrides for the training runs"
    )
    r1zero(parser.parse_args(argv))
    return 0


if __name__ == "__main__":
    sys.exit(main())
