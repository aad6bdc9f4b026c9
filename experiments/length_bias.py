"""Does GRPO's loss lengthen incorrect responses? (``make finding-length-bias``; Dr. GRPO, Liu et al. 2025,
arXiv:2503.20783 §3.1: GRPO divides each response's loss by its length |o_i|, so a long incorrect response is
penalised less per token than a short one and incorrect responses grow longer; Dr. GRPO's constant
normaliser removes that.)

The demo recipe trained with ``trainer.loss_type=grpo`` and with ``dr_grpo``, three seeds each, everything
else equal: the accuracy reward alone (Dr. GRPO's setting; the demo's format reward pays one short shape and
would hold lengths down) and a length budget with room to grow. Per step, the mean length of the correct and
of the incorrect completions (logged by the runner's CompletionRecorder); held-out accuracy at the end.
Report and figure under ``outputs/experiments/length_bias/``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from eval.statistics import seed_interval
from experiments import findings, runner
from experiments.findings import Estimate

# the steps by name: the findings' tests stand in for them
from experiments.runner import build_model, evaluate_once, train_once
from recipes.callbacks import mean_lengths_by_correctness

LOSS_TYPES = ("grpo", "dr_grpo")
INCORRECT, CORRECT = "completions/mean_length_incorrect", "completions/mean_length_correct"
ISSUE_MAX_COMPLETION_LENGTH = 96  # the issue: a length budget with room to grow, 96 to 128 tokens


def slope(points: list[tuple[float, float]]) -> float | None:
    """The least-squares slope of y on x (tokens per step); None with fewer than two distinct x.

    >>> slope([(1, 10.0), (2, 12.0), (3, 14.0)]), slope([(1, 5.0)])
    (2.0, None)
    """
    if len({x for x, _ in points}) < 2:
        return None
    mean_x = sum(x for x, _ in points) / len(points)
    mean_y = sum(y for _, y in points) / len(points)
    spread = sum((x - mean_x) ** 2 for x, _ in points)
    return sum((x - mean_x) * (y - mean_y) for x, y in points) / spread


def growth(history: list[dict[str, Any]], key: str = INCORRECT) -> float | None:
    """How fast ``key`` (the incorrect completions' mean length) changed over a run: its slope over the steps
    that logged it, in tokens per step.

    >>> growth([{"step": 1, INCORRECT: 20.0}, {"step": 2}, {"step": 3, INCORRECT: 24.0}])
    2.0
    """
    return slope([(e["step"], e[key]) for e in history if isinstance(e.get(key), (int, float))])


def verdict(grpo: Estimate, dr_grpo: Estimate, difference: Estimate, steps: int) -> str:
    """One sentence: with grpo the incorrect completions grow longer, with dr_grpo they don't.

    >>> grows, flat = Estimate(1.0, 0.5, 1.5), Estimate(0.0, -0.4, 0.4)
    >>> verdict(grows, flat, Estimate(1.0, 0.4, 1.6), 12).split(":")[0]
    'Reproduced'
    >>> verdict(Estimate(0.5, -0.5, 1.5), flat, Estimate(0.5, -0.6, 1.6), 12).split(":")[0]
    'Reproduced in direction only'
    >>> verdict(Estimate(-1.0, -1.5, -0.5), flat, Estimate(-1.0, -1.6, -0.4), 12).split(":")[0]
    'Not reproduced'
    >>> verdict(Estimate(-0.1, -0.5, 0.3), flat, Estimate(-0.1, -0.6, 0.4), 12).split(":")[0]
    "Can't tell at this scale"
    """
    told = (
        f"the incorrect completions' length changed by {grpo.number(' tokens/step')} with grpo and "
        f"{dr_grpo.number(' tokens/step')} with dr_grpo (difference {difference.number(' tokens/step')}) over {steps} "
        "steps"
    )
    if grpo.above_zero and not dr_grpo.above_zero and difference.above_zero:
        return f"Reproduced: {told}."
    if grpo.rise_excluded or difference.rise_excluded:
        return f"Not reproduced: {told}."
    if grpo.mean > 0 and difference.mean > 0:
        return f"Reproduced in direction only: {told}; the intervals over three seeds don't separate them."
    return (
        f"Can't tell at this scale: {told}; Dr. GRPO sees the growth over hundreds of policy updates, so telling "
        "needs far more steps (and more seeds to narrow the intervals)."
    )


def length_bias(args: argparse.Namespace) -> Path:
    out = Path(args.out)
    build_model(args.model)
    held_out = runner.arithmetic_eval_args(args.problems, args.max_completion_length)
    runs: dict[str, dict[int, dict[str, Any]]] = {}
    for loss_type in LOSS_TYPES:
        for seed in args.seeds:
            run = out / f"{loss_type}_steps{args.steps}_seed{seed}"
            summary = train_once(run, _training_overrides(args, loss_type, seed))
            after = evaluate_once(summary["final_model"], run / f"after_problems{args.problems}", held_out)
            runs.setdefault(loss_type, {})[seed] = {
                "summary": summary,
                "history": runner.log_history(run),
                "after": runner.samples(after),
            }
    figure = _figure(out, runs)
    return runner.write_report(out, _report(args, runs, figure))


def _training_overrides(args: argparse.Namespace, loss_type: str, seed: int) -> list[str]:
    return findings.grpo_overrides(
        args,
        seed,
        f"trainer.loss_type={loss_type}",
        "rewards=[{name: accuracy}]",
        f"trainer.max_completion_length={args.max_completion_length}",
    )


def growth_estimates(runs: dict[str, dict[int, dict[str, Any]]]) -> dict[str, Estimate]:
    """Each loss type's growth of the incorrect completions' length (tokens per step; the mean over seeds with
    a Student-t interval over seeds), and grpo's minus dr_grpo's, paired by seed (same seed, same data order)."""
    rates = {
        loss: {seed: growth(run["history"]) for seed, run in seeds.items()} for loss, seeds in runs.items()
    }
    result = {}
    for loss, by_seed in rates.items():
        values = [v for v in by_seed.values() if v is not None]
        result[loss] = Estimate(*seed_interval(values)) if values else Estimate(*(float("nan"),) * 3)
    paired = [
        rates["grpo"][s] - rates["dr_grpo"][s]
        for s in rates["grpo"]
        if rates["grpo"][s] is not None and rates["dr_grpo"].get(s) is not None
    ]
    result["difference"] = Estimate(*seed_interval(paired)) if paired else Estimate(*(float("nan"),) * 3)
    return result


def _accuracy_rows(seeds: dict[int, dict[str, Any]]) -> list[list[list[float]]]:
    """``rows[seed][problem]``: the greedy answer's correctness, on the problems every run holds."""
    by_seed = [{r["id"]: r for r in run["after"]} for run in seeds.values()]
    ids = sorted(set.intersection(*(set(d) for d in by_seed)), key=str)
    return [[[float(bool(d[i]["correct"] and d[i]["correct"][0]))] for i in ids] for d in by_seed]


def _held_out_lengths(records: list[dict[str, Any]]) -> dict[str, float]:
    lengths, scores = [], []
    for record in records:
        flags = record["correct"] if record["correct"] is not None else [None] * len(record["tokens"])
        lengths += record["tokens"]
        scores += [None if flag is None else float(flag) for flag in flags]
    return mean_lengths_by_correctness(lengths, scores)


def _update_scale(runs: dict[str, dict[int, dict[str, Any]]], max_completion_length: int) -> str:
    """How much smaller dr_grpo's updates are at the same learning rate: it divides a response's summed loss by
    max_completion_length where grpo divides by the response's length."""
    lengths = [
        e["completions/mean_length"]
        for seeds in runs.values()
        for run in seeds.values()
        for e in run["history"]
        if isinstance(e.get("completions/mean_length"), (int, float))
    ]
    if not lengths:
        return ""
    mean = sum(lengths) / len(lengths)
    return f" (here the completions averaged {mean:.0f} tokens: about {mean / max_completion_length:.0%})"


def _report(args: argparse.Namespace, runs: dict, figure: Path) -> list[str]:
    rates = growth_estimates(runs)
    lines = [
        "# Does GRPO's loss lengthen incorrect responses? grpo against dr_grpo, on this CPU",
        "",
        f"**Verdict:** {verdict(rates['grpo'], rates['dr_grpo'], rates['difference'], args.steps)}",
        "",
        f"{args.model}, the demo recipe on level-1 arithmetic with `trainer.loss_type` grpo (each response's loss "
        "divided by its own length) or dr_grpo (divided by max_completion_length), everything else equal: the "
        "accuracy reward alone, TRL's default group scaling of rewards for both (Dr. GRPO also drops it; only "
        "the length term differs here), the same learning rate. At equal learning rates dr_grpo's updates are "
        "smaller, by about the mean completion length over max_completion_length"
        + _update_scale(runs, args.max_completion_length)
        + ".",
        "",
        *findings.grpo_size_lines(args, seeds="training seeds per loss type", steps="GRPO steps per run"),
        findings.size_line(
            "max_completion_length", args.max_completion_length, issue=ISSUE_MAX_COMPLETION_LENGTH
        ),
        findings.size_line("held-out problems (greedy)", args.problems),
        "",
        "Growth: the least-squares slope of the incorrect completions' mean length over the steps of a run "
        "(tokens per step), one value per seed; the mean over seeds with a 95% Student-t interval over seeds "
        "(2 degrees of freedom for 3 seeds); grpo minus dr_grpo is paired by seed.",
        "",
        "| loss type | growth of incorrect (tokens/step) | incorrect, first -> last step | correct, first -> last step | "
        "held-out accuracy | held-out length, incorrect / correct |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for loss, seeds in runs.items():
        histories = [run["history"] for run in seeds.values()]
        ends = []
        for key in (INCORRECT, CORRECT):
            series = findings.across_seeds(histories, key)
            ends.append(f"{series[0][1]:.1f} -> {series[-1][1]:.1f}" if series else "none logged")
        [accuracy] = findings.pooled(_accuracy_rows(seeds))
        held = [_held_out_lengths(run["after"]) for run in seeds.values()]
        length = " / ".join(
            f"{sum(h[key] for h in held if key in h) / max(1, sum(key in h for h in held)):.1f}"
            for key in (INCORRECT, CORRECT)
        )
        lines.append(
            f"| {loss} | {rates[loss].number()} | {ends[0]} | {ends[1]} | {accuracy.share()} | {length} |"
        )
    lines += [
        "",
        "grpo minus dr_grpo, growth of the incorrect completions' length: "
        f"{rates['difference'].number(' tokens/step')}.",
        "Held-out accuracy: greedy, pooled over problems and seeds (95% interval from a bootstrap that "
        "resamples both). First -> last step: the mean over seeds of the first and the last logged step.",
        "",
        "| loss type | seed | steps | growth of incorrect (tokens/step) |",
        "| --- | --- | --- | --- |",
    ]
    for loss, seeds in runs.items():
        for seed, run in seeds.items():
            rate = growth(run["history"])
            shown = f"{rate:+.2f}" if rate is not None else "too few steps logged"
            lines.append(f"| {loss} | {seed} | {run['summary']['global_step']} | {shown} |")
    lines += ["", f"Figure: {figure} (lines: the mean over seeds; bands: the lowest and highest seed)."]
    return lines


def _figure(out: Path, runs: dict[str, dict[int, dict[str, Any]]]) -> Path:
    plt = runner.pyplot()
    figure, axes = plt.subplots(1, 2, figsize=(12, 4.5), sharey=True)
    for axis, key, title in (
        (axes[0], INCORRECT, "incorrect completions"),
        (axes[1], CORRECT, "correct completions"),
    ):
        for loss, color in zip(runs, ("tab:red", "tab:blue"), strict=False):
            histories = [run["history"] for run in runs[loss].values()]
            findings.plot_across_seeds(
                axis, findings.across_seeds(histories, key), f"loss_type={loss}", color
            )
        axis.set_title(title)
        axis.set_xlabel("step")
        axis.grid(alpha=0.3)
        if axis.get_legend_handles_labels()[0]:
            axis.legend(fontsize=8)
    axes[0].set_ylabel("mean completion length (tokens)")
    return runner.save_figure(figure, out / "length_bias.png")


def main(argv: list[str] | None = None) -> int:
    from data.cli import ArgumentParser, positive_int

    parser = ArgumentParser(prog="python -m experiments.length_bias", description=__doc__.splitlines()[0])
    findings.add_grpo_arguments(
        parser,
        steps=12,
        prompts_per_step=2,
        help_texts={"--seeds": "training seeds per loss type", "--steps": "GRPO steps per run"},
    )
    parser.add_argument("--max-completion-length", type=positive_int, default=ISSUE_MAX_COMPLETION_LENGTH)
    parser.add_argument("--problems", type=positive_int, default=100, help="held-out problems")
    runner.add_run_arguments(parser, "outputs/experiments/length_bias")
    length_bias(parser.parse_args(argv))
    return 0


if __name__ == "__main__":
    sys.exit(main())
