"""Does GRPO sharpen or widen? (``make finding-sharpening``; DeepSeekMath §5.2.2, Fig. 7: "RL enhances
Maj@K's performance but not Pass@K"): pass@k and maj@k for k = 1..n of the model before and after the demo's
GRPO run, on the level it trained on and a harder one, with bootstrap confidence bands. Report and figure
under ``outputs/experiments/sharpening/``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from eval.statistics import curves, paired_gain
from experiments.runner import MODEL, build_model, evaluate_once, pyplot, train_once, write_report


def sharpening(args: argparse.Namespace) -> Path:
    out = Path(args.out)
    build_model(args.model)
    after = (
        args.after or train_once(Path("outputs/demo/seed0"), ["seed=0"])["final_model"]
    )  # the demo's run, reused
    models = {"before": args.model, "after GRPO": after}
    sampling = [
        "--n",
        str(args.n),
        "--temperature",
        str(args.temperature),
        "--max-new-tokens",
        "96",
        "--batch-size",
        "16",
    ]
    results: dict[int, dict[str, dict[str, Any]]] = {}
    for level in args.levels:
        for label, model in models.items():
            folder = out / f"level{level}_{label.split()[0]}"
            evaluate_once(
                model,
                folder,
                [
                    "--benchmarks",
                    "arithmetic",
                    "--levels",
                    str(level),
                    "--template",
                    "answer_is",
                    "--limit",
                    str(args.problems),
                    *sampling,
                ],
            )
            records = [json.loads(line) for line in (folder / "arithmetic" / "samples.jsonl").open()]
            results.setdefault(level, {})[label] = curves([r for r in records if r.get("correct")], args.n)
    figure = _sharpening_figure(out, results, args.n)
    lines = [
        "# Does GRPO sharpen or widen? pass@k and maj@k before and after, on this CPU",
        "",
        f"{args.model} before and after GRPO ({after}; the demo trains on level-1 arithmetic). {args.problems} "
        f"held-out problems per level, n={args.n} samples each at temperature {args.temperature} (DeepSeekMath "
        "Fig. 7 samples at 0.7), 96 tokens, strict grading; maj@k averages random k-subsets; 95% bootstrap "
        "intervals over problems in brackets.",
        "",
        "| level | model | pass@1 | pass@n | maj@n |",
        "| --- | --- | --- | --- | --- |",
    ]
    for level, by_model in results.items():
        for label, c in by_model.items():
            cells = [_cell(c, key, k) for key, k in (("pass", 1), ("pass", args.n), ("maj", args.n))]
            lines.append(f"| {level} | {label} | " + " | ".join(cells) + " |")
    ks = sorted({k for k in (1, 2, 4, 8, 16, 32, 64) if k < args.n} | {args.n})
    lines += [
        "",
        "Change after GRPO (after minus before, points; paired 95% bootstrap interval over problems):",
        "",
        "| level | curve | " + " | ".join(f"k={k}" for k in ks) + " |",
        "| --- | --- | " + " | ".join("---" for _ in ks) + " |",
    ]
    for level, by_model in results.items():
        before, after = list(by_model.values())
        for key in ("pass", "maj"):
            gain = paired_gain(before, after, key)
            cells = [
                f"{100 * gain[k - 1][0]:+.1f} [{100 * gain[k - 1][1]:+.1f}, {100 * gain[k - 1][2]:+.1f}]"
                for k in ks
            ]
            lines.append(f"| {level} | {key}@k | " + " | ".join(cells) + " |")
    lines += [
        "",
        "Where the after-GRPO pass@k curve meets the one before (first k where it is not above it):",
        "",
    ]
    for level, by_model in results.items():
        before, after = list(by_model.values())
        crossing = next(
            (k for k in range(1, args.n + 1) if after["pass"][k - 1] <= before["pass"][k - 1]), None
        )
        lines.append(
            f"- level {level}: "
            + (f"k = {crossing}" if crossing else f"none up to k = {args.n} (after stays above before)")
        )
    lines += ["", f"Figure: {figure}"]
    return write_report(out, lines)


def _cell(c: dict[str, Any], key: str, k: int) -> str:
    low, high = c[f"{key}_band"]
    return f"{c[key][k - 1]:.1%} [{low[k - 1]:.1%}, {high[k - 1]:.1%}]"


def _sharpening_figure(out: Path, results: dict, n: int) -> Path:
    plt = pyplot()
    figure, axes = plt.subplots(1, len(results), figsize=(6 * len(results), 4.5), squeeze=False)
    ks = list(range(1, n + 1))
    for axis, (level, by_model) in zip(axes[0], results.items(), strict=True):
        for (label, c), color in zip(by_model.items(), ("tab:gray", "tab:green"), strict=False):
            for key, style in (("pass", "-"), ("maj", "--")):
                axis.plot(ks, [100 * v for v in c[key]], style, color=color, label=f"{key}@k, {label}")
                low, high = c[f"{key}_band"]
                axis.fill_between(
                    ks, [100 * v for v in low], [100 * v for v in high], color=color, alpha=0.12
                )
        axis.set_title(f"arithmetic level {level}")
        axis.set_xlabel("k")
        axis.set_ylabel("%")
        axis.set_xscale("log", base=2)
        axis.grid(alpha=0.3)
        axis.legend(fontsize=7)
    figure.tight_layout()
    path = out / "sharpening.png"
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path


def main(argv: list[str] | None = None) -> int:
    from data.cli import ArgumentParser, positive_int

    parser = ArgumentParser(prog="python -m experiments.sharpening", description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=positive_int, default=16)
    parser.add_argument("--temperature", type=float, default=0.7)
    parser.add_argument("--problems", type=positive_int, default=64, help="held-out problems per level")
    parser.add_argument("--levels", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--out", default="outputs/experiments/sharpening")
    parser.add_argument(
        "--model", default=MODEL, help="the policy before training (default: the demo's SmolLM2)"
    )
    parser.add_argument(
        "--after",
        default=None,
        help="the trained checkpoint (default: the demo's seed-0 run, trained if missing)",
    )
    sharpening(parser.parse_args(argv))
    return 0


if __name__ == "__main__":
    sys.exit(main())
