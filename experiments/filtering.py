"""Does difficulty filtering help at equal minutes? (``make experiment-filtering``)

Difficulty filtering and DAPO's dynamic sampling against plain GRPO at equal training minutes: pass rates of
the training problems are measured with ``python -m eval --split train --n 8``, one run keeps the problems
with a pass rate in [0.125, 0.875], one drops zero-spread groups and samples more, two seeds each; held-out
gain with paired 95% intervals. Report and figure under ``outputs/experiments/filtering/``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from data.files import write_json
from eval.statistics import paired_difference, proportion_interval
from experiments import runner

# the steps by name: the findings' tests stand in for them
from experiments.runner import build_model, evaluate_once, train_once

VARIANTS = {
    "plain GRPO": [],
    "pass-rate filter": ["data.pass_rate={file: PASS_RATES, min: 0.125, max: 0.875}"],
    "dynamic sampling": ["dynamic_sampling={max_rounds: 3}"],
}


def filtering(args: argparse.Namespace) -> Path:
    out = Path(args.out)
    build_model(args.model)
    pool = runner.arithmetic_eval_args(args.pool, max_new_tokens=32)
    started = time.perf_counter()
    rates_dir = evaluate_once(
        args.model, out / "pass_rates", [*pool, "--split", "train", "--n", "8", "--temperature", "0.7"]
    )
    # A rerun finds the samples already there and takes seconds: the cost is the first measurement's.
    timing = rates_dir / "minutes.json"
    if not timing.exists():
        write_json(timing, {"minutes": (time.perf_counter() - started) / 60})
    filter_minutes = json.loads(timing.read_text())["minutes"]
    pass_rates = rates_dir / "arithmetic" / "pass_rates.jsonl"
    rates = [json.loads(line)["pass_rate"] for line in pass_rates.open()]
    before_out = Path("outputs/demo/before") if args.model == runner.MODEL else out / "before"
    held_out = runner.arithmetic_eval_args(args.limit)
    before_dir = evaluate_once(args.model, before_out, held_out)
    before = runner.correctness(before_dir)

    results: dict[str, dict[int, dict[str, Any]]] = {}
    for seed in args.seeds:
        for variant, extra in VARIANTS.items():
            run = out / f"{variant.replace(' ', '_').replace('-', '_')}_seed{seed}"
            overrides = [
                f"seed={seed}",
                "data.seed=0",  # the same training problems for every seed and variant (their pass rates were measured)
                f"data.limit={args.pool}",
                "trainer.max_steps=10000",
                "trainer.save_total_limit=1",
                f"guard.max_minutes={args.minutes}",
                # equal minutes for every run: the collapse guard only warns here (a run it stopped early
                # would be compared with less training)
                "guard.action=warn",
                f"model.name_or_path={args.model}",
                *[o.replace("PASS_RATES", str(pass_rates)) for o in extra],
                *args.train_args,
            ]
            summary = train_once(run, overrides)
            after = runner.correctness(evaluate_once(summary["final_model"], run / "after", held_out))
            results.setdefault(variant, {})[seed] = {
                "summary": summary,
                "after": after,
                "history": runner.log_history(run),
                "minutes": runner.training_minutes(run),
            }

    lines = [
        "# Difficulty filtering and dynamic sampling against plain GRPO, at equal training minutes",
        "",
        f"SmolLM2-135M-Instruct, one-step arithmetic (level 1), the demo recipe ({runner.RECIPE}) with the same "
        f"{args.pool} training problems for every run (data.seed=0), {args.minutes} minutes of training each "
        f"(guard.max_minutes; the collapse guard only warns), seeds {', '.join(map(str, args.seeds))}. Held-out: {len(before)} level-1 test "
        "problems, greedy, 96 tokens, strict grading.",
        "",
        f"Pass rates: {args.pool} training problems x 8 samples (T=0.7, 32 tokens) took {filter_minutes:.0f} "
        f"minutes; {sum(r == 0 for r in rates)} never solved, {sum(0 < r < 1 for r in rates)} sometimes, "
        f"{sum(r == 1 for r in rates)} always; the filter keeps {sum(0.125 <= r <= 0.875 for r in rates)} "
        "(pass rate in [0.125, 0.875]).",
        "",
        f"Before training: {proportion_interval(before)[0]:.1%}.",
        "",
        "| variant | seed | steps | minutes | held-out after | change (paired 95% CI) |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for variant, seeds in results.items():
        for seed, result in seeds.items():
            diff, low, high = paired_difference(before, result["after"])
            lines.append(
                f"| {variant} | {seed} | {result['summary']['global_step']} | {result['minutes']:.1f} | "
                f"{proportion_interval(result['after'])[0]:.1%} | {100 * diff:+.1f} ({100 * low:+.1f} to {100 * high:+.1f}) |"
            )
    lines += [
        "",
        "Mean over seeds, and each variant against plain GRPO on the same problems (paired 95% CI):",
        "",
    ]
    lines += ["| variant | mean after | vs plain GRPO (pooled over seeds) |", "| --- | --- | --- |"]
    plain = results["plain GRPO"]
    for variant, seeds in results.items():
        mean_after = sum(proportion_interval(r["after"])[0] for r in seeds.values()) / len(seeds)
        if variant == "plain GRPO":
            lines.append(f"| {variant} | {mean_after:.1%} | |")
            continue
        pooled_before = {f"{s}:{k}": v for s, r in plain.items() for k, v in r["after"].items()}
        pooled_after = {f"{s}:{k}": v for s, r in seeds.items() for k, v in r["after"].items()}
        diff, low, high = paired_difference(pooled_before, pooled_after)
        lines.append(
            f"| {variant} | {mean_after:.1%} | {100 * diff:+.1f} ({100 * low:+.1f} to {100 * high:+.1f}) |"
        )
    figure = _filtering_figure(out, results, rates)
    lines += [
        "",
        f"Figure: {figure}",
        f"Filter cost not counted in the training minutes: {filter_minutes:.0f} minutes.",
        "Dynamic sampling keeps a group when its summed reward (accuracy + format) has spread: a group of "
        "wrong answers in different formats counts as informative.",
    ]
    return runner.write_report(out, lines)


def _filtering_figure(out: Path, results: dict, rates: list[float]) -> Path:
    plt = runner.pyplot()
    figure, (left, right) = plt.subplots(1, 2, figsize=(12, 4))
    left.hist(rates, bins=[i / 8 - 1 / 16 for i in range(10)], color="tab:gray")
    left.set_xlabel("pass rate of a training problem (8 samples)")
    left.set_ylabel("problems")
    for variant, seeds in results.items():
        for seed, result in seeds.items():
            history = result["history"]
            right.plot(
                [sum(e.get("step_time", 0) for e in history[: i + 1]) / 60 for i in range(len(history))],
                [e.get("rewards/accuracy/mean") for e in history],
                label=f"{variant}, seed {seed}",
                alpha=0.8,
            )
    right.set_xlabel("training minutes")
    right.set_ylabel("training accuracy reward")
    right.legend(fontsize=8)
    right.grid(alpha=0.3)
    return runner.save_figure(figure, out / "filtering.png")


def main(argv: list[str] | None = None) -> int:
    from data.cli import ArgumentParser, positive_int

    parser = ArgumentParser(prog="python -m experiments.filtering", description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--minutes", type=float, default=12.0, help="training minutes per run")
    parser.add_argument(
        "--pool", type=positive_int, default=800, help="training problems (pass rates measured on all)"
    )
    parser.add_argument("--limit", type=positive_int, default=400, help="held-out problems")
    runner.add_run_arguments(parser, "outputs/experiments/filtering", model_role="the policy before training")
    filtering(parser.parse_args(argv))
    return 0


if __name__ == "__main__":
    sys.exit(main())
