"""Does the R1-Zero format come from rewards alone? (``make finding-r1zero``; DeepSeek-R1 §2.2: rule-based
rewards alone teach the <think>...</think><answer>...</answer> format and raise accuracy.)

The design gives GRPO something to learn from its first steps: the R1-Zero text as the system turn of the
instruct model's chat format, ``<think>`` prefilled, generation stopped at ``</answer>``, a length budget an
arithmetic answer fits, and a format signal with partial credit (tag count) beside the whole format and the
accuracy inside ``<answer>``. Before any training, a pre-check samples groups from the base model with the
training settings and stops when too few groups have any reward spread: then the design must change, which
says nothing about the claim. Then three seeds train; format compliance and accuracy before and after, and
their curves over steps. Report and figure under ``outputs/experiments/r1zero/``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import rewards
from experiments import findings, runner
from experiments.findings import Estimate

# the steps by name: the findings' tests stand in for them
from experiments.runner import build_model, evaluate_once, train_once

TEMPLATE = (
    "r1_zero_chatml"  # data/templates.py: the R1-Zero text in ChatML, <think> prefilled, stop </answer>
)
# The rewards, as the recipe takes them and as the pre-check scores its samples: one definition for both.
REWARDS = [
    {"name": "accuracy", "weight": 1.0, "params": {"extract": "answer_tag"}},
    {"name": "format", "weight": 0.5, "params": {"answer_format": "think_answer", "think_prefilled": True}},
    # a third for each of </think>, <answer>, </answer> used exactly once: partial credit, so that a group
    # differs before any of its completions has the whole format
    {"name": "tag_count", "weight": 0.5, "params": {"think_prefilled": True}},
]
TAGS = ("<think>", "</think>", "<answer>", "</answer>")


def group_rewards(completions: list[str], gold: str, prompt: str) -> dict[str, list[float]]:
    """Each reward's scores for one group of completions of one prompt, as training would give them (a
    reward without a verdict counts 0), and their weighted sum under ``"summed"``."""
    scores: dict[str, list[float]] = {}
    summed = [0.0] * len(completions)
    for entry in REWARDS:
        reward = rewards.get(entry["name"], **entry["params"])
        values = reward(completions, answer=[gold] * len(completions), prompts=[prompt] * len(completions))
        scores[entry["name"]] = [v if v is not None else 0.0 for v in values]
        summed = [s + entry["weight"] * v for s, v in zip(summed, scores[entry["name"]], strict=True)]
    scores["summed"] = summed
    return scores


def spread_shares(groups: list[dict[str, list[float]]]) -> dict[str, float]:
    """The share of groups in which each reward (and the summed one) is not the same for every completion:
    the groups GRPO's group-relative advantage can learn from (TRL's ``frac_reward_zero_std``, turned over).

    >>> spread_shares([{"summed": [0.0, 0.5], "format": [0.0, 0.0]}, {"summed": [1.0, 1.0], "format": [1.0, 1.0]}])
    {'summed': 0.5, 'format': 0.0}
    """
    names = groups[0].keys()
    return {name: sum(max(g[name]) - min(g[name]) > 1e-9 for g in groups) / len(groups) for name in names}


def tag_shares(records: list[dict[str, Any]]) -> list[float]:
    """The share of completions that hold each of ``TAGS``: what of the format a model has picked up when it
    doesn't produce all of it (the prefilled ``<think>`` is in the prompt, not the completion).

    >>> tag_shares([{"completions": ["a</think><answer>1</answer>", "plain text"]}])
    [0.0, 0.5, 0.5, 0.5]
    """
    completions = [c for record in records for c in record["completions"]]
    return [sum(tag in c for c in completions) / max(len(completions), 1) for tag in TAGS]


def verdict(format_gain: Estimate, accuracy_gain: Estimate, steps: int) -> str:
    """One sentence on the claim's two parts: rewards alone teach the format, and raise accuracy.

    >>> up, unsure, flat = Estimate(0.4, 0.3, 0.5), Estimate(0.01, -0.02, 0.04), Estimate(0.0, -0.03, 0.03)
    >>> [verdict(f, a, 12).split(":")[0] for f, a in ((up, up), (up, unsure), (up, flat))]
    ['Reproduced', 'Reproduced in direction only', "Can't tell at this scale"]
    >>> verdict(up, Estimate(-0.1, -0.2, -0.05), 12).split(":")[0]
    'Not reproduced'
    """
    told = f"format compliance {format_gain.points()}, accuracy {accuracy_gain.points()} after {steps} steps"
    if format_gain.above_zero and accuracy_gain.above_zero:
        return f"Reproduced: rewards alone raised both ({told}, pooled over seeds)."
    if format_gain.rise_excluded or accuracy_gain.rise_excluded:
        return f"Not reproduced: one part of the claim is measurably absent ({told})."
    if format_gain.mean > 0 and accuracy_gain.mean > 0:
        return (
            f"Reproduced in direction only: {told}, but not both intervals clear zero; more steps or seeds would "
            "tell."
        )
    return (
        f"Can't tell at this scale: {told}; telling needs more training steps (the curves show whether they "
        "were still rising) and more seeds to narrow the intervals."
    )


def _evaluation(args: argparse.Namespace, split: str, problems: int, n: int, temperature: float) -> list[str]:
    return [
        *runner.arithmetic_eval_args(problems, args.max_tokens, template=TEMPLATE),
        "--extract", "answer_tag",  # graded as the accuracy reward grades
        "--split", split, "--n", str(n), "--temperature", str(temperature),
    ]  # fmt: skip


def precheck(args: argparse.Namespace, out: Path) -> dict[str, float]:
    """Groups sampled from the base model with the training settings (template, group size, temperature,
    length budget, stop), scored with the training rewards: the share with any spread, per reward."""
    folder = evaluate_once(
        args.model,
        out / f"precheck_problems{args.precheck_problems}",
        _evaluation(args, "train", args.precheck_problems, args.generations, args.temperature),
    )
    groups = [group_rewards(r["completions"], r["answer"], r["prompt"]) for r in runner.samples(folder)]
    return spread_shares(groups)


def r1zero(args: argparse.Namespace) -> Path:
    out = Path(args.out)
    build_model(args.model)
    spread = precheck(args, out)
    if spread["summed"] < args.min_spread:
        runner.write_report(out, _stopped_report(args, spread))
        raise SystemExit(
            f"the pre-check stopped the run: {spread['summed']:.0%} of the base model's groups have any reward "
            f"spread (threshold {args.min_spread:.0%}); the design (prompt, prefill, temperature, length budget, "
            f"rewards) must change, which says nothing about the claim; see {out / 'report.md'}"
        )
    held_out = _evaluation(args, "test", args.problems, 1, 0.0)
    before = runner.samples(evaluate_once(args.model, out / f"before_problems{args.problems}", held_out))
    runs: dict[int, dict[str, Any]] = {}
    for seed in args.seeds:
        run = out / f"steps{args.steps}_seed{seed}"
        summary = train_once(run, _training_overrides(args, seed))
        after = evaluate_once(summary["final_model"], run / f"after_problems{args.problems}", held_out)
        runs[seed] = {"summary": summary, "after": runner.samples(after), "history": runner.log_history(run)}
    gains = {key: findings.pooled(_difference_rows(runs, before, key))[0] for key in ("formatted", "correct")}
    figure = _figure(out, [r["history"] for r in runs.values()])
    return runner.write_report(out, _report(args, spread, before, runs, gains, figure))


def _training_overrides(args: argparse.Namespace, seed: int) -> list[str]:
    return findings.grpo_overrides(
        args,
        seed,
        f"data.template={TEMPLATE}",
        "rewards=" + json.dumps(REWARDS),
        f"trainer.max_completion_length={args.max_tokens}",
        f"trainer.temperature={args.temperature}",
    )


def _difference_rows(
    runs: dict[int, dict[str, Any]], before: list[dict[str, Any]], key: str
) -> list[list[list[float]]]:
    """``rows[seed][problem]``: the greedy flag ``key`` (formatted, correct) after training minus before, on
    the problems both evaluations hold (paired)."""
    by_id = {r["id"]: r for r in before}
    ids = sorted(
        set.intersection(*({r["id"] for r in run["after"]} for run in runs.values())) & set(by_id), key=str
    )
    rows = []
    for run in runs.values():
        after = {r["id"]: r for r in run["after"]}
        rows.append([[_first(after[i], key) - _first(by_id[i], key)] for i in ids])
    return rows


def _first(record: dict[str, Any], key: str) -> float:
    """The greedy sample's flag (formatted, correct) as 0 or 1."""
    return float(bool(record.get(key) and record[key][0]))


def _share(records: list[dict[str, Any]], key: str) -> float:
    return sum(_first(r, key) for r in records) / len(records)


def _design_lines(args: argparse.Namespace) -> list[str]:
    rewards_text = ", ".join(f"{e['name']} ({e['weight']:g})" for e in REWARDS)
    return [
        "Design (chosen so that groups differ from the first steps):",
        "",
        "- prompt: DeepSeek-R1's R1-Zero text, its own words about the tags, as the system turn of a ChatML "
        f"conversation (SmolLM2-Instruct's chat format, written out as text: template `{TEMPLATE}`), the question "
        "as the user turn;",
        "- `<think>` prefilled: the model's first token decides whether it enters the format at all; an "
        "earlier run here (the R1-Zero text as plain text, no prefill) never closed `</think>` in 200 held-out "
        "completions, before or after training, and its format reward paid nothing on any step, so GRPO had "
        "nothing to learn from it. Dr. GRPO's R1 runs prefill it too. What is left to learn from the rewards is "
        "the rest of the format: closing the reasoning and answering inside `<answer>...</answer>`;",
        "- generation stops at `</answer>` (the template's stop string, on both generation paths), so a "
        "completion ends where the format does;",
        f"- length budget: {args.max_tokens} tokens (a formatted arithmetic answer is about 25);",
        f"- rewards: {rewards_text}: accuracy reads only the answer inside `<answer>`; format is the whole "
        "`...</think> <answer>...</answer>` shape (0 or 1); tag count gives a third for each of `</think>`, "
        "`<answer>`, `</answer>` used exactly once (partial credit).",
    ]


def _size_lines(args: argparse.Namespace) -> list[str]:
    return [
        *findings.grpo_size_lines(args),
        findings.size_line("temperature (training and pre-check)", args.temperature),
        findings.size_line("pre-check: training problems sampled", args.precheck_problems),
        findings.size_line("held-out problems (greedy)", args.problems),
    ]


def _spread_line(args: argparse.Namespace, spread: dict[str, float]) -> str:
    parts = ", ".join(f"{name} alone {share:.0%}" for name, share in spread.items() if name != "summed")
    return (
        f"Pre-check: {args.precheck_problems} training problems x {args.generations} samples from the base model "
        f"with the training settings: {spread['summed']:.0%} of groups have spread in the summed reward ({parts}); "
        f"threshold {args.min_spread:.0%}."
    )


def _stopped_report(args: argparse.Namespace, spread: dict[str, float]) -> list[str]:
    return [
        "# R1-Zero's format from rewards alone, on this CPU: stopped by the pre-check",
        "",
        f"**Verdict:** Can't tell at this scale: only {spread['summed']:.0%} of the base model's groups have any "
        f"reward spread (threshold {args.min_spread:.0%}), so the design must change before training can test "
        "the claim (this says nothing about the claim itself).",
        "",
        _spread_line(args, spread),
        "",
        *_design_lines(args),
        "",
        *_size_lines(args),
        "",
        "Nothing was trained. Change the design (the prompt, the prefill, the temperature, the length budget or "
        "the rewards), or lower --min-spread knowingly.",
    ]


def _report(args, spread, before, runs, gains, figure: Path) -> list[str]:
    lines = [
        "# R1-Zero's format from rewards alone, on this CPU",
        "",
        f"**Verdict:** {verdict(gains['formatted'], gains['correct'], args.steps)}",
        "",
        *_design_lines(args),
        "",
        _spread_line(args, spread),
        "",
        *_size_lines(args),
        "",
        f"Held-out: {args.problems} level-1 test problems, greedy, {args.max_tokens} tokens, graded as the accuracy "
        "reward grades (the answer inside `<answer>`); format compliance is the whole format.",
        "",
        "| model | steps | format compliance | accuracy | with "
        + " / ".join(f"`{t}`" for t in TAGS[1:])
        + " |",
        "| --- | --- | --- | --- | --- |",
        f"| base | 0 | {_share(before, 'formatted'):.1%} | {_share(before, 'correct'):.1%} | "
        + " / ".join(f"{s:.0%}" for s in tag_shares(before)[1:])
        + " |",
    ]
    for seed, run in runs.items():
        after = run["after"]
        lines.append(
            f"| seed {seed} | {run['summary']['global_step']} | {_share(after, 'formatted'):.1%} | "
            f"{_share(after, 'correct'):.1%} | "
            + " / ".join(f"{s:.0%}" for s in tag_shares(after)[1:])
            + " |"
        )
    lines += [
        "",
        f"After minus before, pooled over problems and seeds: format compliance {gains['formatted'].points()}, "
        f"accuracy {gains['correct'].points()}. Pooled: per problem, each seed's greedy result after minus the "
        "base's, averaged over seeds and problems; 95% interval from 1000 bootstrap draws that each resample the "
        "seeds and, independently, the problems (paired: the same problems before and after).",
        "",
        "During training (mean over seeds, first -> last logged step):",
        "",
    ]
    histories = [r["history"] for r in runs.values()]
    for key, label in (
        ("rewards/format/mean", "format compliance of the sampled completions"),
        ("rewards/tag_count/mean", "tag count"),
        ("rewards/accuracy/mean", "accuracy of the sampled completions"),
        ("completions/mean_length", "mean completion length (tokens)"),
    ):
        series = findings.across_seeds(histories, key)
        if series:
            lines.append(f"- {label}: {series[0][1]:.2f} -> {series[-1][1]:.2f}")
    lines += ["", f"Figure: {figure} (lines: the mean over seeds; bands: the lowest and highest seed)."]
    return lines


def _figure(out: Path, histories: list[list[dict[str, Any]]]) -> Path:
    plt = runner.pyplot()
    figure, (left, right) = plt.subplots(1, 2, figsize=(12, 4.5))
    for key, label, color in (
        ("rewards/format/mean", "format compliance", "tab:blue"),
        ("rewards/tag_count/mean", "tag count (partial credit)", "tab:orange"),
        ("rewards/accuracy/mean", "accuracy", "tab:green"),
    ):
        findings.plot_across_seeds(left, findings.across_seeds(histories, key), label, color)
    left.set_ylabel("mean over the step's sampled completions")
    left.set_title("rewards during training (band: the seeds' range)")
    findings.plot_across_seeds(
        right, findings.across_seeds(histories, "completions/mean_length"), "all", "tab:purple"
    )
    right.set_ylabel("mean completion length (tokens)")
    for axis in (left, right):
        axis.set_xlabel("step")
        axis.grid(alpha=0.3)
        if axis.get_legend_handles_labels()[0]:
            axis.legend(fontsize=8)
    return runner.save_figure(figure, out / "r1zero.png")


def main(argv: list[str] | None = None) -> int:
    from data.cli import ArgumentParser, positive_int

    parser = ArgumentParser(prog="python -m experiments.r1zero", description=__doc__.splitlines()[0])
    findings.add_grpo_arguments(parser, steps=12, prompts_per_step=4)
    parser.add_argument("--temperature", type=float, default=0.7, help="sampling temperature (the demo's)")
    parser.add_argument(
        "--max-tokens", type=positive_int, default=64, help="the length budget, trained and held out"
    )
    parser.add_argument(
        "--precheck-problems", type=positive_int, default=32, help="training problems the pre-check samples"
    )
    parser.add_argument(
        "--min-spread",
        type=float,
        default=0.2,
        help="the share of groups with reward spread the pre-check needs",
    )
    parser.add_argument("--problems", type=positive_int, default=200, help="held-out problems")
    runner.add_run_arguments(parser, "outputs/experiments/r1zero")
    r1zero(parser.parse_args(argv))
    return 0


if __name__ == "__main__":
    sys.exit(main())
