"""SFT, RFT, online RFT and GRPO at equal training budgets (``make finding-unified-paradigm``; DeepSeekMath
§5.2.1, Fig. 5): the demo's model on its arithmetic task, trained four ways from the same start, with the same
number of policy updates of the same size, the same learning rate and schedule, several seeds each; held-out
accuracy over the updates with 95% intervals. Report and figure under ``outputs/experiments/unified_paradigm/``.

The four methods differ only in their data and gradient coefficient (DeepSeekMath Table 10):

- SFT: the reference solutions of the training problems, written in the template's format (``trainer_type: sft``);
- RFT: the base model's own completions of training problems that were graded correct, sampled once before
  training (``python -m eval --split train`` -> ``python -m data.rft`` -> SFT on that file);
- online RFT: completions sampled from the current policy at every update, coefficient 1 for a right one and 0
  otherwise (``online_rft: true``);
- GRPO: the same sampling, the group-relative advantage of the rewards as coefficient (the demo recipe).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path
from typing import Any

import yaml

from data.files import write_atomic
from data.rft import provenance_path, read_evaluation, recipe_overrides, select_completions, write_rft_data
from eval.statistics import bootstrap_band, column_means, paired_difference, proportion_interval
from experiments import runner

# the steps by name: the findings' tests stand in for them
from experiments.runner import build_model, evaluate_once, train_once

METHODS = ("SFT", "RFT", "online RFT", "GRPO")
COLORS = {"SFT": "tab:gray", "RFT": "tab:orange", "online RFT": "tab:blue", "GRPO": "tab:green"}
# The demo recipe's trainer keys that mean the same for TRL's SFTConfig (the rest are GRPO's sampling keys)
SFT_TRAINER_KEYS = (
    "learning_rate",
    "lr_scheduler_type",
    "logging_steps",
    "activation_checkpointing",
    "report_to",
)
SFT_MAX_LENGTH = 512  # prompt + completion tokens; the demo's prompts are about 100, its completions 32
CLAIMS = (
    (
        "online sampling beats offline sampling",
        "online RFT",
        "RFT",
        '"the Online RFT significantly outperforms RFT on two benchmarks. Specifically, Online RFT is comparable '
        "to RFT in the early stage of training but gains an absolute advantage in the later stage, demonstrating "
        'the superiority of online training."',
    ),
    (
        "GRPO's reward-shaped coefficients beat online RFT's uniform ones",
        "GRPO",
        "online RFT",
        '"GRPO uniquely adjusts its gradient coefficient based on the reward value ... Online RFT ... does not '
        "penalize incorrect responses and uniformly reinforces all responses with correct answers at the same "
        'level of intensity." "GRPO surpasses online RFT, thereby highlighting the efficiency of altering '
        'positive and negative gradient coefficients."',
    ),
)


# --- the runs ---------------------------------------------------------------------------------------------


def sft_recipe(demo: dict[str, Any]) -> dict[str, Any]:
    """The demo recipe as SFT: the same seed, model, data and template, learning rate and schedule; no
    rewards, guard or sampling keys (SFT samples nothing)."""
    trainer = {key: demo["trainer"][key] for key in SFT_TRAINER_KEYS if key in demo["trainer"]}
    return {
        "seed": demo["seed"],
        "trainer_type": "sft",
        "model": demo["model"],
        "data": demo["data"],
        "trainer": {**trainer, "max_length": SFT_MAX_LENGTH},
    }


def common_overrides(args: argparse.Namespace, seed: int) -> list[str]:
    """What every run shares: the start, the budget, the training problems, the held-out evaluations."""
    return [
        f"seed={seed}",
        "data.seed=0",  # the same training problems for every seed and method
        f"model.name_or_path={args.model}",
        f"trainer.max_steps={args.steps}",
        f"trainer.per_device_train_batch_size={args.prompts * args.group}",
        f"trainer.save_steps={args.steps}",
        "trainer.save_total_limit=1",
        # The held-out points are the evaluations during training; the final evaluation would repeat the
        # last one, so it scores a single problem (its number is not used).
        f"eval={{benchmarks: [arithmetic], levels: [1], max_new_tokens: {args.max_new_tokens}, "
        f"every_steps: {args.eval_every}, during_training_limit: {args.limit}, limit: 1}}",
    ]


def sampling_overrides(args: argparse.Namespace) -> list[str]:
    """GRPO and online RFT: ``prompts`` groups of ``group`` completions per update; a collapse only warns
    (a run the guard stopped early would be compared with fewer updates)."""
    return [
        f"trainer.num_generations={args.group}",
        f"trainer.max_completion_length={args.completion_tokens}",
        "guard.action=warn",
    ]


def rft_sampling(args: argparse.Namespace, seed: int) -> dict[str, Any]:
    """``eval.run.evaluate``'s settings for RFT's samples: as many (problem, completion) pairs as a sampling
    run draws over its updates (steps x prompts problems, group completions each), drawn the way it draws
    them (the demo recipe's temperature and completion length), from the base model, once."""
    demo = yaml.safe_load(Path(runner.RECIPE).read_text())
    return {
        "benchmarks": ["arithmetic"],
        "template": demo["data"]["template"],
        "levels": [1],
        "split": "train",
        "limit": args.steps * args.prompts,
        "n": args.group,
        "temperature": demo["trainer"]["temperature"],
        "max_new_tokens": args.completion_tokens,
        "seed": seed,
        "grader": {"extract": "stated", "zero_if_truncated": False},
    }


def as_eval_args(settings: dict[str, Any]) -> list[str]:
    """``rft_sampling``'s settings as ``python -m eval`` flags."""
    flags = [
        "--benchmarks",
        ",".join(settings["benchmarks"]),
        "--levels",
        ",".join(map(str, settings["levels"])),
    ]
    for key in ("template", "split", "limit", "n", "temperature", "max_new_tokens", "seed"):
        flags += [f"--{key.replace('_', '-')}", str(settings[key])]
    return flags + ["--extract", settings["grader"]["extract"]]


def rft_data(args: argparse.Namespace, seed: int, out: Path) -> dict[str, Any]:
    """The base model's samples of training problems, and the file of its correct ones (``python -m data.rft
    --dedupe``); ``file`` is None when none was correct (RFT then has nothing to train on)."""
    folder = out / "rft_samples" / f"seed{seed}"
    evaluate_once(args.model, folder, as_eval_args(rft_sampling(args, seed)))
    evaluation = read_evaluation(folder)
    sampled_tokens = sum(sum(record["tokens"]) for record in evaluation.records)
    kept, counts = select_completions(evaluation.records, dedupe=True)
    if not kept:
        return {"file": None, "counts": vars(counts), "sampled_tokens": sampled_tokens}
    file = folder.parent / f"seed{seed}.jsonl"
    print(f"\n$ {runner.PYTHON} -m data.rft {folder} --out {file} --dedupe  (in this process)", flush=True)
    write_rft_data(evaluation, file, dedupe=True)
    return {"file": file, "counts": vars(counts), "sampled_tokens": sampled_tokens}


def train_method(method: str, seed: int, args: argparse.Namespace, out: Path, rft: dict[str, Any]) -> Path:
    run = out / f"{method.replace(' ', '_').lower()}_seed{seed}"
    overrides = common_overrides(args, seed)
    recipe = runner.RECIPE
    if method in ("SFT", "RFT"):
        recipe = str(out / "sft_recipe.yaml")
        if method == "RFT":
            template = yaml.safe_load(Path(runner.RECIPE).read_text())["data"]["template"]
            overrides += recipe_overrides(rft["file"], template)
    else:
        overrides += sampling_overrides(args)
        if method == "online RFT":
            overrides.append("online_rft=true")
    train_once(run, [*overrides, *args.train_args], recipe)
    return run


def held_out_over_steps(run: Path, before: dict[str, bool]) -> dict[int, dict[str, bool]]:
    """Step -> problem id -> right, from the evaluations during training; step 0 is the base model."""
    steps = {0: before}
    for folder in sorted((run / "train" / "eval_during_training").glob("step-*")):
        steps[int(folder.name.removeprefix("step-"))] = runner.correctness(folder)
    return steps


def sampled_tokens(run: Path, completions_per_step: int) -> float:
    """Completion tokens a sampling run drew: mean length x completions, summed over its logged steps."""
    return sum(e.get("completions/mean_length", 0) * completions_per_step for e in runner.log_history(run))


# --- the statistics ------------------------------------------------------------------------------------------


def curve(
    per_seed: dict[int, dict[int, dict[str, bool]]], bootstrap: int = 1000, seed: int = 0
) -> dict[str, Any]:
    """Held-out accuracy at each step, the mean over seeds, with a 95% bootstrap band over problems (each
    problem's share right over the seeds, resampled); the per-seed accuracies beside it.

    >>> c = curve({0: {0: {"a": False, "b": True}, 2: {"a": True, "b": True}}}, bootstrap=20)
    >>> c["steps"], c["mean"], c["per_seed"]
    ([0, 2], [0.5, 1.0], {0: [0.5, 1.0]})
    """
    steps = sorted(set.intersection(*(set(by_step) for by_step in per_seed.values())))
    problems = sorted(set.intersection(*(set(by_step[s]) for by_step in per_seed.values() for s in steps)))
    rows = [
        [sum(by_step[s][p] for by_step in per_seed.values()) / len(per_seed) for s in steps] for p in problems
    ]
    low, high = bootstrap_band(rows, bootstrap, random.Random(seed))
    return {
        "steps": steps,
        "mean": column_means(rows),
        "low": low,
        "high": high,
        "per_seed": {
            s: [proportion_interval({p: by_step[t][p] for p in problems})[0] for t in steps]
            for s, by_step in per_seed.items()
        },
    }


def pooled(per_seed: dict[int, dict[int, dict[str, bool]]], step: int) -> dict[str, bool]:
    """One step's (seed, problem) -> right, for paired comparisons pooled over seeds."""
    return {f"{seed}:{p}": right for seed, by_step in per_seed.items() for p, right in by_step[step].items()}


def compare(
    better: dict[int, dict[int, dict[str, bool]]], other: dict[int, dict[int, dict[str, bool]]], step: int
) -> tuple[float, float, float]:
    """``better`` minus ``other`` at ``step``, paired over the seeds both have and their problems, with a
    95% interval.

    >>> compare({0: {4: {"a": True, "b": True}}}, {0: {4: {"a": False, "b": True}}}, 4)[0]
    0.5
    """
    seeds = sorted(better.keys() & other.keys())
    return paired_difference(
        pooled({s: other[s] for s in seeds}, step), pooled({s: better[s] for s in seeds}, step)
    )


def verdict(difference: tuple[float, float, float], learned: bool) -> str:
    """The claim's verdict from the paired difference (claimed-better minus the other) and whether either
    method moved from the base model at all (if neither did, the comparison says nothing about the claim).

    >>> [verdict(d, True) for d in ((0.1, 0.02, 0.2), (0.1, -0.02, 0.2), (-0.1, -0.2, -0.02), (-0.01, -0.1, 0.1))]
    ['reproduced', 'in direction only', 'not reproduced', 'not reproduced']
    >>> verdict((0.1, 0.02, 0.2), False)
    "can't tell at this scale"
    """
    mean, low, high = difference
    if not learned:
        return "can't tell at this scale"
    if low > 0:
        return "reproduced"
    return "in direction only" if mean > 0 else "not reproduced"


def moved(per_seed: dict[int, dict[int, dict[str, bool]]], step: int) -> bool:
    """Whether held-out accuracy at ``step`` differs from the base model's (step 0) beyond its interval.

    >>> moved({0: {0: {"a": False, "b": False}, 4: {"a": True, "b": True}}}, 4)
    True
    """
    _, low, high = paired_difference(pooled(per_seed, 0), pooled(per_seed, step))
    return low > 0 or high < 0


# --- the report ---------------------------------------------------------------------------------------------


def unified_paradigm(args: argparse.Namespace) -> Path:
    out = Path(args.out)
    build_model(args.model)
    demo = yaml.safe_load(Path(runner.RECIPE).read_text())
    write_atomic(
        out / "sft_recipe.yaml",
        "# the demo recipe as SFT (experiments/unified_paradigm.py)\n"
        + yaml.safe_dump(sft_recipe(demo), sort_keys=False),
    )
    held_out = runner.arithmetic_eval_args(args.limit, args.max_new_tokens)
    before = runner.correctness(evaluate_once(args.model, out / "before", held_out))
    rft = {seed: rft_data(args, seed, out) for seed in args.seeds}
    results: dict[str, dict[int, dict[int, dict[str, bool]]]] = {method: {} for method in METHODS}
    runs: dict[str, dict[int, Path]] = {method: {} for method in METHODS}
    for seed in args.seeds:
        for method in METHODS:
            if method == "RFT" and rft[seed]["file"] is None:
                continue  # the base model answered none of its samples right: nothing to fine-tune on
            run = train_method(method, seed, args, out, rft[seed])
            runs[method][seed] = run
            results[method][seed] = held_out_over_steps(run, before)
    curves = {method: curve(per_seed) for method, per_seed in results.items() if per_seed}
    figure = _figure(out, curves, args)
    return runner.write_report(out, _report(args, before, rft, results, runs, curves, figure))


def _report(args, before, rft, results, runs, curves, figure) -> list[str]:
    per_update = args.prompts * args.group
    base, base_low, base_high = proportion_interval(before)
    lines = [
        "# SFT, RFT, online RFT and GRPO at equal training budgets, on this CPU",
        "",
        f"{_model_label(args)} on the demo's task (one-step arithmetic, template answer_is, "
        f"recipe {runner.RECIPE}), trained four ways from the same start, seeds {', '.join(map(str, args.seeds))}. "
        f"Held-out: {len(before)} level-1 test problems, greedy, {args.max_new_tokens} tokens, strict grading, "
        f"evaluated every {args.eval_every} updates; the base model scores {base:.1%} [{base_low:.1%}, {base_high:.1%}].",
        "",
        "## What was equalised",
        "",
        f"- **Policy updates:** {args.steps} optimizer steps per run, each on {per_update} completions "
        f"(GRPO and online RFT: {args.prompts} prompts x {args.group} sampled completions; SFT: {per_update} "
        f"reference solutions; RFT: up to {per_update} of its kept completions, all of them when it kept fewer).",
        "- **Optimizer:** the demo recipe's learning rate, schedule and AdamW for every method; the same model, "
        "template and training problems (data.seed=0).",
        f"- **Sampled completions:** GRPO and online RFT sample {args.steps * per_update} completions of at most "
        f"{args.completion_tokens} tokens on-policy over a run; RFT samples as many from the base model before "
        f"training ({args.steps * args.prompts} training problems x {args.group}, the same temperature and "
        "length); SFT samples none. Measured below.",
        "",
        "## The paper's claims (DeepSeekMath §5.2.1, Fig. 5; DeepSeekMath-Instruct 1.3B on GSM8K and MATH)",
        "",
    ]
    for name, better, other, quote in CLAIMS:
        lines.append(f"- **{name}** ({better} > {other}): {quote}")
    lines += ["", "## Held-out accuracy over the updates", ""]
    steps = sorted({s for c in curves.values() for s in c["steps"]})
    lines += [
        "Mean over seeds, 95% bootstrap interval over problems in brackets; the last column the final accuracy "
        "of each seed.",
        "",
        "| method | " + " | ".join(f"step {s}" for s in steps) + " | per seed, final |",
        "| --- | " + " | ".join("---" for _ in steps) + " | --- |",
    ]
    for method, c in curves.items():
        cells = {
            s: f"{100 * m:.1f}% [{100 * lo:.1f}, {100 * hi:.1f}]"
            for s, m, lo, hi in zip(c["steps"], c["mean"], c["low"], c["high"], strict=True)
        }
        finals = ", ".join(f"{100 * accs[-1]:.1f}%" for accs in c["per_seed"].values())
        lines.append(f"| {method} | " + " | ".join(cells.get(s, "-") for s in steps) + f" | {finals} |")
    lines += ["", "## The claims at this scale", ""]
    lines += [
        "Claimed-better minus the other method, paired over seeds and problems (points, 95% interval), at the "
        "first evaluation after step 0 and at the last one.",
        "",
        "| claim | comparison | early | final | verdict |",
        "| --- | --- | --- | --- | --- |",
    ]
    sentences = []
    for name, better, other, _ in CLAIMS:
        if not results[better] or not results[other]:
            lines.append(f"| {name} | {better} - {other} | - | - | can't tell at this scale |")
            sentences.append(
                f"- **{name}: can't tell at this scale.** {other if not results[other] else better} has no runs (no training data)."
            )
            continue
        shared = sorted(set(curves[better]["steps"]) & set(curves[other]["steps"]))
        early, last = shared[1] if len(shared) > 1 else shared[-1], shared[-1]
        first, final = (
            compare(results[better], results[other], early),
            compare(results[better], results[other], last),
        )
        learned = moved(results[better], last) or moved(results[other], last)
        outcome = verdict(final, learned)
        lines.append(
            f"| {name} | {better} - {other} | step {early}: {_points(first)} | step {last}: {_points(final)} | {outcome} |"
        )
        sentences.append(f"- **{name}: {outcome}.** " + _sentence(better, other, final, last, learned))
    lines += ["", *sentences, "", "## Budgets as run", ""]
    lines += [
        "| method | seed | updates | training minutes | completion tokens sampled |",
        "| --- | --- | --- | --- | --- |",
    ]
    for method, by_seed in runs.items():
        for seed, run in by_seed.items():
            summary = json.loads((run / "train" / "summary.json").read_text())
            if method in ("GRPO", "online RFT"):
                tokens = f"{sampled_tokens(run, per_update):.0f}"
            else:
                tokens = f"{rft[seed]['sampled_tokens']} (before training)" if method == "RFT" else "0"
            lines.append(
                f"| {method} | {seed} | {summary['global_step']} | {runner.training_minutes(run):.1f} | {tokens} |"
            )
    lines += ["", "RFT's data (`python -m data.rft --dedupe` on the base model's samples):", ""]
    for seed, data_set in rft.items():
        c = data_set["counts"]
        where = (
            f"`{data_set['file']}` (provenance: `{provenance_path(data_set['file'])}`)"
            if data_set["file"]
            else "no file: nothing to train on"
        )
        lines.append(
            f"- seed {seed}: kept {c['kept']} of {c['completions']} completions ({c['problems_kept']} of "
            f"{c['problems']} problems); dropped {c['incorrect']} wrong, {c['truncated']} cut off, "
            f"{c['duplicate']} duplicates; {where}"
        )
    lines += ["", "Online RFT's updates without a right completion, whose gradient is zero:", ""]
    for seed, run in runs["online RFT"].items():
        silent = sum(e.get("rewards/accuracy/mean", 0) == 0 for e in runner.log_history(run))
        lines.append(f"- seed {seed}: {silent} of {args.steps} updates")
    lines += [
        "",
        "## Where this departs from the paper",
        "",
        f"- **Scale, sized down:** {args.steps} updates of {per_update} completions and {len(args.seeds)} seed(s) on "
        f"{_model_label(args)} and one-step arithmetic, against thousands of updates of a 1.3B model on GSM8K "
        "and MATH; "
        f"{len(before)} held-out problems.",
        f"- **Start:** every method starts from {_model_label(args)}; the paper's RFT and online RFT start from "
        "its SFT model, and its RFT samples that model.",
        "- **GRPO's reward:** rule-based (accuracy 1.0 + format 0.1), where the paper's GRPO in Fig. 5 uses a reward model.",
        "- **Coefficients' normalisation:** TRL's loss (the demo's loss_type dapo) averages over all completion tokens of "
        "the batch, not 1/|o| per completion as in Eq. 5; an online RFT update with few right completions is smaller.",
        "",
        f"Sizes: --steps {args.steps} --eval-every {args.eval_every} --limit {args.limit} --prompts {args.prompts} "
        f"--group {args.group} --completion-tokens {args.completion_tokens} --max-new-tokens {args.max_new_tokens} "
        f"--seeds {' '.join(map(str, args.seeds))}.",
        "",
        f"Figure: {figure}",
    ]
    return lines


def _model_label(args: argparse.Namespace) -> str:
    return "SmolLM2-135M-Instruct (the demo's model)" if args.model == runner.MODEL else f"`{args.model}`"


def _points(difference: tuple[float, float, float]) -> str:
    mean, low, high = difference
    return f"{100 * mean:+.1f} [{100 * low:+.1f}, {100 * high:+.1f}]"


def _sentence(better: str, other: str, final: tuple[float, float, float], step: int, learned: bool) -> str:
    mean, low, high = final
    if not learned:
        return (
            f"Neither {better} nor {other} moved held-out accuracy beyond its interval in {step} updates, so "
            f"their difference ({_points(final)} points) says nothing about the claim."
        )
    if low > 0:
        return f"After {step} updates {better} is ahead of {other} by {_points(final)} points, an interval above zero."
    if high < 0:
        return f"After {step} updates {better} is behind {other} by {_points(final)} points, an interval below zero."
    side = "ahead of" if mean > 0 else "not ahead of"
    return f"After {step} updates {better} is {side} {other} ({_points(final)} points); the interval includes zero."


def _figure(out: Path, curves: dict[str, dict[str, Any]], args: argparse.Namespace) -> Path:
    plt = runner.pyplot()
    figure, axis = plt.subplots(figsize=(7.5, 4.5))
    for method, c in curves.items():
        color = COLORS[method]
        axis.plot(c["steps"], [100 * v for v in c["mean"]], marker="o", color=color, label=method)
        axis.fill_between(
            c["steps"], [100 * v for v in c["low"]], [100 * v for v in c["high"]], color=color, alpha=0.15
        )
        for accuracies in c["per_seed"].values():
            axis.plot(c["steps"], [100 * v for v in accuracies], color=color, alpha=0.3, linewidth=0.8)
    axis.set_xticks(sorted({s for c in curves.values() for s in c["steps"]}))
    axis.set_ylim(0, 100)
    axis.set_xlabel(f"policy updates ({args.prompts * args.group} completions each)")
    axis.set_ylabel("held-out accuracy, level 1 (%)")
    axis.set_title("SFT, RFT, online RFT, GRPO (mean over seeds, 95% band; thin: each seed)")
    axis.grid(alpha=0.3)
    axis.legend()
    return runner.save_figure(figure, out / "unified_paradigm.png")


def main(argv: list[str] | None = None) -> int:
    from data.cli import ArgumentParser, positive_int

    parser = ArgumentParser(
        prog="python -m experiments.unified_paradigm", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--steps", type=positive_int, default=6, help="policy updates per run (every method)")
    parser.add_argument(
        "--eval-every", type=positive_int, default=3, help="held-out evaluation every N updates"
    )
    parser.add_argument("--limit", type=positive_int, default=64, help="held-out problems")
    parser.add_argument(
        "--prompts", type=positive_int, default=4, help="prompts per update (GRPO, online RFT)"
    )
    parser.add_argument(
        "--group", type=positive_int, default=8, help="completions per prompt (and RFT's samples per problem)"
    )
    parser.add_argument(
        "--completion-tokens", type=positive_int, default=32, help="sampled completion length"
    )
    parser.add_argument("--max-new-tokens", type=positive_int, default=96, help="held-out generation limit")
    runner.add_run_arguments(
        parser,
        "outputs/experiments/unified_paradigm",
        model_role="the policy before training",
        train_args_for="every training run",
    )
    args = parser.parse_args(argv)
    if args.group < 2:
        parser.error("--group must be 2 or more: GRPO compares completions within a group")
    unified_paradigm(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
